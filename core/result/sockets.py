"""A run's WebSockets: the result document's ``websockets`` and their ``ws.<name>.*``
metrics (docs/result-document.md). Pure.

The collector reports socket events (``created`` with its URL, ``open``, ``sent``,
``received``, ``close``; epoch-ms ``t``; frame ``bytes``; a received text frame's first
characters as ``preview``). The preview is matched against a declaration's ``reply``
pattern here and kept nowhere: the document holds no frame's content.
"""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.metrics import WEBSOCKET
from core.script.declarations import text_matches, url_matches

Json = dict[str, Any]


def _r(value: float) -> float:
    return round(float(value), 1)


@dataclass
class Socket:
    """One socket as recorded: times in ms from the run's first navigation start, unrounded;
    ``frames`` are ``(direction, t, bytes, preview or None)`` in time order."""

    url: str | None = None
    created: float | None = None
    opened: float | None = None
    closed: float | None = None
    frames: list[tuple[str, float, int, str | None]] = field(default_factory=list)

    @property
    def connect_ms(self) -> float | None:
        if self.created is None or self.opened is None:
            return None
        return _r(self.opened - self.created)

    def replies(self, reply: str | None) -> list[tuple[float, float]]:
        """``(sent at, latency)`` for each sent frame a received frame matching ``reply``
        (any received frame when None) followed: the latency to the first such frame."""
        found: list[tuple[float, float]] = []
        waiting: list[float] = []
        for direction, t, _size, preview in self.frames:
            if direction == "sent":
                waiting.append(t)
            elif reply is None or (preview is not None and text_matches(reply, preview)):
                found.extend((sent, t - sent) for sent in waiting)
                waiting = []
        return found


def read_sockets(events: Sequence[Mapping[str, Any]], base: float) -> list[Socket]:
    """The sockets of the collector's ``events``, in the order they were created; ``base``
    is the epoch ms of the run's first navigation start."""
    sockets: dict[str, Socket] = {}
    for event in sorted(events, key=lambda e: float(e.get("t", 0))):
        sock = sockets.setdefault(str(event.get("id")), Socket())
        at = float(event.get("t", 0)) - base
        kind = event.get("event")
        if kind == "created":
            sock.url, sock.created = event.get("url"), at
        elif kind == "open":
            sock.opened = at
        elif kind == "close":
            sock.closed = at
        elif kind in ("sent", "received"):
            preview = event.get("preview")
            text = preview if isinstance(preview, str) else None
            sock.frames.append((kind, at, int(event.get("bytes") or 0), text))
    return list(sockets.values())


def declared_for(
    sock: Socket, declarations: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """The ``websocket_metric`` declarations whose URL pattern ``sock`` matches, in order."""
    return [d for d in declarations if sock.url and url_matches(d["pattern"], sock.url)]


def socket_documents(
    sockets: Sequence[Socket], declarations: Sequence[Mapping[str, Any]]
) -> list[Json]:
    """The result document's ``websockets``: each socket with the name of the first
    declaration it matches (None) and the latencies to its replies (that declaration's
    ``reply`` pattern; any received frame for an unnamed socket)."""
    documents = []
    for sock in sockets:
        named = declared_for(sock, declarations)
        reply = named[0].get("reply") if named else None
        documents.append(
            {
                "url": sock.url,
                "name": named[0]["name"] if named else None,
                "created_ms": None if sock.created is None else _r(sock.created),
                "opened_ms": None if sock.opened is None else _r(sock.opened),
                "connect_ms": sock.connect_ms,
                "closed_ms": None if sock.closed is None else _r(sock.closed),
                "frames": [
                    {"direction": direction, "t_ms": _r(t), "bytes": size}
                    for direction, t, size, _preview in sock.frames
                ],
                "replies_ms": [_r(latency) for _sent, latency in sock.replies(reply)],
            }
        )
    return documents


def socket_metrics(
    sockets: Sequence[Socket],
    declarations: Sequence[Mapping[str, Any]],
    window: tuple[float, float] | None = None,
) -> tuple[Json, dict[str, str]]:
    """``ws.<name>.*`` metrics and the reasons for absent ones, over the run or over
    ``window`` (start, end in ms from the run's start: frames and sockets created within).

    ``connect_ms`` is the first matching socket's; counts and bytes sum every matching
    socket's frames; ``reply_ms`` is the median latency of the sent frames' replies. A
    window without a matching socket's frame or creation gives nothing (and no reasons).
    """

    def inside(t: float | None) -> bool:
        return window is None or (t is not None and window[0] <= t <= window[1])

    metrics: Json = {}
    errors: dict[str, str] = {}
    for decl in declarations:
        prefix = f"ws.{decl['name']}."
        matched = [s for s in sockets if s.url and url_matches(decl["pattern"], s.url)]
        frames = [f for s in matched for f in s.frames if inside(f[1])]
        created = [s for s in matched if inside(s.created)]
        if not matched or (window is not None and not frames and not created):
            if window is None:
                reason = f"no WebSocket matched {decl['pattern']}"
                errors.update({prefix + field: reason for field in WEBSOCKET.field_names()})
            continue
        if created:
            first = created[0]
            if first.connect_ms is None:
                errors[prefix + "connect_ms"] = "the first matching WebSocket never opened"
            else:
                metrics[prefix + "connect_ms"] = first.connect_ms
        for direction, count, size in (
            ("sent", "sent", "sent_bytes"),
            ("received", "received", "received_bytes"),
        ):
            mine = [f for f in frames if f[0] == direction]
            metrics[prefix + count] = len(mine)
            metrics[prefix + size] = sum(f[2] for f in mine)
        latencies = [
            latency
            for s in matched
            for sent, latency in s.replies(decl.get("reply"))
            if inside(sent)
        ]
        if latencies:
            metrics[prefix + "reply_ms"] = _r(statistics.median(latencies))
        elif window is None:
            wanted = decl.get("reply") or "any frame"
            errors[prefix + "reply_ms"] = f"no reply ({wanted}) followed a sent frame"
    return metrics, errors
