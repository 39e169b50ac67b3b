"""Raw-socket reading for the demo site's tests (HTTP heads, exact byte counts)."""

import socket


def read_head(sock: socket.socket) -> bytes:
    """Bytes up to and including the blank line that ends a response head."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        chunk = sock.recv(1)
        assert chunk, f"connection closed after {head!r}"
        head += chunk
    return head


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, f"connection closed after {len(data)} of {size} bytes"
        data += chunk
    return data
