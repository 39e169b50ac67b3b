"""Waterfall rows from a result document: pure functions over plain data, no ORM, no HTML.

Bars are positioned in percent of the run's span, so the template draws them with CSS only.
Strings (URL, host …) pass through untouched: they come from the network and are escaped
by the template, never here. A run with actors has one waterfall per actor
(:func:`actor_waterfalls`), all on the run's time axis, each with the run's measured steps
drawn over it: a step from one actor to another lines up across their waterfalls.
"""

from dataclasses import dataclass, field
from typing import Any

from core.metrics import Metric, page_metrics

# Drawn phases, in order. HAR's "connect" includes "ssl"; the bar shows them apart.
PHASES = ("blocked", "dns", "connect", "ssl", "send", "wait", "receive")
MARKS: tuple[Metric, ...] = page_metrics(waterfall_mark=True)


@dataclass
class Segment:
    phase: str
    left: float  # percent of the span
    width: float
    ms: float


@dataclass
class WaterfallRow:
    number: int
    url: str
    method: str
    host: str
    party: str
    entity: str
    content_class: str
    status: int | None
    transfer_bytes: int | None  # None: not in the document (shown "—", never 0)
    started_ms: float | None  # as above; the bar is drawn from 0 then
    duration_ms: float | None
    failed: bool
    error: str
    render_blocking: bool
    left: float
    width: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class Mark:
    """A page timing across the waterfall: its short label, when, where (percent of the span)
    and its slot, the metric's place in MARKS (the stylesheet colours marks by slot)."""

    name: str
    ms: float
    left: float
    slot: int


@dataclass
class StepBar:
    """A measured step across a waterfall: name, start and duration (ms), where (percent of
    the span) and who started it and on whose page it stopped."""

    name: str
    started_ms: float
    duration_ms: float
    left: float
    width: float
    actors: list[str]


@dataclass
class Waterfall:
    span_ms: float
    rows: list[WaterfallRow]
    marks: list[Mark]
    hosts: list[str]
    parties: list[str]
    steps: list[StepBar] = field(default_factory=list)


@dataclass
class ActorWaterfall:
    """One actor's waterfall, with its part of the document (``actors[]``)."""

    name: str
    part: dict[str, Any]
    waterfall: Waterfall


def _ms(value: Any) -> float:
    """A timing in ms; HAR's -1 (not applicable) and garbage count as 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return number if number > 0 else 0.0


def _known(value: Any) -> float | None:
    """A number the document holds (≥ 0), or None when it is absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return max(float(value), 0.0)


def _pct(value: float, span: float) -> float:
    return round(min(max(value / span * 100, 0.0), 100.0), 3)


def _phases(timings: dict[str, Any]) -> list[tuple[str, float]]:
    values = {phase: _ms(timings.get(phase)) for phase in PHASES}
    values["connect"] = max(values["connect"] - values["ssl"], 0.0)
    return [(phase, values[phase]) for phase in PHASES if values[phase] > 0]


def _steps(result: dict[str, Any]) -> list[tuple[str, float, float, list[str]]]:
    found = []
    for step in result.get("steps") or []:
        if isinstance(step, dict) and _known(step.get("started_ms")) is not None:
            actors = [str(a) for a in step.get("actors") or []]
            found.append(
                (
                    str(step.get("name", "")),
                    _ms(step["started_ms"]),
                    _ms(step.get("duration_ms")),
                    actors,
                )
            )
    return found


def actor_waterfalls(result: dict[str, Any] | None) -> list[ActorWaterfall]:
    """A waterfall per actor of a run with actors (none for another run), in order: its
    requests and its pages' marks, on one span for all (the latest request end, mark or
    step end of any actor), each with the run's measured steps."""
    result = result or {}
    parts = [a for a in result.get("actors") or [] if isinstance(a, dict)]
    if not parts:
        return []
    whole = build_waterfall(result, pages=[p for a in parts for p in a.get("pages") or []])
    steps = _steps(result)
    span = max([whole.span_ms, *(start + ms for _, start, ms, _ in steps)])
    found = []
    for part in parts:
        name = str(part.get("name", ""))
        own = {
            **result,
            "requests": [
                r
                for r in result.get("requests") or []
                if isinstance(r, dict) and r.get("actor") == name
            ],
        }
        waterfall = build_waterfall(own, pages=part.get("pages") or [], span_ms=span)
        waterfall.steps = [
            StepBar(
                step,
                round(start, 1),
                round(ms, 1),
                _pct(start, span),
                max(_pct(ms, span), 0.2),
                actors,
            )
            for step, start, ms, actors in steps
        ]
        found.append(ActorWaterfall(name, part, waterfall))
    return found


