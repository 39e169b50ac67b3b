"""How complete a frame is, and the visual metrics of a load, as WebPageTest defines them.

Visual progress compares colour histograms (core.visual.histogram), not pixel positions:
per channel, the change a frame made since the start is matched against the change the final
frame made since the start, allowing a small difference of level (``SLOP``) so JPEG noise and
anti-aliasing do not count as missing content. Progress is the matched share of the total
change, over the three channels: 0 at the start, 1 for the final frame.

From the progress of every frame that changed the picture (times in ms from navigation
start; the start state at 0):

* first visual change: the first frame that differs from the start;
* last visual change: the last frame that differs from the one before it;
* visually complete 85 % / 99 %: the first frame whose progress reaches 0.85 / 0.99;
* Speed Index: the area above the progress curve, ∫ (1 − progress(t)) dt from 0 to the last
  visual change, progress being a step function that holds each frame's value until the next.

Unlike WebPageTest, progress is not floored to whole percent before the thresholds and the
integral: a frame 99.6 % complete counts as 99.6 %, not 99 %.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from core.visual.histogram import LEVELS, Histogram

SLOP = 5  # levels either side of a bucket that still count as the same colour
THRESHOLDS = (("visually_complete_85", 0.85), ("visually_complete_99", 0.99))


def frame_progress(frame: Histogram, start: Histogram, final: Histogram) -> float:
    """The share (0 to 1) of the start-to-final change that ``frame`` has made.

    1.0 when the final frame does not differ from the start (there was nothing to do).
    """
    total = matched = 0
    for channel in range(3):
        pairs = zip(frame[channel], start[channel], strict=True)
        available = [abs(int(a) - int(b)) for a, b in pairs]
        for level in range(LEVELS):
            wanted = abs(int(final[channel][level]) - int(start[channel][level]))
            if not wanted:
                continue
            total += wanted
            # Nearest levels first, so an exact match is never taken by a neighbour's need.
            for near in _nearest(level):
                take = min(wanted, available[near])
                available[near] -= take
                matched += take
                wanted -= take
                if not wanted:
                    break
    return matched / total if total else 1.0


def _nearest(level: int) -> list[int]:
    """Levels within SLOP of ``level``, nearest first (the lower one first on a tie)."""
    around = range(max(0, level - SLOP), min(LEVELS, level + SLOP + 1))
    return sorted(around, key=lambda other: (abs(other - level), other))


@dataclass(frozen=True)
class Point:
    """One frame on the progress curve: its time (ms from navigation start) and progress."""

    ms: float
    progress: float


def visual_metrics(curve: Sequence[Point]) -> dict[str, float]:
    """The visual metrics (names as in the metric registry, ms rounded to 0.1) of a progress
    curve: the start state at 0 ms first, then every frame that changed the picture, in time
    order, the last being the final picture.

    Raises ValueError when there is no frame after the start: a viewport that never changed
    has no visual metrics.
    """
    if len(curve) < 2:
        raise ValueError("the viewport never changed")
    changes = curve[1:]
    speed_index = 0.0
    for before, point in zip(curve[:-1], changes, strict=True):
        speed_index += (point.ms - before.ms) * (1.0 - before.progress)
    metrics = {
        "first_visual_change": changes[0].ms,
        "speed_index": speed_index,
        "last_visual_change": changes[-1].ms,
    }
    for name, share in THRESHOLDS:
        metrics[name] = next(p.ms for p in changes if p.progress >= share or p is changes[-1])
    return {name: round(value, 1) for name, value in metrics.items()}
