"""Frames of the page's viewport while it loads, from the browser's screencast.

Chromium's DevTools screencast (``Page.startScreencast``) sends a JPEG each time the picture
changes, with the wall-clock time the browser received it from its capture (a little before the
page's own presentation-based paint times, docs/result-document.md); it sends the next one only
once the last was acknowledged. ``Screencast`` keeps those frames, bounded, for core.visual to
develop into the filmstrip and the visual metrics once the run is over. It is handed a DevTools
session (plain ``on`` and ``send``) by agents.browser and imports no browser library itself.
"""

import base64
import binascii
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

from core.result.build import first_document
from core.visual.archive import pack
from core.visual.filmstrip import Capture, Filmstrip, develop

# Thumbnails: a 1280 × 720 viewport becomes 400 × 225, a phone's 390 × 844 185 × 400.
SCREENCAST = {
    "format": "jpeg",
    "quality": 70,
    "maxWidth": 400,
    "maxHeight": 400,
    "everyNthFrame": 1,
}


class Session(Protocol):
    """What a screencast needs of a DevTools session (Playwright's CDPSession has it)."""

    def on(self, event: str, f: Callable[[dict[str, Any]], None]) -> Any: ...

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class Limits:
    """How much of a screencast one run keeps: frames and bytes of JPEG."""

    max_frames: int
    max_bytes: int

    @classmethod
    def from_settings(cls) -> "Limits":
        """PERFITE_FILMSTRIP_MAX_FRAMES and PERFITE_FILMSTRIP_MAX_BYTES."""
        return cls(settings.PERFITE_FILMSTRIP_MAX_FRAMES, settings.PERFITE_FILMSTRIP_MAX_BYTES)


class Screencast:
    """The frames a page showed between ``start()`` and ``stop()``.

    A frame byte-identical to the one before is not kept (the picture did not change). Once
    ``limits`` are reached no more frames are kept and the capture says it was cut.
    """

    def __init__(self, session: Session, limits: Limits) -> None:
        self._session = session
        self._limits = limits
        self._frames: list[tuple[float, bytes]] = []
        self._bytes = 0
        self._cut: str | None = None
        self._stopped = False

    def start(self) -> None:
        """Ask the browser for frames; they arrive while the caller drives the page."""
        self._session.on("Page.screencastFrame", self._frame)
        self._session.send("Page.startScreencast", dict(SCREENCAST))

    def stop(self) -> Capture:
        """The frames kept so far (epoch ms, JPEG), and why the capture was cut, if it was.

        Sends nothing: frames that come later are not acknowledged, so the browser sends no
        more (and a crashed renderer is never asked anything).
        """
        self._stopped = True
        return Capture(list(self._frames), self._cut)

    def _frame(self, event: dict[str, Any]) -> None:
        if self._stopped:
            return
        # Whatever the session raises, the page is going away: this frame is still good.
        with contextlib.suppress(Exception):
            self._session.send("Page.screencastFrameAck", {"sessionId": event["sessionId"]})
        try:
            jpeg = base64.b64decode(event["data"], validate=True)
            shown_ms = float(event["metadata"]["timestamp"]) * 1000.0
        except (KeyError, TypeError, ValueError, binascii.Error):
            return  # not a frame this browser should send: nothing to keep
        if self._cut or (self._frames and self._frames[-1][1] == jpeg):
            return
        if len(self._frames) >= self._limits.max_frames:
            self._cut = f"the picture changed more than {self._limits.max_frames} times"
        elif self._bytes + len(jpeg) > self._limits.max_bytes:
            self._cut = f"its frames took more than {self._limits.max_bytes} bytes"
        else:
            self._frames.append((shown_ms, jpeg))
            self._bytes += len(jpeg)


def develop_capture(
    capture: Capture, snapshots: Sequence[dict[str, Any]], status: str
) -> Filmstrip:
    """The run's filmstrip: ``capture`` on the clock of the first measured document among
    the collector's ``snapshots`` (core.result.build.first_document), visual metrics only
    for a run that succeeded. Without a measured document the frames cannot be placed: no
    frame is kept, and the filmstrip says why."""
    first = first_document(snapshots)
    if first is None or not first.get("timeOrigin"):
        return Filmstrip((), error="no document was measured, so no frame can be placed")
    return develop(capture, float(first["timeOrigin"]), complete=status == "succeeded")


def archive(filmstrip: Filmstrip | None) -> bytes | None:
    """The stored form of the filmstrip's frames (core.visual.archive); None without one."""
    if filmstrip is None or not filmstrip.frames:
        return None
    return pack([frame.jpeg for frame in filmstrip.frames])
