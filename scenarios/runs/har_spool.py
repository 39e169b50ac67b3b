"""A HAR on its way to storage, held on disk entry by entry rather than in memory.

An upload is read once (core.har.stream): each entry is checked and pickled into a temporary
file, and only small facts about it stay in memory (where it is, when it started, a digest of
its URL and, for an import, the few fields analysis reads). Storing then reads the entries
back one at a time, repaired and sanitised, into a gzip stream. So the memory a HAR costs is
one entry and its index, not the whole parsed document: a 200 MB HAR no longer takes
gigabytes of one web worker.

The stored HAR is byte for byte the one ``gzip_json(sanitize_har(repair_har(har, records)))``
gives for the same document (tests/scenarios/test_har_spool.py).
"""

import hashlib
import json
import pickle
import secrets
import tempfile
import zlib
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from django.conf import settings

from core.har.analyse import from_memory_cache, repair_har
from core.har.files import HarError, analysed_part, check_entry, check_log
from core.har.redact import sanitize_har
from core.har.stream import HarLimits, HarStream, Readable

GZIP_LEVEL = 6  # core.har.files.gzip_json's


def har_limits() -> HarLimits:
    """The limits of the settings (PERFITE_MAX_HAR_BYTES, …_ENTRIES, …_VALUE_BYTES)."""
    return HarLimits(
        max_bytes=settings.PERFITE_MAX_HAR_BYTES,
        max_entries=settings.PERFITE_MAX_HAR_ENTRIES,
        max_value_bytes=settings.PERFITE_MAX_HAR_VALUE_BYTES,
    )


def _url_key(url: Any) -> bytes:
    return hashlib.blake2b(json.dumps(url).encode(), digest_size=16).digest()


class SpooledHar:
    """A checked HAR: its skeleton (the document with ``log.entries`` empty) in memory, its
    entries in a temporary file (or, for a HAR that was in memory already, in its list).

    ``analysed`` holds each entry's analysed part (core.har.files.analysed_part) when asked
    for at spooling. Close it (or use it as a context manager) to drop the file.
    """

    def __init__(self, skeleton: Any, *, keep_analysed: bool) -> None:
        self.skeleton = skeleton
        self.starts = array("d")
        self._url_keys = bytearray()
        self._spans = array("q")  # offset, length of each pickled entry
        self._file: IO[bytes] | None = None
        self._in_memory: Sequence[Any] | None = None
        self.analysed: list[dict[str, Any]] | None = [] if keep_analysed else None

    def __enter__(self) -> "SpooledHar":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def count(self) -> int:
        """How many entries it holds (no __len__: an empty HAR is still a HAR)."""
        return len(self.starts)

    def _add(self, entry: Any) -> None:
        """Check the next entry and keep it: what it costs in memory is its index only."""
        index = len(self.starts)
        self.starts.append(check_entry(index, entry))
        self._url_keys += _url_key(entry["request"]["url"])
        if self.analysed is not None:
            self.analysed.append(analysed_part(entry))
        if self._in_memory is not None:
            return
        if self._file is None:  # lives as long as this object: close() ends it
            self._file = tempfile.TemporaryFile(prefix="perfite-har-")  # noqa: SIM115
        data = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        self._spans.extend((self._file.tell(), len(data)))
        self._file.write(data)

    def entry(self, index: int) -> Any:
        """The ``index``-th entry of log.entries, as it was read."""
        if self._in_memory is not None:
            return self._in_memory[index]
        assert self._file is not None
        offset, length = self._spans[2 * index], self._spans[2 * index + 1]
        self._file.seek(offset)
        # Safe: the file is this process's own temporary file, pickled just above.
        return pickle.loads(self._file.read(length))

    def url_key(self, index: int) -> bytes:
        return bytes(self._url_keys[16 * index : 16 * index + 16])

    def for_analysis(self) -> dict[str, Any]:
        """The HAR with each entry cut to its analysed part (core.har.analyse reads no more)."""
        if self.analysed is None:
            raise RuntimeError("this HAR was spooled without keep_analysed")
        log = self.skeleton["log"]
        return {**self.skeleton, "log": {**log, "entries": self.analysed}}


def spool_upload(
    upload: Readable,
    *,
    gzipped: bool | None = None,
    size: int | None = None,
    keep_analysed: bool = False,
) -> SpooledHar:
    """Read a HAR upload (gzip or, with ``gzipped=None``, either) into a SpooledHar.

    ``size`` is the upload's size when known: a plain HAR over the limit is then refused
    without reading it. Raises HarError, leaving nothing behind, when the upload is not a
    HAR or is over a limit of :func:`har_limits`.
    """
    limits = har_limits()
    stream = HarStream(upload, limits, gzipped=gzipped)
    if size is not None and size > limits.max_bytes and not stream.gzipped:
        raise HarError(f"HAR larger than {limits.max_bytes} bytes")
    spooled = spool_stream(stream, keep_analysed=keep_analysed)
    try:
        check_log(spooled.skeleton)  # log.entries is the empty list left where they were
    except HarError:
        spooled.close()
        raise
    return spooled


