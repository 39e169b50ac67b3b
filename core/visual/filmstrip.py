"""What a run keeps of its screencast: frames on the navigation's clock, their progress and
the visual metrics, or why there are none.

The agent captures frames with the browser's wall-clock timestamps (epoch ms); the page's
timings count from its navigation start (``performance.timeOrigin``, epoch ms too). A frame
shown before navigation started is the picture as it started: the latest such frame is kept
at 0 ms. When no frame came before navigation started, the viewport is taken to have been
blank then (a fresh context shows a white ``about:blank``).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.visual.histogram import FrameError, Histogram, Pixels, blank, decode, histogram
from core.visual.progress import Point, frame_progress, visual_metrics


@dataclass(frozen=True)
class Capture:
    """Frames as the agent captured them: (epoch ms, JPEG) in arrival order, and why it
    stopped keeping frames before the end (a bound reached), None when it did not."""

    frames: Sequence[tuple[float, bytes]]
    cut: str | None = None


@dataclass(frozen=True)
class Frame:
    """A kept frame: ms from navigation start (0: the picture as navigation started), the
    JPEG, and its visual progress (0 to 1; None when the run has no visual metrics)."""

    ms: float
    jpeg: bytes
    progress: float | None = None


@dataclass(frozen=True)
class Filmstrip:
    """The kept frames in time order, the visual metrics (registry names; empty when not
    measured) and why they were not measured (None when they were)."""

    frames: tuple[Frame, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def document(self) -> dict[str, Any]:
        """The result document's ``filmstrip``: ``{"frames": [{"ms", "progress"}], "error"}``,
        frame ``i`` being entry ``i`` of the stored archive (core.visual.archive)."""
        return {
            "frames": [
                {
                    "ms": frame.ms,
                    "progress": None if frame.progress is None else round(frame.progress, 4),
                }
                for frame in self.frames
            ],
            "error": self.error,
        }


def align(frames: Sequence[tuple[float, bytes]], origin_ms: float) -> list[tuple[float, bytes]]:
    """(ms from ``origin_ms``, JPEG) in time order, rounded to 0.1 ms: frames before the
    origin collapse into the latest of them at 0, and a frame byte-identical to the one
    before it (the same picture sent again) is dropped."""
    kept: list[tuple[float, bytes]] = []
    for epoch_ms, jpeg in sorted(frames, key=lambda f: f[0]):
        ms = max(round(epoch_ms - origin_ms, 1), 0.0)
        if kept and kept[-1][0] == 0.0 and ms == 0.0:
            kept[-1] = (0.0, jpeg)  # a later picture of the moment navigation started
        elif not kept or kept[-1][1] != jpeg:
            kept.append((ms, jpeg))
    return kept


def develop(capture: Capture, origin_ms: float, *, complete: bool) -> Filmstrip:
    """The filmstrip of a run whose first document's navigation started at ``origin_ms``.

    Frames whose pixels equal the previous kept frame's are dropped too (the picture did not
    change); frames that still have the start's histogram (a blank document replacing the
    blank ``about:blank``) are kept but are not a visual change. Visual metrics
    (core.visual.progress) are measured only when the run is ``complete`` (it succeeded: a
    failed run's last picture is not the page's final one), the capture was not cut short,
    every frame decoded and the picture changed; otherwise ``error`` says why.
    """
    decoded: list[tuple[float, bytes, Pixels]] = []
    error = None
    for ms, jpeg in align(capture.frames, origin_ms):
        try:
            pixels = decode(jpeg)
        except FrameError as exc:
            error = f"a frame at {ms} ms could not be decoded ({exc})"
            continue
        if decoded and np.array_equal(decoded[-1][2], pixels):
            continue
        decoded.append((ms, jpeg, pixels))
    if capture.cut:
        error = f"the filmstrip was cut short: {capture.cut}"
    elif not complete:
        error = "the run did not succeed, so its last frame is not the loaded page"
    if error is not None or not decoded:
        return Filmstrip(
            tuple(Frame(ms, jpeg) for ms, jpeg, _ in decoded),
            error=error or "the viewport never changed",
        )
    histograms = [histogram(pixels) for _, _, pixels in decoded]
    start: Histogram = histograms[0] if decoded[0][0] == 0.0 else blank()
    if all(np.array_equal(h, start) for h in histograms):
        return Filmstrip(
            tuple(Frame(ms, jpeg) for ms, jpeg, _ in decoded), error="the viewport never changed"
        )
    final = histograms[-1]
    frames = tuple(
        Frame(ms, jpeg, frame_progress(h, start, final))
        for (ms, jpeg, _), h in zip(decoded, histograms, strict=True)
    )
    # Frames still showing the start (a blank document replacing about:blank) are no change.
    first = next(
        (i for i, h in enumerate(histograms) if decoded[i][0] > 0 and not np.array_equal(h, start)),
        len(frames),
    )
    curve = [Point(0.0, frame_progress(start, start, final))]
    curve += [Point(f.ms, f.progress if f.progress is not None else 0.0) for f in frames[first:]]
    return Filmstrip(frames, visual_metrics(curve))


def document_problem(value: Any) -> str | None:
    """Why ``value`` is not a result document's ``filmstrip`` (see Filmstrip.document), None
    when it is one: frames in time order, each at a finite ms ≥ 0 with a progress from 0 to
    1 or null, and an error text or null."""
    if not isinstance(value, dict) or not isinstance(value.get("frames"), list):
        return "must be an object with a list of frames"
    if value.get("error") is not None and not isinstance(value["error"], str):
        return "error must be a text or null"
    before = 0.0
    for index, item in enumerate(value["frames"]):
        if not isinstance(item, dict):
            return f"frames[{index}] must be an object"
        ms, progress = _number(item.get("ms")), _number(item.get("progress"))
        if ms is None or not before <= ms <= MAX_MS:
            return f"frames[{index}].ms must be a number from {before} to {MAX_MS:.0f}"
        if item.get("progress") is not None and (progress is None or not 0 <= progress <= 1):
            return f"frames[{index}].progress must be a number from 0 to 1, or null"
        before = ms
    return None


MAX_MS = 1e9  # far past any run's timeout


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