def build_waterfall(
    result: dict[str, Any] | None,
    *,
    pages: list[Any] | None = None,
    span_ms: float | None = None,
) -> Waterfall:
    """The run's requests as rows in start order, with the page marks of MARKS (the registry's
    ``waterfall_mark`` timings) of every page (of ``pages`` when given: an actor's).

    ``span_ms`` is the latest request end or mark (at least 1 ms), unless given (the run's,
    for an actor's waterfall). A request's phases are laid out from its start; when they add
    up to less than its duration the rest of the bar stays unsplit.
    """
    result = result or {}
    requests = [r for r in result.get("requests") or [] if isinstance(r, dict)]
    marks: list[tuple[int, float]] = []
    for page in (result.get("pages") if pages is None else pages) or []:
        if not isinstance(page, dict):
            continue
        offset = _ms(page.get("started_ms"))
        metrics = page.get("metrics") or {}
        for slot, mark in enumerate(MARKS):
            if metrics.get(mark.name) is not None:
                marks.append((slot, offset + _ms(metrics.get(mark.name))))
    ends = [_ms(r.get("started_ms")) + _ms(r.get("duration_ms")) for r in requests]
    span = span_ms or max([1.0, *ends, *(ms for _, ms in marks)])
    rows = []
    ordered = sorted(
        enumerate(requests), key=lambda pair: (_ms(pair[1].get("started_ms")), pair[0])
    )
    for number, (_, request) in enumerate(ordered, start=1):
        start, duration = _ms(request.get("started_ms")), _ms(request.get("duration_ms"))
        segments = []
        cursor = start
        for phase, ms in _phases(request.get("timings") or {}):
            segments.append(Segment(phase, _pct(cursor, span), _pct(ms, span), round(ms, 1)))
            cursor += ms
        status = request.get("status")
        transfer = _known(request.get("transfer_bytes"))
        known_start, known_duration = (
            _known(request.get(key)) for key in ("started_ms", "duration_ms")
        )
        rows.append(
            WaterfallRow(
                number=number,
                url=str(request.get("url") or ""),
                method=str(request.get("method") or "GET"),
                host=str(request.get("host") or ""),
                party=str(request.get("party") or ""),
                entity=str(request.get("entity") or ""),
                content_class=str(request.get("content_class") or "other"),
                status=status if isinstance(status, int) else None,
                transfer_bytes=None if transfer is None else int(transfer),
                started_ms=None if known_start is None else round(known_start, 1),
                duration_ms=None if known_duration is None else round(known_duration, 1),
                failed=bool(request.get("failed")),
                error=str(request.get("error") or ""),
                render_blocking=bool(request.get("render_blocking")),
                left=_pct(start, span),
                width=max(_pct(duration, span), 0.2),
                segments=segments,
            )
        )
    return Waterfall(
        span_ms=round(span, 1),
        rows=rows,
        marks=[Mark(MARKS[slot].short, round(ms, 1), _pct(ms, span), slot) for slot, ms in marks],
        hosts=sorted({row.host for row in rows}),
        parties=sorted({row.party for row in rows if row.party}),
    )


def totals_table(result: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """Rows of the result's ``hosts`` or ``entities`` totals, heaviest transfer first."""
    if key not in ("hosts", "entities"):
        raise ValueError(f"no totals table {key!r}")
    totals = (result or {}).get(key) or {}
    rows = [
        {"name": str(name), **{k: v for k, v in values.items() if k != "hosts"}}
        for name, values in totals.items()
        if isinstance(values, dict)
    ]
    rows.sort(key=lambda row: (-_ms(row.get("transfer_bytes")), row["name"]))
    return rows
