"""The demo site's pages for the named metrics (user timings, memory, the chat client), the
chat's API and the WebSocket echo's delay, over real loopback sockets (no browser)."""

from __future__ import annotations

import time

import pytest

from demosite import content, websocket
from demosite.server import DemoSite

from .test_server import fetch
from .test_websocket import ws_connect, ws_read

pytestmark = pytest.mark.system

WWW = "www.example.localhost"
HTML = "text/html; charset=utf-8"
JSON = "application/json"


@pytest.mark.parametrize(
    ("method", "path", "status", "size", "content_type"),
    [
        ("GET", "/timings?wait=300&extra=17", 200, content.TIMINGS_BYTES, HTML),
        ("GET", "/memory?mib=256&spin=10000", 200, content.MEMORY_BYTES, HTML),
        ("GET", "/chat?api_delay=60000&echo_delay=5&calls=100", 200, content.CHAT_BYTES, HTML),
        ("GET", "/api/init", 200, content.INIT_API_BYTES, JSON),
        ("GET", "/api/init?n=7", 200, content.INIT_API_BYTES, JSON),
        ("POST", "/api/chats", 201, content.CHATS_API_BYTES, JSON),
        ("POST", "/api/messages", 201, content.MESSAGES_API_BYTES, JSON),
    ],
)
def test_each_named_metrics_page_and_endpoint_has_its_exact_size(
    site: DemoSite, method: str, path: str, status: int, size: int, content_type: str
) -> None:
    body = b'{"text": "hi"}' if method == "POST" else None
    reply = fetch(site, WWW, path, method=method, body=body)
    assert (reply.status, len(reply.body), reply.headers["Content-Type"]) == (
        status,
        size,
        content_type,
    )
    assert [(s.method, s.status, s.body_bytes) for s in site.log] == [(method, status, size)]


def test_the_sizes_are_the_documented_ones() -> None:
    sizes = (content.TIMINGS_BYTES, content.MEMORY_BYTES, content.CHAT_BYTES)
    assert sizes == (2000, 2000, 4000)
    api = (content.INIT_API_BYTES, content.CHATS_API_BYTES, content.MESSAGES_API_BYTES)
    assert api == (1024, 256, 128)


@pytest.mark.parametrize(
    "path",
    [
        "/timings?wait=60001",
        "/timings?extra=1001",
        "/memory?mib=257",
        "/memory?spin=x",
        "/chat?calls=101",
        "/chat?echo_delay=-1",
    ],
)
def test_a_page_parameter_out_of_bounds_is_a_400(site: DemoSite, path: str) -> None:
    assert fetch(site, WWW, path).status == 400


def test_the_chat_api_takes_posts_only(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/api/chats")
    assert (reply.status, reply.headers["Allow"]) == (405, "POST")


def test_the_api_delay_parameter_holds_a_post(site: DemoSite) -> None:
    reply = fetch(site, WWW, "/api/chats?delay=200", method="POST", body=b"{}")
    assert reply.seconds >= 0.200
    assert [s.delay_ms for s in site.log] == [200]


def test_the_websocket_echoes_each_frame_after_the_echo_delay(site: DemoSite) -> None:
    sock, head = ws_connect(site, path="/ws?echo_delay=250")
    with sock:
        assert head.startswith(b"HTTP/1.1 101 ")
        for message in (b"message:one", b"message:two"):
            sent = time.monotonic()
            sock.sendall(websocket.encode_frame(websocket.TEXT, message, mask=b"\x01\x02\x03\x04"))
            assert ws_read(sock) == (websocket.TEXT, False, message)
            assert time.monotonic() - sent >= 0.250
        sock.sendall(websocket.encode_frame(websocket.PING, b"p", mask=b"abcd"))
        assert ws_read(sock) == (websocket.PONG, False, b"p")
    assert site.ws_messages == ["message:one", "message:two"]
