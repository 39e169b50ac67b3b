"""A filmstrip at a fixed interval: the picture on screen at every tick, as people read one.

Pure: frame times and page timings in, cells out (the dashboard draws them).
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

INTERVALS_MS = (100, 500, 1000)
MAX_CELLS = 120  # past this the strip is cut (the page says so); a coarser interval shows it all


@dataclass(frozen=True)
class Cell:
    """One tick: its time (ms from navigation start), the frame on screen then (its index in
    the filmstrip; None while nothing was captured yet), whether that picture is new since
    the tick before, its progress (0 to 1, None when unknown) and the page timings that fell
    in the interval ending at this tick (their names, in ``marks`` order)."""

    ms: int
    frame: int | None
    changed: bool
    progress: float | None
    marks: tuple[str, ...]


def cells(
    frames: Sequence[tuple[float, float | None]],
    interval_ms: int,
    marks: Mapping[str, float | None] | None = None,
) -> tuple[list[Cell], bool]:
    """The strip of ``frames`` ((ms, progress) in time order) at ``interval_ms``: ticks 0,
    interval, 2 × interval … up to the first tick at or after the last frame, at most
    MAX_CELLS of them. ``marks`` (name → ms; None: not measured, left out) land on the first
    tick at or after them. Returns (cells, whether the strip was cut at MAX_CELLS)."""
    if interval_ms <= 0:
        raise ValueError("the interval must be positive")
    last = frames[-1][0] if frames else 0.0
    ticks = math.ceil(last / interval_ms) + 1
    cut = ticks > MAX_CELLS
    out: list[Cell] = []
    upcoming = 0  # the first frame not shown yet
    for tick in range(min(ticks, MAX_CELLS)):
        ms = tick * interval_ms
        before = upcoming
        while upcoming < len(frames) and frames[upcoming][0] <= ms:
            upcoming += 1
        shown = upcoming - 1 if upcoming else None
        low = ms - interval_ms if tick else -math.inf
        landed = tuple(
            name for name, at in (marks or {}).items() if at is not None and low < at <= ms
        )
        out.append(
            Cell(
                ms=ms,
                frame=shown,
                changed=upcoming != before,
                progress=None if shown is None else frames[shown][1],
                marks=landed,
            )
        )
    return out, cut
