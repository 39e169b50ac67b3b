"""core.result.sockets: a run's WebSockets, their names, replies and ws.* metrics."""

from typing import Any

from core.metrics import WEBSOCKET
from core.result.sockets import read_sockets, socket_documents, socket_metrics

BASE = 1_700_000_000_000.0
URL = "ws://www.example.localhost:8123/ws?echo_delay=300"


def event(sock: str, kind: str, t: float, **extra: Any) -> dict[str, Any]:
    return {"id": sock, "event": kind, "t": BASE + t, **extra}


EVENTS = [
    event("a", "created", 30.0, url=URL),
    event("a", "open", 66.1),
    event("a", "sent", 100.0, bytes=5),
    event("a", "received", 150.0, bytes=9, preview="presence:1"),  # not a reply
    event("a", "received", 402.5, bytes=5, preview="hello"),
    event("a", "sent", 700.0, bytes=13),
    event("a", "sent", 710.0, bytes=13),
    event("a", "received", 1010.0, bytes=13, preview="message:x"),
    event("a", "received", 1100.0, bytes=4, preview=None),  # a binary frame
    event("b", "created", 40.0, url="ws://other.localhost/feed"),
]
DECLARED: list[dict[str, Any]] = [
    {"name": "chat", "pattern": "*/ws?*", "reply": "re:^(hello|message:)"}
]


def test_a_socket_is_named_by_the_first_declaration_it_matches_and_keeps_no_text() -> None:
    declared: list[dict[str, Any]] = [{"name": "feed", "pattern": "*/feed", "reply": None}]
    declared += DECLARED
    documents = socket_documents(read_sockets(EVENTS, BASE), declared)
    chat, feed = documents
    assert (chat["name"], chat["connect_ms"], chat["opened_ms"]) == ("chat", 36.1, 66.1)
    assert chat["replies_ms"] == [302.5, 310.0, 300.0]
    assert chat["frames"][1] == {"direction": "received", "t_ms": 150.0, "bytes": 9}
    assert (feed["name"], feed["connect_ms"], feed["frames"], feed["replies_ms"]) == (
        "feed",
        None,
        [],
        [],
    )
    assert "presence" not in repr(documents) and "message:" not in repr(documents)


def test_an_unnamed_socket_takes_any_received_frame_as_a_reply() -> None:
    [chat, other] = socket_documents(read_sockets(EVENTS, BASE), [])
    assert (chat["name"], other["name"]) == (None, None)
    assert chat["replies_ms"] == [50.0, 310.0, 300.0]


def test_ws_metrics_sum_frames_and_take_the_median_reply() -> None:
    metrics, errors = socket_metrics(read_sockets(EVENTS, BASE), DECLARED)
    assert metrics == {
        "ws.chat.connect_ms": 36.1,
        "ws.chat.sent": 3,
        "ws.chat.sent_bytes": 31,
        "ws.chat.received": 4,
        "ws.chat.received_bytes": 31,
        "ws.chat.reply_ms": 302.5,
    }
    assert errors == {}


def test_a_glob_reply_must_match_the_whole_text() -> None:
    declared = [{"name": "chat", "pattern": "*/ws*", "reply": "message:*"}]
    metrics, _ = socket_metrics(read_sockets(EVENTS, BASE), declared)
    # "hello" is not a reply now: the first frame waits for the message at 1010 (910 ms)
    assert socket_documents(read_sockets(EVENTS, BASE), declared)[0]["replies_ms"] == [
        910.0,
        310.0,
        300.0,
    ]
    assert metrics["ws.chat.reply_ms"] == 310.0


def test_a_steps_window_counts_its_frames_and_the_replies_to_frames_sent_in_it() -> None:
    metrics, errors = socket_metrics(read_sockets(EVENTS, BASE), DECLARED, (690.0, 1050.0))
    assert metrics == {
        "ws.chat.sent": 2,
        "ws.chat.sent_bytes": 26,
        "ws.chat.received": 1,
        "ws.chat.received_bytes": 13,
        "ws.chat.reply_ms": 305.0,
    }
    assert errors == {}
    assert socket_metrics(read_sockets(EVENTS, BASE), DECLARED, (2000.0, 3000.0)) == ({}, {})


def test_no_matching_socket_no_open_and_no_reply_are_reasons() -> None:
    sockets = read_sockets(EVENTS, BASE)
    metrics, errors = socket_metrics(sockets, [{"name": "x", "pattern": "*/nope", "reply": None}])
    assert metrics == {}
    assert errors == {f"ws.x.{f}": "no WebSocket matched */nope" for f in WEBSOCKET.field_names()}
    metrics, errors = socket_metrics(sockets, [{"name": "f", "pattern": "*/feed", "reply": None}])
    assert metrics == {
        "ws.f.sent": 0,
        "ws.f.sent_bytes": 0,
        "ws.f.received": 0,
        "ws.f.received_bytes": 0,
    }
    assert errors == {
        "ws.f.connect_ms": "the first matching WebSocket never opened",
        "ws.f.reply_ms": "no reply (any frame) followed a sent frame",
    }
