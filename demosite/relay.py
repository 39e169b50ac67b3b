"""The support chat's relay: a WebSocket room where an operator and a visitor talk, every text
frame delivered to the other party a set delay after the relay received it.

A connection to ``/relay?room=R&role=operator|visitor&delay=D`` joins room ``R`` as that role.
Each text frame it sends is delivered, D ms after the relay read it (never sooner), to every
connection of the room with the other role; frames keep their order. The relay itself tells
a room who comes and goes, at once: ``joined:<role>`` to the others when a connection joins
(and to the newcomer, for each connection already there), ``left:<role>`` when one leaves.
Everything else in a frame is the pages' business (demosite/assets/support.html).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from demosite import websocket
from demosite.websocket import Readable

ROLES = ("operator", "visitor")


class Writable(Protocol):
    """A stream frames are written to, such as a socket's writer."""

    def write(self, data: bytes, /) -> object: ...


@dataclass(eq=False)
class Peer:
    """One connection in a room: its role and the stream its frames are written to (one
    writer at a time: the relay's delivery thread and the connection's own thread share it)."""

    role: str
    out: Writable
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, opcode: int, payload: bytes) -> None:
        """Write one frame; a connection that went away is left to its own thread to end."""
        try:
            with self.lock:
                self.out.write(websocket.encode_frame(opcode, payload))
        except (OSError, ValueError):
            pass


class Relay:
    """The rooms of one demo site, and the thread that delivers delayed frames in due order."""

    def __init__(self) -> None:
        self._rooms: dict[str, list[Peer]] = {}
        self._due: list[tuple[float, int, Peer, bytes]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def serve(self, stream: Readable, out: Writable, room: str, role: str, delay_ms: int) -> None:
        """Run one connection of ``room`` as ``role`` until it closes (answering pings at once,
        echoing a close); its text frames go to the other role ``delay_ms`` later."""
        me = Peer(role, out)
        with self._changed:
            others = list(self._rooms.get(room, []))
            self._rooms.setdefault(room, []).append(me)
        for other in others:
            other.send(websocket.TEXT, f"joined:{role}".encode())
            me.send(websocket.TEXT, f"joined:{other.role}".encode())
        try:
            self._read(stream, me, room, delay_ms)
        finally:
            with self._changed:
                self._rooms[room].remove(me)
                left = list(self._rooms[room])
                if not left:
                    del self._rooms[room]
            for other in left:
                other.send(websocket.TEXT, f"left:{role}".encode())

    def _read(self, stream: Readable, me: Peer, room: str, delay_ms: int) -> None:
        while True:
            try:
                frame = websocket.read_frame(stream)
            except websocket.ProtocolError as error:
                me.send(websocket.CLOSE, websocket.close_payload(error.code))
                return
            if frame is None:
                return
            if frame.opcode == websocket.CLOSE:
                me.send(websocket.CLOSE, frame.payload[:2])
                return
            if frame.opcode == websocket.PING:
                me.send(websocket.PONG, frame.payload)
            elif frame.opcode == websocket.TEXT:
                self._later(room, me.role, frame.payload, time.monotonic() + delay_ms / 1000)

    def _later(self, room: str, sender: str, payload: bytes, due: float) -> None:
        with self._changed:
            for peer in self._rooms.get(room, []):
                if peer.role != sender:
                    heapq.heappush(self._due, (due, next(self._order), peer, payload))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._deliver, name="demosite:relay", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def _deliver(self) -> None:
        """Write each frame once it is due, in due order (the relay's own daemon thread)."""
        while True:
            with self._changed:
                while not self._due or self._due[0][0] > time.monotonic():
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._changed.wait(wait)
                _, _, peer, payload = heapq.heappop(self._due)
            peer.send(websocket.TEXT, payload)
