"""core.visual.archive: the stored frames, and what an upload must be to be stored."""

import io
import zipfile

import pytest

from core.visual.archive import ArchiveError, check, frame, pack

from .images import BLACK, TOP_LEFT, painted

JPEG_A = painted(fmt="JPEG")
JPEG_B = painted((TOP_LEFT, BLACK), fmt="JPEG")
LIMITS = {"max_frames": 10, "max_bytes": 100_000}


def test_packed_frames_come_back_by_index() -> None:
    data = pack([JPEG_A, JPEG_B])
    check(data, 2, **LIMITS)
    assert frame(io.BytesIO(data), 0) == JPEG_A
    assert frame(io.BytesIO(data), 1) == JPEG_B
    with pytest.raises(ArchiveError, match="no frame 2"):
        frame(io.BytesIO(data), 2)


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "count", "reason"),
    [
        (b"PK\x03\x04 not a zip", 1, "not a readable zip"),
        (pack([JPEG_A]), 2, "must hold 0.jpg to 1.jpg"),
        (pack([JPEG_A, JPEG_B]), 1, "must hold 0.jpg to 0.jpg"),
        (_zip({"0.jpg": JPEG_A, "../1.jpg": JPEG_B}), 2, "must hold"),
        (_zip({"0.jpg": JPEG_A}, zipfile.ZIP_DEFLATED), 1, "stored, not compressed"),
        (_zip({"0.jpg": b"\x89PNG\r\n\x1a\n"}), 1, "0.jpg is not a JPEG"),
        (pack([JPEG_A] * 11), 11, "11 frames, more than 10"),
        (pack([]), 0, "no frame"),
    ],
)
def test_a_malformed_archive_is_refused_with_the_reason(
    data: bytes, count: int, reason: str
) -> None:
    with pytest.raises(ArchiveError, match=reason):
        check(data, count, **LIMITS)


def test_frames_holding_more_than_the_byte_limit_are_refused() -> None:
    data = pack([JPEG_A, JPEG_B])
    check(data, 2, max_frames=10, max_bytes=len(JPEG_A) + len(JPEG_B))
    with pytest.raises(ArchiveError, match="more than"):
        check(data, 2, max_frames=10, max_bytes=len(JPEG_A) + len(JPEG_B) - 1)
