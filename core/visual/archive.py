"""The stored form of a run's frames: one zip file holding ``0.jpg`` … ``<n-1>.jpg``.

Frame ``i`` is entry ``i`` of the result document's ``filmstrip.frames``, which says when it
was shown; the archive holds only the pictures. JPEG is compressed already, so entries are
stored as they are (deflating them again gains nothing), which also makes an entry's size in
the directory its real size: an archive is checked from its directory before anything in it
is read.
"""

import io
import zipfile
from collections.abc import Sequence
from typing import IO

JPEG_MAGIC = b"\xff\xd8\xff"
# Room for the zip's own headers and directory, per entry and once.
ENTRY_OVERHEAD = 128
ARCHIVE_OVERHEAD = 1024


class ArchiveError(ValueError):
    """A filmstrip archive that cannot be stored or read; the message says why."""


def pack(frames: Sequence[bytes]) -> bytes:
    """A zip holding ``frames`` (JPEGs) in order as ``0.jpg``, ``1.jpg`` …"""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, jpeg in enumerate(frames):
            archive.writestr(f"{index}.jpg", jpeg)
    return buffer.getvalue()


def check(data: bytes, count: int, *, max_frames: int, max_bytes: int) -> None:
    """Raise ArchiveError unless ``data`` is an archive of exactly ``count`` JPEG frames
    (``0.jpg`` … in any order of entries), at least one and at most ``max_frames``, holding
    at most ``max_bytes`` of pictures."""
    if count < 1:
        raise ArchiveError("the filmstrip has no frame")
    if count > max_frames:
        raise ArchiveError(f"the filmstrip has {count} frames, more than {max_frames}")
    if len(data) > max_bytes + count * ENTRY_OVERHEAD + ARCHIVE_OVERHEAD:
        raise ArchiveError(f"the filmstrip is larger than {max_bytes} bytes")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = sorted(info.filename for info in infos)
            if names != sorted(f"{index}.jpg" for index in range(count)):
                raise ArchiveError(
                    f"the filmstrip must hold 0.jpg to {count - 1}.jpg, one per frame of the "
                    f"result's filmstrip ({count}), and nothing else"
                )
            if any(info.compress_type != zipfile.ZIP_STORED for info in infos):
                raise ArchiveError("the filmstrip's frames must be stored, not compressed")
            if sum(info.file_size for info in infos) > max_bytes:
                raise ArchiveError(f"the filmstrip's frames hold more than {max_bytes} bytes")
            for info in infos:
                if not archive.read(info).startswith(JPEG_MAGIC):
                    raise ArchiveError(f"the filmstrip's {info.filename} is not a JPEG image")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
        raise ArchiveError(f"the filmstrip is not a readable zip archive: {exc}") from exc


def frame(source: IO[bytes], index: int) -> bytes:
    """The JPEG of frame ``index`` of the archive ``source`` (a seekable binary file);
    ArchiveError when it has no such frame."""
    try:
        with zipfile.ZipFile(source) as archive:
            return archive.read(f"{index}.jpg")
    except KeyError:
        raise ArchiveError(f"the filmstrip has no frame {index}") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise ArchiveError(f"the filmstrip is not a readable zip archive: {exc}") from exc
