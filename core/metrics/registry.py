"""The metric registry: every metric Perfite knows, with how each surface treats it.

One entry per page metric (a key of the result document's ``metrics``), and one *family* per
split of a run (party, host, entity, content class, step), whose members are open-ended
(``host.cdn.example.com.transfer_bytes``). Every list of metrics elsewhere is a read of this
module: the Run columns, Graphite paths, charts, summaries and waterfall marks, the CI gate's
default family, minimum effects, comparison report rows, correlation measures, alert scopes,
imports and formatting. Adding a page metric is one ``Metric`` here (plus a column and
migration only if ``column`` is true).

Names: a page metric is its bare name (``lcp``); a family member is
``<prefix>.<member>.<field>`` (``party.third.blocking_ms``, ``step.checkout.duration_ms``).
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from core.metrics.units import BYTES, COUNT, MS, SCORE, Unit, format_in


class UnknownMetric(KeyError):
    """A name that is neither a page metric nor a member of a family."""


@dataclass(frozen=True)
class Attribution:
    """Which requests a timing's change is traced to (core.stats.attribution).

    ``requests``: ``all`` (every request started before the metric's moment),
    ``render_blocking`` (only render-blocking ones: the critical path to a paint) or ``none``;
    ``resource_types``: types that count even when not render-blocking (LCP's image or font);
    ``blocking``: whether main-thread blocking (long tasks) counts too.
    """

    requests: str = "all"
    resource_types: tuple[str, ...] = ()
    blocking: bool = True


WHOLE_LOAD = Attribution()
CRITICAL_PATH = Attribution("render_blocking", blocking=False)


@dataclass(frozen=True)
class Metric:
    """One metric and its treatment everywhere.

    ``column``: stored as a Run column (fast trends, filters, alert scopes);
    ``graphite``: pushed to Graphite; ``charted``: drawn on the scenario page;
    ``gated``: in the CI gate's default family; ``min_effect``: the smallest change worth a
    verdict (None: the unit's default); ``higher_is_better``: a rise is an improvement;
    ``summary``: one of the few values that sum a run up in a line (the scenario list and its
    sparkline choices, a scenario's latest runs, ``measure``'s progress);
    ``waterfall_mark``: a page timing drawn as a line across the waterfall; ``short_label``:
    the label where space is tight (empty: the label); ``party``: the party (``first`` or
    ``third``) this page metric counts alone, empty when it counts the whole page.
    ``cost`` (fields of a split): part of what the split costs the page, the measures host
    correlation ranks and a comparison report gives a row (see ``Family.reported``);
    ``attribution``: how a change of this timing is traced to requests (core.stats.attribution);
    ``har_timing``: its key in a HAR page's ``pageTimings`` (imports), empty when none;
    ``headline``: the one metric shown and asked about when none is named (LCP).
    """

    name: str
    label: str
    unit: Unit
    description: str = ""
    column: bool = False
    graphite: bool = False
    charted: bool = False
    gated: bool = False
    min_effect: float | None = None
    higher_is_better: bool = False
    summary: bool = False
    waterfall_mark: bool = False
    short_label: str = ""
    party: str = ""
    cost: bool = False
    attribution: "Attribution | None" = None
    har_timing: str = ""
    headline: bool = False

    @property
    def short(self) -> str:
        """The label where space is tight: ``DCL`` for DOM content loaded."""
        return self.short_label or self.label

    @property
    def effect(self) -> float:
        """The absolute minimum effect: the metric's own, else its unit's."""
        return self.unit.min_effect if self.min_effect is None else self.min_effect

    def format(self, value: float | None, *, signed: bool = False) -> str:
        return format_in(self.unit, value, signed=signed)


@dataclass(frozen=True)
class Family:
    """A split of a run whose members are named at run time (hosts, entities, steps …).

    ``prefix`` starts metric names; ``document_key`` is where the members live in the result
    document (a mapping of member → fields, or for steps a list of objects with ``name``);
    ``graphite_node`` is the path component in Graphite; ``fields`` the metrics of a member;
    ``reported`` the fields a CI comparison report gives a row per member (the others stay in
    the run documents).
    """

    prefix: str
    label: str
    document_key: str
    graphite_node: str
    fields: tuple[Metric, ...]
    member_labels: tuple[tuple[str, str], ...] = ()
    reported: tuple[str, ...] = ()

    def member_label(self, member: str) -> str:
        """How a member is named on screen (``third`` → ``Third-party``)."""
        return dict(self.member_labels).get(member, member)

    def field(self, name: str) -> Metric:
        for metric in self.fields:
            if metric.name == name:
                return metric
        raise UnknownMetric(f"{self.prefix}: no field {name!r}")

    def members(self, document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(member, its fields) of a result document, in document order.

        Steps are a list, named by their ``name``; a member that is not an object is skipped.
        """
        found = document.get(self.document_key) or {}
        if isinstance(found, Mapping):
            pairs: Iterable[tuple[Any, Any]] = found.items()
        else:
            pairs = ((item.get("name"), item) for item in found if isinstance(item, Mapping))
        for member, fields in pairs:
            if isinstance(fields, Mapping):
                yield str(member), fields

    def field_names(self, **flags: bool) -> tuple[str, ...]:
        """Field names, in registry order, whose flags match (``graphite=True`` …)."""
        return tuple(
            f.name for f in self.fields if all(getattr(f, k) == v for k, v in flags.items())
        )


PAGE: tuple[Metric, ...] = (
    Metric("dns", "DNS", MS, "DNS lookup of the first document", graphite=True),
    Metric("connect", "Connect", MS, "TCP (and TLS) connect of the first document", graphite=True),
    Metric(
        "ttfb",
        "TTFB",
        MS,
        "Time to the first byte of the document",
        True,
        True,
        True,
        summary=True,
        attribution=CRITICAL_PATH,
        har_timing="_TTFB",
    ),
    Metric(
        "fcp",
        "FCP",
        MS,
        "First contentful paint",
        True,
        True,
        True,
        gated=True,
        waterfall_mark=True,
        attribution=CRITICAL_PATH,
        har_timing="_firstContentfulPaint",
    ),
    Metric(
        "lcp",
        "LCP",
        MS,
        "Largest contentful paint",
        True,
        True,
        True,
        gated=True,
        summary=True,
        waterfall_mark=True,
        attribution=Attribution("render_blocking", ("image", "font")),
        har_timing="_largestContentfulPaint",
        headline=True,
    ),
    Metric("cls", "CLS", SCORE, "Cumulative layout shift", True, True, True, gated=True),
    Metric(
        "tbt",
        "TBT",
        MS,
        "Total blocking time (long tasks)",
        True,
        True,
        True,
        gated=True,
        attribution=Attribution("none"),
    ),
    Metric(
        "dom_content_loaded",
        "DOM content loaded",
        MS,
        "DOMContentLoaded event end",
        True,
        True,
        waterfall_mark=True,
        short_label="DCL",
        attribution=CRITICAL_PATH,
        har_timing="onContentLoad",
    ),
    Metric(
        "load",
        "Load",
        MS,
        "Load event start",
        True,
        True,
        True,
        gated=True,
        waterfall_mark=True,
        har_timing="onLoad",
    ),
    Metric("fully_loaded", "Fully loaded", MS, "End of the last request", True, True),
    Metric("requests", "Requests", COUNT, "Requests the run made", True, True, True),
    Metric(
        "transfer_bytes", "Transfer", BYTES, "Bytes on the wire", True, True, True, summary=True
    ),
    Metric("body_bytes", "Body bytes", BYTES, "Decoded response bodies", graphite=True),
    Metric(
        "first_party_requests",
        "First-party requests",
        COUNT,
        "Requests to first parties",
        party="first",
    ),
    Metric(
        "first_party_bytes", "First-party bytes", BYTES, "First-party transfer", True, party="first"
    ),
    Metric(
        "third_party_bytes",
        "Third-party bytes",
        BYTES,
        "Third-party transfer",
        True,
        summary=True,
        party="third",
    ),
    Metric(
        "third_party_requests",
        "Third-party requests",
        COUNT,
        "Third-party requests",
        True,
        party="third",
    ),
    Metric(
        "third_party_blocking_ms",
        "Third-party blocking",
        MS,
        "Main-thread blocking time attributed to third-party scripts",
        True,
        party="third",
    ),
)

# The fields of a party, host, entity or content class (the result document's totals).
TOTALS: tuple[Metric, ...] = (
    Metric("requests", "Requests", COUNT, graphite=True, cost=True),
    Metric("failed", "Failed requests", COUNT),
    Metric("transfer_bytes", "Transfer", BYTES, graphite=True, cost=True),
    Metric("body_bytes", "Body bytes", BYTES, graphite=True),
    Metric("time_ms", "Request time", MS, "Summed request durations", graphite=True, cost=True),
    Metric(
        "blocking_ms",
        "Blocking",
        MS,
        "Main-thread blocking by its scripts",
        graphite=True,
        cost=True,
    ),
)
_COST = tuple(f.name for f in TOTALS if f.cost)

STEP_FIELDS: tuple[Metric, ...] = (
    Metric("duration_ms", "Duration", MS, "A measured step's duration", graphite=True),
    Metric("started_ms", "Start", MS, "When the measured step started"),
)

PARTY = Family(
    "party",
    "Party",
    "parties",
    "party",
    TOTALS,
    (("first", "First-party"), ("third", "Third-party")),
    reported=_COST,
)
HOST = Family("host", "Host", "hosts", "domain", TOTALS)
ENTITY = Family("entity", "Entity", "entities", "entity", TOTALS, reported=_COST)
# A comparison report gives a content class a row for its bytes only.
CONTENT_CLASS = Family(
    "type", "Content class", "content_classes", "type", TOTALS, reported=("transfer_bytes",)
)
STEP = Family("step", "Step", "steps", "step", STEP_FIELDS)
FAMILIES: tuple[Family, ...] = (PARTY, HOST, ENTITY, CONTENT_CLASS, STEP)
TOTALS_FAMILIES: tuple[Family, ...] = (PARTY, CONTENT_CLASS, ENTITY, HOST)

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


def split_name(name: str) -> tuple[Family, str, Metric] | None:
    """``party.third.transfer_bytes`` → (PARTY, "third", its field); None for a page metric.

    Members may contain dots (hosts): the field is the last component.
    """
    prefix, dot, rest = name.partition(".")
    if not dot or prefix not in _FAMILIES:
        return None
    member, dot, field = rest.rpartition(".")
    if not dot or not member:
        raise UnknownMetric(name)
    fam = _FAMILIES[prefix]
    return fam, member, fam.field(field)


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
    return replace(field, name=name, label=f"{fam.member_label(member)} {field.label.lower()}")


def is_known(name: str) -> bool:
    try:
        metric(name)
    except UnknownMetric:
        return False
    return True


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
