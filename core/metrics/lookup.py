"""Reading the registry: a metric by name (page metric or family member), lists by flag,
units, labels and the one formatter applied to a name."""

from dataclasses import replace

from core.metrics.named import STEP_SCOPED
from core.metrics.names import name_problem
from core.metrics.registry import ACTOR, FAMILIES, PAGE, STEP
from core.metrics.types import WHOLE_LOAD, Attribution, Family, Metric, UnknownMetric
from core.metrics.units import MS, Unit, format_in

_PAGE = {metric.name: metric for metric in PAGE}
_FAMILIES = {family.prefix: family for family in FAMILIES}
# A field named without its family (a threshold's ``time_ms``, a host measure): every field
# name has one unit in every family, so the bare name is enough to print it.
_FIELD_UNITS = {field.name: field.unit for family in FAMILIES for field in family.fields}


def page_metric(name: str) -> Metric:
    """The page metric ``name``; UnknownMetric if there is none."""
    try:
        return _PAGE[name]
    except KeyError:
        raise UnknownMetric(name) from None


def page_names(**flags: bool) -> tuple[str, ...]:
    """Page metric names, in registry order, whose flags match (``column=True`` …)."""
    return tuple(m.name for m in PAGE if all(getattr(m, k) == v for k, v in flags.items()))


def page_metrics(**flags: bool) -> tuple[Metric, ...]:
    """Page metrics, in registry order, whose flags match (``charted=True`` …)."""
    return tuple(m for m in PAGE if all(getattr(m, k) == v for k, v in flags.items()))


def family(prefix: str) -> Family:
    try:
        return _FAMILIES[prefix]
    except KeyError:
        raise UnknownMetric(prefix) from None


_STEP_SCOPED = tuple(f.prefix for f in STEP_SCOPED) + ("cpu",)


def split_name(name: str) -> tuple[Family, str, Metric] | None:
    """``party.third.transfer_bytes`` → (PARTY, "third", its field); None for a page metric.

    Members may contain dots (hosts): the field is the last component. A one-value family's
    member is everything after the prefix (``user.checkout_ready``). A step's own metric
    (``step.checkout.request.create_chat.duration_ms``) comes back as (STEP, "checkout",
    that metric under its inner name): the step is what precedes the leftmost inner name.
    An actor's (``actor.operator.cpu.script_ms``) is (ACTOR, "operator", that page metric):
    an actor's name is one word, the rest a page metric's name.
    """
    if name in _PAGE:
        return None
    prefix, dot, rest = name.partition(".")
    if not dot or prefix not in _FAMILIES:
        return None
    fam = _FAMILIES[prefix]
    if fam is ACTOR:
        member, dot, field = rest.partition(".")
        if not dot or not member or field not in _PAGE:
            raise UnknownMetric(name)
        return fam, member, _PAGE[field]
    if fam.value is not None:
        if not rest:
            raise UnknownMetric(name)
        return fam, rest, fam.value
    member, dot, field = rest.rpartition(".")
    if not dot or not member:
        raise UnknownMetric(name)
    if fam is STEP:
        # A step's own metric first: ``step.send.request.chat.duration_ms`` is step
        # ``send``'s named request, not the duration of a step named ``send.request.chat``.
        try:
            return _step_scoped(name, rest)
        except UnknownMetric:
            if field not in fam.field_names():
                raise
    return fam, member, fam.field(field)


def _step_scoped(name: str, rest: str) -> tuple[Family, str, Metric]:
    """``checkout.user.ready`` (after ``step.``) → (STEP, "checkout", user.ready's metric)."""
    start = 0
    while (at := rest.find(".", start)) != -1:
        inner = rest[at + 1 :]
        if at and inner.startswith(tuple(p + "." for p in _STEP_SCOPED)):
            try:
                found = metric(inner)
            except UnknownMetric:
                found = None
            if found is not None:
                return STEP, rest[:at], replace(found, name=inner)
        start = at + 1
    raise UnknownMetric(name)


def metric(name: str) -> Metric:
    """The metric called ``name`` (page metric or family member), labelled for display.

    Raises UnknownMetric for a name the registry cannot place.
    """
    if name in _PAGE:
        return _PAGE[name]
    parts = split_name(name)
    if parts is None:
        raise UnknownMetric(name)
    fam, member, field = parts
    if fam.value is not None:
        label = f"{fam.value.label} {member}"
    elif fam is STEP and field.name not in fam.field_names():
        label = f"{member}: {metric(field.name).label}"
    elif fam.named:
        label = f"{fam.label} {member} {field.label}"
    else:
        label = f"{fam.member_label(member)} {field.label.lower()}"
    return replace(field, name=name, label=label, column=False, charted=False, gated=False)


def is_known(name: str) -> bool:
    try:
        metric(name)
    except UnknownMetric:
        return False
    return True


def metric_problem(name: str) -> str | None:
    """Why ``name`` cannot be a metric of a result document, or None when it can.

    It can when the registry places it (a page metric or a family member, see
    :func:`metric`) and every member a page or a scenario named follows the naming rule
    (core.metrics.names): ``user.Bad Name`` is placed, but no page can have made it.
    """
    try:
        parts = split_name(name)
    except UnknownMetric:
        parts = None
    if parts is None:
        return None if name in _PAGE else f"{name!r} is not a metric Perfite knows"
    fam, member, field = parts
    if fam is STEP and field.name not in fam.field_names():
        return metric_problem(field.name)  # a step's own: its inner name's members
    return name_problem(member) if fam.named else None


def headline() -> Metric:
    """The metric shown and asked about when none is named (LCP)."""
    return next(m for m in PAGE if m.headline)


HEADLINE = headline().name


def attribution_of(name: str) -> Attribution:
    """How a change of timing ``name`` is traced to requests: its own rule, else the whole
    load (every request before its moment, plus blocking)."""
    try:
        found = metric(name).attribution
    except UnknownMetric:
        found = None
    return found or WHOLE_LOAD


def har_timings() -> dict[str, str]:
    """HAR ``pageTimings`` keys (standard and browsertime/WebPageTest ones) → metric names."""
    return {m.har_timing: m.name for m in PAGE if m.har_timing}


def unit_of(name: str) -> Unit:
    """The unit of ``name``: a page metric, a family member or a bare family field
    (``time_ms``, ``failed``); a name the registry cannot place is taken to be a time in ms."""
    try:
        return metric(name).unit
    except UnknownMetric:
        return _FIELD_UNITS.get(name, MS)


def label_of(name: str) -> str:
    try:
        return metric(name).label
    except UnknownMetric:
        return name


def format_value(name: str, value: float | None, *, signed: bool = False) -> str:
    """``value`` of metric ``name`` in its unit (see core.metrics.units.format_in)."""
    return format_in(unit_of(name), value, signed=signed)


def unit_symbol(name: str) -> str:
    """The short unit printed beside a value or on an axis: ``ms``, ``B`` or ``""``."""
    return unit_of(name).symbol
