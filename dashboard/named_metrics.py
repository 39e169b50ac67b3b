"""A result document's named metrics as the run page shows them: user timings, named requests,
JS values, CPU and memory, WebSockets and backend series, grouped by family, each value
printed by the registry's formatter, or ``—`` with the reason ``metric_errors`` gives.

Pure functions over plain data: no ORM, no HTML. Names and reasons pass through untouched
(a page names its own user timings and writes its own exceptions); the template escapes them.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.metrics import (
    ACTOR,
    BACKEND,
    CPU,
    CUSTOM,
    MISSING,
    NAMED_FAMILIES,
    REQUEST,
    STEP,
    USER,
    WEBSOCKET,
    Family,
    UnknownMetric,
    format_value,
    metric,
    split_name,
)

_CPU_NAMES = tuple(m.name for m in CPU)
CPU_PREFIX = _CPU_NAMES[0].partition(".")[0]
# The run page's sections, in the order it shows them: a named family's prefix, or CPU's.
SECTIONS: tuple[tuple[str, str], ...] = (
    (USER.prefix, "User timings"),
    (REQUEST.prefix, "Named requests"),
    (CUSTOM.prefix, "JS values"),
    (CPU_PREFIX, "CPU and memory"),
    (WEBSOCKET.prefix, "WebSockets"),
    (BACKEND.prefix, "Backend series"),
)
_ORDER = {prefix: i for i, (prefix, _) in enumerate(SECTIONS)}
STEP_DURATION = STEP.fields[0].name  # duration_ms: what a step's chart shows of it
_FAMILIES = {family.prefix: family for family in NAMED_FAMILIES}


def section_of(name: str) -> str | None:
    """The section prefix of a named metric (``request.create_chat.count`` → ``request``,
    ``cpu.script_ms`` → ``cpu``); None for any other name (page metric, a split's member,
    a step's metric, a name the registry cannot place)."""
    if name in _CPU_NAMES:
        return CPU_PREFIX
    try:
        parts = split_name(name)
    except UnknownMetric:
        return None
    if parts is None or parts[0] not in NAMED_FAMILIES:
        return None
    return parts[0].prefix


def step_inner(name: str) -> tuple[str, str] | None:
    """``step.send.user.sent`` → (``send``, ``user.sent``): a measured step's own named
    metric; None for any other name (``step.send.duration_ms`` included)."""
    try:
        parts = split_name(name)
    except UnknownMetric:
        return None
    if parts is None or parts[0] is not STEP or section_of(parts[2].name) is None:
        return None
    return parts[1], parts[2].name


def is_named(name: str) -> bool:
    """A named metric of a run or of one of its measured steps."""
    return section_of(name) is not None or step_inner(name) is not None


def step_field(name: str) -> tuple[str, str] | None:
    """``step.send.duration_ms`` → (``send``, ``duration_ms``): a measured step's duration;
    None for any other name (a step's own named metric included)."""
    try:
        parts = split_name(name)
    except UnknownMetric:
        return None
    if parts is None or parts[0] is not STEP or parts[2].name != STEP_DURATION:
        return None
    return parts[1], parts[2].name


def actor_of(name: str) -> str | None:
    """``actor.operator.lcp`` → ``operator``: the actor whose page metric it is; else None."""
    try:
        parts = split_name(name)
    except UnknownMetric:
        return None
    return parts[1] if parts is not None and parts[0] is ACTOR else None


def chartable(name: str) -> bool:
    """A metric the scenario page charts on demand: a named one (an actor's page metrics
    among them) or a measured step's duration."""
    return is_named(name) or step_field(name) is not None


def number(value: Any) -> float | None:
    """``value`` if it is a finite number (not a bool), else None: not measured."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True)
class Value:
    """One metric of the page: its name, label, printed value (``—`` when absent) and why it
    is absent, when the document says ("" otherwise)."""

    name: str
    label: str
    text: str
    error: str = ""


@dataclass(frozen=True)
class Row:
    """A member of a section (``create_chat``; a CPU metric's label) and its values, one per
    column; ``note`` is a backend series' Graphite target."""

    member: str
    values: tuple[Value, ...]
    note: str = ""


@dataclass(frozen=True)
class Section:
    """One family's table: title, header of the member column, value columns, rows, and the
    header of the note column ("" when there is none)."""

    title: str
    member_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    note_header: str = ""


@dataclass(frozen=True)
class StepMetrics:
    """A measured step: name, start and duration (None when absent), its own metrics and,
    in a run with actors, who started it and on whose page it stopped."""

    name: str
    started_ms: float | None
    duration_ms: float | None
    values: tuple[Value, ...]
    actors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Timing:
    """One ``performance.mark`` or ``performance.measure`` as the page made it: its own name,
    type, the document it was made in (URL, else its index), the metric it became ("" when
    none: past the per-run limit, or an earlier one of that name won)."""

    name: str
    type: str
    page: str
    metric: str
    started_ms: float | None
    duration_ms: float | None


@dataclass(frozen=True)
class NamedMetrics:
    """Everything of the run page's named-metrics section; ``other_errors`` holds the
    ``metric_errors`` no place on the page shows, as (metric name, reason)."""

    sections: tuple[Section, ...]
    steps: tuple[StepMetrics, ...]
    timings: tuple[Timing, ...]
    other_errors: tuple[tuple[str, str], ...]


def metric_errors(result: Mapping[str, Any]) -> dict[str, str]:
    """The document's ``metric_errors`` as {metric name: reason}; {} when it has none."""
    found = result.get("metric_errors")
    if not isinstance(found, Mapping):
        return {}
    return {str(name): str(reason) for name, reason in found.items()}


def read(result: Mapping[str, Any], shown_elsewhere: Iterable[str] = ()) -> NamedMetrics:
    """The named metrics of ``result`` (a result document), grouped for the run page.

    A section appears when the run has one of its metrics or an error for one; a member
    appears when it has a value or an error for any of its fields. ``shown_elsewhere`` are
    names whose errors the page prints elsewhere (its page metrics), kept out of
    ``other_errors``.
    """
    metrics = result.get("metrics")
    values: Mapping[str, Any] = metrics if isinstance(metrics, Mapping) else {}
    errors = metric_errors(result)
    placed: set[str] = set(shown_elsewhere)
    sections = []
    for prefix, title in SECTIONS:
        names = {n for n in (*values, *errors) if section_of(n) == prefix}
        if prefix == BACKEND.prefix:
            names |= {f"{prefix}.{member}" for member in _backend(result)}
        if not names:
            continue
        if prefix == CPU_PREFIX:
            section = _cpu(title, values, errors)
        else:
            section = _family(title, _FAMILIES[prefix], names, values, errors, result)
        sections.append(section)
        placed |= {v.name for row in section.rows for v in row.values}
    steps = tuple(_steps(result, errors))
    placed |= {v.name for step in steps for v in step.values}
    others = tuple((name, reason) for name, reason in errors.items() if name not in placed)
    return NamedMetrics(tuple(sections), steps, tuple(_timings(result)), others)


def _value(name: str, label: str, raw: Any, errors: Mapping[str, str]) -> Value:
    return Value(name, label, format_value(name, number(raw)), errors.get(name, ""))


def _cpu(title: str, values: Mapping[str, Any], errors: Mapping[str, str]) -> Section:
    """Every CPU metric of the registry, measured or not, once the run has any of them."""
    rows = tuple(Row(m.label, (_value(m.name, m.label, values.get(m.name), errors),)) for m in CPU)
    return Section(title, "Metric", ("Value",), rows)


def _family(
    title: str,
    family: Family,
    names: set[str],
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    result: Mapping[str, Any],
) -> Section:
    """A named family's table: a row per member, by name; a column per field (one "Value"
    column for a one-value family, with the Graphite target beside a backend series)."""
    members = sorted({split[1] for n in names if (split := split_name(n)) is not None})
    if family.value is None:
        columns = tuple(f.label for f in family.fields)
        rows = []
        for member in members:
            cells = []
            for field in family.fields:
                name = f"{family.prefix}.{member}.{field.name}"
                cells.append(_value(name, field.label, values.get(name), errors))
            rows.append(Row(member, tuple(cells)))
        return Section(title, "Name", columns, tuple(rows))
    backend = _backend(result) if family is BACKEND else {}
    rows = []
    for member in members:
        name = f"{family.prefix}.{member}"
        value = _value(name, member, values.get(name), errors)
        series = backend.get(member) or {}
        if value.text == MISSING and not value.error and series.get("error"):
            # The server's own record of a Graphite that did not answer.
            value = Value(name, member, value.text, str(series["error"]))
        rows.append(Row(member, (value,), str(series.get("target") or "")))
    note = "Graphite target" if family is BACKEND else ""
    return Section(title, "Name", ("Value",), tuple(rows), note)


def _backend(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The document's ``backend`` series: {name: {target, from, until, points, error}}."""
    found = result.get("backend")
    if not isinstance(found, Mapping):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, Mapping)}


def _steps(result: Mapping[str, Any], errors: Mapping[str, str]) -> Iterable[StepMetrics]:
    steps = result.get("steps")
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, Mapping):
            continue
        name = str(step.get("name", ""))
        own = step.get("metrics")
        inner = dict(own) if isinstance(own, Mapping) else {}
        prefix = f"{STEP.prefix}.{name}."
        for full in errors:
            if full.startswith(prefix) and (split := step_inner(full)) and split[0] == name:
                inner.setdefault(split[1], None)
        named = sorted(
            (n for n in inner if section_of(n) is not None),
            key=lambda n: (_ORDER[section_of(n) or ""], n),
        )
        values = tuple(
            _value(prefix + n, metric(n).label, inner[n], errors)
            for n in named
            if step_inner(prefix + n) is not None
        )
        actors = step.get("actors")
        yield StepMetrics(
            name,
            number(step.get("started_ms")),
            number(step.get("duration_ms")),
            values,
            tuple(str(a) for a in actors) if isinstance(actors, list) else (),
        )


def _timings(result: Mapping[str, Any]) -> Iterable[Timing]:
    pages = result.get("pages")
    urls = [
        str(p.get("url", "")) if isinstance(p, Mapping) else ""
        for p in (pages if isinstance(pages, list) else ())
    ]
    timings = result.get("user_timings")
    for t in timings if isinstance(timings, list) else ():
        if not isinstance(t, Mapping):
            continue
        page = t.get("page")
        where = urls[page] if isinstance(page, int) and 0 <= page < len(urls) else ""
        yield Timing(
            str(t.get("name", "")),
            str(t.get("type", "")),
            where or ("" if page is None else f"#{page}"),
            str(t.get("metric") or ""),
            number(t.get("started_ms")),
            number(t.get("duration_ms")),
        )
