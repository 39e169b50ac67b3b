"""The minimal slice of RFC 6455 the demo site needs: handshake key, frame codec.

Enough for an echo endpoint: client frames must be masked, server frames are not,
payloads up to MAX_PAYLOAD bytes, no extensions, no subprotocols.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Protocol

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_PAYLOAD = 1 << 20

CONTINUATION = 0x0
TEXT = 0x1
BINARY = 0x2
CLOSE = 0x8
PING = 0x9
PONG = 0xA

CLOSE_PROTOCOL_ERROR = 1002
CLOSE_TOO_BIG = 1009


class ProtocolError(Exception):
    """The peer broke the protocol; ``code`` is the close status to answer with."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame; ``payload`` is already unmasked."""

    fin: bool
    opcode: int
    payload: bytes


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1((key.strip() + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def valid_client_key(key: str) -> bool:
    """True when ``key`` is base64 of exactly 16 bytes, as RFC 6455 section 4.1 requires."""
    try:
        return len(base64.b64decode(key.strip(), validate=True)) == 16
    except ValueError:
        return False


def apply_mask(payload: bytes, mask: bytes) -> bytes:
    """XOR ``payload`` with the 4-byte ``mask`` repeated (masking and unmasking alike)."""
    if not payload:
        return b""
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    mixed = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return mixed.to_bytes(len(payload), "big")


class Readable(Protocol):
    """A blocking byte stream, such as a socket's buffered reader."""

    def read(self, size: int, /) -> bytes | None: ...


def _read_exact(stream: Readable, size: int) -> bytes | None:
    data = stream.read(size)
    if data is None or len(data) < size:
        return None
    return data


def read_frame(stream: Readable, require_mask: bool = True) -> Frame | None:
    """Read one frame from ``stream``; None when the peer closed the connection.

    Raises ProtocolError for an unmasked client frame (when ``require_mask``), reserved
    bits, or a payload over MAX_PAYLOAD.
    """
    head = _read_exact(stream, 2)
    if head is None:
        return None
    if head[0] & 0x70:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, "reserved bits set")
    fin = bool(head[0] & 0x80)
    opcode = head[0] & 0x0F
    masked = bool(head[1] & 0x80)
    length = head[1] & 0x7F
    if require_mask and not masked:
        raise ProtocolError(CLOSE_PROTOCOL_ERROR, "client frame not masked")
    if length in (126, 127):
        size = 2 if length == 126 else 8
        extended = _read_exact(stream, size)
        if extended is None:
            return None
        length = struct.unpack("!H" if size == 2 else "!Q", extended)[0]
    if length > MAX_PAYLOAD:
        raise ProtocolError(CLOSE_TOO_BIG, "payload too big")
    mask = b""
    if masked:
        read_mask = _read_exact(stream, 4)
        if read_mask is None:
            return None
        mask = read_mask
    payload = _read_exact(stream, length) if length else b""
    if payload is None:
        return None
    return Frame(fin, opcode, apply_mask(payload, mask) if masked else payload)


def encode_frame(opcode: int, payload: bytes, fin: bool = True, mask: bytes = b"") -> bytes:
    """Encode one frame; masked with the 4-byte ``mask`` when given (client side)."""
    first = (0x80 if fin else 0) | opcode
    mask_bit = 0x80 if mask else 0
    length = len(payload)
    if length < 126:
        head = struct.pack("!BB", first, mask_bit | length)
    elif length < 1 << 16:
        head = struct.pack("!BBH", first, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, length)
    if mask:
        return head + mask + apply_mask(payload, mask)
    return head + payload


def close_payload(code: int) -> bytes:
    """Payload of a close frame carrying status ``code`` and no reason."""
    return struct.pack("!H", code)
