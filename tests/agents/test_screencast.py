"""agents.filmstrip.Screencast against a stand-in DevTools session: what it asks the browser,
which frames it keeps, and its bounds. (The real browser: tests/agents/test_filmstrip.py.)"""

import base64
from collections.abc import Callable
from typing import Any

from agents.filmstrip import SCREENCAST, Limits, Screencast, develop_capture

EPOCH_S = 1_700_000_000.0


class Session:
    """Records what is sent; ``frame()`` delivers a screencast frame as Chromium would."""

    def __init__(self, failing_acks: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any] | None]] = []
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.failing_acks = failing_acks
        self.number = 0

    def on(self, event: str, f: Callable[[dict[str, Any]], None]) -> None:
        self.handlers[event] = f

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((method, params))
        if self.failing_acks and method == "Page.screencastFrameAck":
            raise RuntimeError("Target page, context or browser has been closed")
        return {}

    def frame(self, data: bytes, at_s: float) -> None:
        self.number += 1
        self.handlers["Page.screencastFrame"](
            {
                "data": base64.b64encode(data).decode(),
                "sessionId": self.number,
                "metadata": {"timestamp": at_s, "offsetTop": 0},
            }
        )


def acks(session: Session) -> list[int]:
    return [p["sessionId"] for m, p in session.sent if m == "Page.screencastFrameAck" and p]


def test_it_asks_for_jpeg_frames_400_px_at_most_and_acknowledges_each() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=1000))
    screencast.start()
    session.frame(b"\xff\xd8\xffone", EPOCH_S + 0.25)
    session.frame(b"\xff\xd8\xfftwo", EPOCH_S + 0.5)

    capture = screencast.stop()

    assert session.sent[0] == ("Page.startScreencast", SCREENCAST)
    assert SCREENCAST["format"] == "jpeg" and SCREENCAST["maxWidth"] == 400
    assert acks(session) == [1, 2]
    assert capture.frames == [
        (EPOCH_S * 1000 + 250.0, b"\xff\xd8\xffone"),
        (EPOCH_S * 1000 + 500.0, b"\xff\xd8\xfftwo"),
    ]
    assert capture.cut is None


def test_the_same_picture_sent_again_is_kept_once() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=1000))
    screencast.start()
    for at in (0.1, 0.2, 0.3):
        session.frame(b"\xff\xd8\xffsame", EPOCH_S + at)

    assert [ms for ms, _ in screencast.stop().frames] == [EPOCH_S * 1000 + 100.0]
    assert acks(session) == [1, 2, 3]


def test_past_the_frame_limit_it_keeps_no_more_and_says_so() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=2, max_bytes=1000))
    screencast.start()
    for index in range(4):
        session.frame(b"\xff\xd8\xff" + bytes([index]), EPOCH_S + index)

    capture = screencast.stop()

    assert len(capture.frames) == 2
    assert capture.cut == "the picture changed more than 2 times"
    assert acks(session) == [1, 2, 3, 4]  # the page is not held back by the capture's bound


def test_past_the_byte_limit_it_keeps_no_more_and_says_so() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=15))
    screencast.start()
    session.frame(b"\xff\xd8\xff" + b"a" * 7, EPOCH_S)  # 10 bytes
    session.frame(b"\xff\xd8\xff" + b"b" * 7, EPOCH_S + 1)  # 20 in all: over
    session.frame(b"\xff\xd8\xffc", EPOCH_S + 2)  # would fit, but the capture was cut

    capture = screencast.stop()

    assert [len(jpeg) for _, jpeg in capture.frames] == [10]
    assert capture.cut == "its frames took more than 15 bytes"


def test_after_stop_frames_are_neither_kept_nor_acknowledged() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=1000))
    screencast.start()
    session.frame(b"\xff\xd8\xffone", EPOCH_S)
    screencast.stop()
    session.frame(b"\xff\xd8\xfftwo", EPOCH_S + 1)

    assert acks(session) == [1]
    assert len(screencast.stop().frames) == 1
    assert [m for m, _ in session.sent] == ["Page.startScreencast", "Page.screencastFrameAck"]


def test_a_frame_whose_ack_fails_is_still_kept() -> None:
    session = Session(failing_acks=True)
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=1000))
    screencast.start()
    session.frame(b"\xff\xd8\xffone", EPOCH_S)

    assert len(screencast.stop().frames) == 1


def test_without_a_measured_document_no_frame_can_be_placed() -> None:
    session = Session()
    screencast = Screencast(session, Limits(max_frames=10, max_bytes=1000))
    screencast.start()
    session.frame(b"\xff\xd8\xffone", EPOCH_S)
    error_page = {"url": "chrome-error://chromewebdata/", "timeOrigin": EPOCH_S * 1000}

    film = develop_capture(screencast.stop(), [error_page], "failed")

    assert film.frames == ()
    assert film.error == "no document was measured, so no frame can be placed"
