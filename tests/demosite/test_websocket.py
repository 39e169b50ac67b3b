"""The WebSocket echo at ws://www.example.localhost:PORT/ws, driven by a raw-socket client."""

from __future__ import annotations

import base64
import socket
import struct

from demosite import websocket
from demosite.server import DemoSite

from .sockets import read_exactly, read_head

WWW = "www.example.localhost"


def ws_connect(
    site: DemoSite, key: str = "dGhlIHNhbXBsZSBub25jZQ==", path: str = "/ws"
) -> tuple[socket.socket, bytes]:
    sock = socket.create_connection(("127.0.0.1", site.port), timeout=10)
    handshake = (
        f"GET {path} HTTP/1.1\r\nHost: {WWW}:{site.port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(handshake.encode("ascii"))
    return sock, read_head(sock)


def ws_read(sock: socket.socket) -> tuple[int, bool, bytes]:
    """(opcode, masked, payload) of the next frame from the server."""
    first, second = read_exactly(sock, 2)
    length = second & 0x7F
    if length == 126:
        length = struct.unpack("!H", read_exactly(sock, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", read_exactly(sock, 8))[0]
    return first & 0x0F, bool(second & 0x80), read_exactly(sock, length)


def test_websocket_handshake_and_echo_with_a_raw_client(site: DemoSite) -> None:
    sock, head = ws_connect(site)
    with sock:
        lines = head.decode("latin-1").split("\r\n")
        assert lines[0] == "HTTP/1.1 101 Switching Protocols"
        # The sample key and accept value of RFC 6455 section 1.3.
        assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in lines
        assert "Upgrade: websocket" in lines
        for message in (b"hello", b"search:shoes"):
            sock.sendall(websocket.encode_frame(websocket.TEXT, message, mask=b"\x01\x02\x03\x04"))
            assert ws_read(sock) == (websocket.TEXT, False, message)
        close = websocket.close_payload(1000)
        sock.sendall(websocket.encode_frame(websocket.CLOSE, close, mask=b"abcd"))
        assert ws_read(sock) == (websocket.CLOSE, False, close)
        assert sock.recv(1) == b""
    (served,) = site.log
    assert (served.host, served.path, served.status, served.body_bytes) == (WWW, "/ws", 101, 0)
    assert served.header_bytes == len(head)
    assert site.ws_messages == ["hello", "search:shoes"]


def test_websocket_echoes_long_payloads_and_answers_pings(site: DemoSite) -> None:
    sock, _head = ws_connect(site)
    with sock:
        for size in (125, 126, 70_000):
            payload = bytes(i % 251 for i in range(size))
            sock.sendall(
                websocket.encode_frame(websocket.BINARY, payload, mask=b"\x09\x08\x07\x06")
            )
            assert ws_read(sock) == (websocket.BINARY, False, payload)
        sock.sendall(websocket.encode_frame(websocket.PING, b"are you there", mask=b"mask"))
        assert ws_read(sock) == (websocket.PONG, False, b"are you there")


def test_websocket_closes_on_an_unmasked_client_frame(site: DemoSite) -> None:
    sock, _head = ws_connect(site)
    with sock:
        sock.sendall(websocket.encode_frame(websocket.TEXT, b"hello"))
        assert ws_read(sock) == (websocket.CLOSE, False, websocket.close_payload(1002))


def test_websocket_endpoint_without_upgrade_is_a_426(site: DemoSite) -> None:
    with socket.create_connection(("127.0.0.1", site.port), timeout=10) as sock:
        sock.sendall(f"GET /ws HTTP/1.1\r\nHost: {WWW}\r\n\r\n".encode("ascii"))
        head = read_head(sock)
    assert head.startswith(b"HTTP/1.1 426 Upgrade Required\r\n")
    assert b"\r\nUpgrade: websocket\r\n" in head


def test_websocket_with_a_malformed_key_is_a_400(site: DemoSite) -> None:
    sock, head = ws_connect(site, key="not-base64-of-16-bytes")
    with sock:
        assert head.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_accept_key_follows_rfc_6455() -> None:
    key = base64.b64encode(bytes(range(16))).decode("ascii")
    assert websocket.valid_client_key(key)
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
