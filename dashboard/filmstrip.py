"""A run's filmstrip as the run and compare pages show it: the picture at every tick of the
chosen interval, the page timings marked where they fell, the visual metrics beside.

Pure: a result document in, plain data out (the template draws it; frame URLs are the
caller's). core.visual.strip picks the frames.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.metrics import VISUAL, Metric, format_value, page_metrics
from core.visual.strip import INTERVALS_MS, Cell, cells

__all__ = ["INTERVALS_MS", "Strip", "VisualValue", "interval", "strip"]

DEFAULT_INTERVAL_MS = 500
# The page timings marked on the strip: the ones the waterfall marks too (FCP, LCP, load …).
MARKS: tuple[Metric, ...] = page_metrics(waterfall_mark=True)


@dataclass(frozen=True)
class VisualValue:
    """A visual metric as shown: label, printed value (``—`` when absent), why it is absent."""

    name: str
    label: str
    text: str
    error: str


@dataclass(frozen=True)
class Strip:
    """What the page draws: the cells at ``interval_ms``, whether they were cut at the
    maximum, the frames' count, the visual metrics, and why there is nothing to show ("" when
    there is): the scenario captured none, or the frames were purged."""

    interval_ms: int
    cells: tuple[Cell, ...]
    cut: bool
    frames: int
    values: tuple[VisualValue, ...]
    note: str = ""


def interval(text: str | None) -> int:
    """The interval asked for (``?filmstrip=100``), else DEFAULT_INTERVAL_MS."""
    return (
        int(text) if text and text.isdigit() and int(text) in INTERVALS_MS else DEFAULT_INTERVAL_MS
    )


def strip(result: Mapping[str, Any] | None, interval_ms: int, *, stored: bool) -> Strip | None:
    """The strip of a run's ``result`` at ``interval_ms``; None when the run captured no
    filmstrip at all (the scenario's switch was off, or the run measured nothing).
    ``stored``: the run still has its frames (they go with its HAR)."""
    film = (result or {}).get("filmstrip")
    if not isinstance(film, Mapping):
        return None
    metrics = (result or {}).get("metrics") or {}
    errors = (result or {}).get("metric_errors") or {}
    values = tuple(
        VisualValue(
            m.name,
            m.label,
            format_value(m.name, metrics.get(m.name)),
            str(errors.get(m.name) or "") if metrics.get(m.name) is None else "",
        )
        for m in VISUAL
    )
    frames = [(float(f["ms"]), f.get("progress")) for f in film.get("frames") or []]
    if not frames:
        return Strip(interval_ms, (), False, 0, values, note=str(film.get("error") or ""))
    if not stored:
        note = "The frames were deleted with the run's HAR (retention)."
        return Strip(interval_ms, (), False, len(frames), values, note=note)
    marks = {m.short: metrics.get(m.name) for m in MARKS}
    shown, cut = cells(frames, interval_ms, marks)
    return Strip(interval_ms, tuple(shown), cut, len(frames), values)
