"""The support chat's relay at ws://www.example.localhost:PORT/relay, driven by raw clients:
rooms, who comes and goes, each message to the other party no sooner than its delay, in
order; and the chat's pages."""

from __future__ import annotations

import socket
import time
import urllib.request

from demosite import content, websocket
from demosite.server import DemoSite

from .test_websocket import WWW, ws_connect, ws_read

MASK = b"\x01\x02\x03\x04"


def join(site: DemoSite, room: str, role: str, delay: int = 0) -> socket.socket:
    sock, head = ws_connect(site, path=f"/relay?room={room}&role={role}&relay_delay={delay}")
    assert head.startswith(b"HTTP/1.1 101 ")
    return sock


def send(sock: socket.socket, text: str) -> None:
    sock.sendall(websocket.encode_frame(websocket.TEXT, text.encode(), mask=MASK))


def text(sock: socket.socket) -> str:
    opcode, masked, payload = ws_read(sock)
    assert (opcode, masked) == (websocket.TEXT, False)
    return payload.decode()


def test_each_party_hears_of_the_other_and_of_its_leaving(site: DemoSite) -> None:
    with join(site, "presence", "operator") as operator:
        with join(site, "presence", "visitor") as visitor:
            assert text(operator) == "joined:visitor"
            assert text(visitor) == "joined:operator"
            with join(site, "elsewhere", "visitor") as stranger:  # another room: unheard of
                send(stranger, "message:anyone?")
        assert text(operator) == "left:visitor"


def test_a_message_reaches_the_other_party_no_sooner_than_its_delay_and_in_order(
    site: DemoSite,
) -> None:
    with (
        join(site, "delay", "operator", delay=0) as operator,
        join(site, "delay", "visitor", delay=300) as visitor,
    ):
        assert text(operator) == "joined:visitor" and text(visitor) == "joined:operator"
        sent = time.monotonic()
        for n in range(3):
            send(visitor, f"message:{n}")
        assert [text(operator) for _ in range(3)] == ["message:0", "message:1", "message:2"]
        assert time.monotonic() - sent >= 0.3
        send(operator, "message:back")  # the operator's own delay: none
        assert text(visitor) == "message:back"
        visitor.settimeout(0.2)  # the sender never hears its own message
        try:
            extra = visitor.recv(1)
        except TimeoutError:
            extra = b""
        assert extra == b""


def test_a_bad_role_room_or_delay_is_a_400(site: DemoSite) -> None:
    for query in ("room=a&role=admin", "room=a%20b&role=visitor", "role=visitor&relay_delay=x"):
        sock, head = ws_connect(site, path=f"/relay?{query}")
        with sock:
            assert head.startswith(b"HTTP/1.1 400 "), query


def test_each_chat_page_is_its_roles_at_its_exact_size(site: DemoSite) -> None:
    for role in ("operator", "visitor"):
        request = urllib.request.Request(
            f"http://127.0.0.1:{site.port}/support/{role}?room=r&relay_delay=5",
            headers={"Host": WWW},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        assert len(body) == content.SUPPORT_BYTES
        assert f'data-role="{role}"'.encode() in body