def spool_stream(stream: HarStream, *, keep_analysed: bool = False) -> SpooledHar:
    """Spool the entries of ``stream``, checking each; the skeleton is the stream's whole
    document, not checked (the caller checks the part that is the HAR with check_log).
    Raises HarError, leaving nothing behind, at the first entry that is not one."""
    spooled = SpooledHar({}, keep_analysed=keep_analysed)
    try:
        for entry in stream.entries():
            spooled._add(entry)
    except BaseException:
        spooled.close()
        raise
    spooled.skeleton = stream.skeleton
    return spooled


def spool_document(har: Any, *, keep_analysed: bool = False) -> SpooledHar:
    """A HAR already in memory (a local agent's, a JSON import's) behind the same interface
    and checks; its entries stay where they are."""
    entries = check_log(har)
    if len(entries) > settings.PERFITE_MAX_HAR_ENTRIES:
        raise HarError(f"the HAR has more than {settings.PERFITE_MAX_HAR_ENTRIES} entries")
    skeleton = {**har, "log": {**har["log"], "entries": []}}
    spooled = SpooledHar(skeleton, keep_analysed=keep_analysed)
    spooled._in_memory = entries
    for entry in entries:
        spooled._add(entry)
    return spooled


def _repairable(har: SpooledHar, records: Sequence[Any]) -> list[int] | None:
    """The entries in start order when ``records`` (the result's requests) match them one to
    one by URL, as core.har.analyse.repair_har requires; else None (stored as they came)."""
    # Memory-cache hits have no record (core.har.analyse.from_memory_cache): they go last.
    requests = [i for i in range(har.count) if not from_memory_cache(har.entry(i))]
    order = sorted(requests, key=har.starts.__getitem__)
    if len(order) != len(records):
        return None
    for index, record in zip(order, records, strict=True):
        if not (
            isinstance(record, Mapping)
            and isinstance(record.get("timings"), Mapping)
            and {"transfer_bytes", "duration_ms"} <= record.keys()
            and har.url_key(index) == _url_key(record.get("url"))
        ):
            return None
    return order


def write_stored_har(
    har: SpooledHar,
    records: Sequence[Any],
    secret_names: Iterable[str],
    out: BinaryIO,
) -> int:
    """Write the HAR people download to ``out``, gzipped; return the bytes written.

    The entries are repaired with ``records`` (core.har.analyse.repair_har: timings and wire
    sizes the run's numbers were computed with, in start order) when they match, and
    sanitised (core.har.redact), one at a time.
    """
    names = list(secret_names)
    order = _repairable(har, records)
    clean = sanitize_har(har.skeleton, names)  # pages' titles; log.entries is empty
    marker = f"perfite-entries-{secrets.token_hex(16)}"
    clean["log"]["entries"] = marker
    before, after = json.dumps(clean, separators=(",", ":")).split(json.dumps(marker))
    deflate = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    written = 0

    def put(text: str) -> None:
        nonlocal written
        data = deflate.compress(text.encode())
        written += len(data)
        out.write(data)

    put(before + "[")
    for n, entry in enumerate(_entries(har, order, records)):
        mini = sanitize_har({"log": {"entries": [entry]}}, names)
        put(("," if n else "") + json.dumps(mini["log"]["entries"][0], separators=(",", ":")))
    put("]" + after)
    tail = deflate.flush()
    out.write(tail)
    return written + len(tail)


@dataclass(frozen=True)
class GzippedHar:
    """A HAR as it is stored: gzipped in a temporary file (at its start), and its size."""

    file: IO[bytes]
    size: int


@contextmanager
def gzipped_har(
    har: SpooledHar | Mapping[str, Any], records: Sequence[Any], secret_names: Iterable[str]
) -> Iterator[GzippedHar]:
    """The stored form of ``har`` (see write_stored_har) in a temporary file, for the
    ``with`` block. Raises HarError for a HAR in memory that is not one."""
    spooled = har if isinstance(har, SpooledHar) else spool_document(har)
    with tempfile.TemporaryFile(prefix="perfite-har-gz-") as payload:
        size = write_stored_har(spooled, records, secret_names, payload)
        payload.seek(0)
        yield GzippedHar(payload, size)


def _entries(har: SpooledHar, order: list[int] | None, records: Sequence[Any]) -> Iterator[Any]:
    if order is None:
        yield from (har.entry(i) for i in range(har.count))
        return
    for index, record in zip(order, records, strict=True):
        yield repair_har({"log": {"entries": [har.entry(index)]}}, [record])["log"]["entries"][0]
    repaired = set(order)
    yield from (har.entry(i) for i in range(har.count) if i not in repaired)
