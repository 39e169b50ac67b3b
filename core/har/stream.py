"""A HAR read from a byte stream with bounded memory: its entries one at a time, the rest kept.

A HAR is mostly its ``log.entries``; everything else (creator, pages, browser) is small. The
reader parses the JSON incrementally (ijson, on yajl's C parser when installed) and hands out
each entry as soon as it is complete, so the caller can store it and let it go; what is not
an entry is built into the *skeleton*: the document with ``log.entries`` left empty. Every
limit is checked before more is read: the size once decompressed, the number of entries,
the length of any one value (a response body embedded in the HAR), the nesting depth and the
size of the skeleton. Pure: it reads only the stream the caller opened.
"""

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import ijson

from core.har.files import HarError

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 64 * 1024


class Readable(Protocol):
    """Anything with ``read(n)`` giving bytes: a file, an upload, a request body."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True)
class HarLimits:
    """What one HAR may hold; a HAR over any of them is refused as soon as it is seen."""

    max_bytes: int  # of JSON text, once decompressed
    max_entries: int
    max_value_bytes: int  # of JSON text in one string or number (an embedded body)
    max_depth: int = 64  # HAR nests about 6 deep; embedded JSON is text, not nesting
    max_skeleton_items: int = 100_000  # values outside the entries, all held in memory


def _first_line(exc: Exception) -> str:
    """The reason of a parser error, without the echo of the text around it."""
    reason = exc.args[0] if exc.args else ""
    if isinstance(reason, bytes):
        reason = reason.decode("utf-8", "replace")
    return str(reason).strip().split("\n")[0]


def _too_long(limits: HarLimits) -> HarError:
    return HarError(f"a value in the HAR is longer than {limits.max_value_bytes} bytes")


class _Source:
    """The JSON text of an upload, gunzipped when it is gzip, read in chunks and counted.

    ``read`` refuses to go past ``max_bytes`` in all, or past ``max_value_bytes`` (plus one
    chunk) since the parser last produced an event: a value whose text goes on that long is
    refused before the parser buffers any more of it.
    """

    def __init__(self, raw: Readable, limits: HarLimits, gzipped: bool | None) -> None:
        self._raw = raw
        self._limits = limits
        self._head = raw.read(2)
        self.gzipped = self._head == GZIP_MAGIC if gzipped is None else gzipped
        self._inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS) if self.gzipped else None
        self.total = 0
        self._since_event = 0

    def read(self, size: int = CHUNK) -> bytes:
        if size <= 0:  # ijson reads 0 bytes to learn whether the stream gives bytes or text
            return b""
        data = self._inflate(size) if self._inflater is not None else self._plain(size)
        self.total += len(data)
        self._since_event += len(data)
        if self.total > self._limits.max_bytes:
            once = " once decompressed" if self.gzipped else ""
            raise HarError(f"HAR larger than {self._limits.max_bytes} bytes{once}")
        if self._since_event > self._limits.max_value_bytes + CHUNK:
            raise _too_long(self._limits)
        return data

    def _plain(self, size: int) -> bytes:
        head, self._head = self._head, b""
        return head + self._raw.read(max(size - len(head), 1)) if head else self._raw.read(size)

    def _inflate(self, size: int) -> bytes:
        assert self._inflater is not None
        try:
            while not self._inflater.eof:
                pending = self._inflater.unconsumed_tail
                if not pending:
                    pending, self._head = self._head + self._raw.read(CHUNK), b""
                    if not pending:
                        raise HarError("truncated gzip data")
                out = self._inflater.decompress(pending, size)
                if out:
                    return out
        except zlib.error as exc:
            raise HarError(f"not gzip data: {exc}") from exc
        return b""


class HarStream:
    """One pass over a HAR's JSON text.

    Iterate :meth:`entries` to get each item of ``log.entries`` (as parsed, not checked); once
    it is exhausted, :attr:`skeleton` is the rest of the document, with ``log.entries`` an
    empty list where the entries were (so the keys keep their order). ``at`` is the path of
    keys to the HAR inside a larger document (``("har",)`` for an import's JSON body); the
    skeleton is then that whole document. Raises HarError, naming the reason, for text that
    is not JSON, for a gzip that is not whole, and for anything over ``limits``.
    """

    def __init__(
        self,
        raw: Readable,
        limits: HarLimits,
        *,
        gzipped: bool | None = None,
        at: tuple[str, ...] = (),
    ) -> None:
        self._source = _Source(raw, limits, gzipped)
        self._limits = limits
        self._entries_path = (*at, "log", "entries")
        self.skeleton: Any = None
        self.count = 0

    @property
    def gzipped(self) -> bool:
        return self._source.gzipped

    @property
    def json_bytes(self) -> int:
        """The JSON text read so far (decompressed)."""
        return self._source.total

    def entries(self) -> Iterator[Any]:
        try:
            yield from self._walk()
        except ijson.JSONError as exc:
            raise HarError(f"HAR is not valid JSON: {_first_line(exc)}") from exc

    def _walk(self) -> Iterator[Any]:
        limits, source = self._limits, self._source
        # One frame per open container: [container, its pending key, is it log.entries?]
        stack: list[list[Any]] = []
        entries_seen = inside = False  # inside: log.entries is open
        skeleton_items = 0
        for event, value in ijson.basic_parse(source, buf_size=CHUNK, use_float=True):
            source._since_event = 0  # an event: no value is still being read
            if event == "map_key":
                stack[-1][1] = value
                continue
            if not inside:
                skeleton_items += 1
                if skeleton_items > limits.max_skeleton_items:
                    raise HarError(
                        f"the HAR holds more than {limits.max_skeleton_items} values "
                        "outside its entries"
                    )
            if event == "start_map" or event == "start_array":
                if len(stack) >= limits.max_depth:
                    raise HarError(f"the HAR is nested deeper than {limits.max_depth} levels")
                container: Any = {} if event == "start_map" else []
                is_entries = event == "start_array" and self._at_entries(stack)
                if is_entries:
                    if entries_seen:
                        raise HarError("not a HAR: log has two 'entries' lists")
                    entries_seen = inside = True
                if not (stack and stack[-1][2]):
                    self._attach(stack, container)
                stack.append([container, None, is_entries])
                continue
            if event == "end_map" or event == "end_array":
                frame = stack.pop()
                if frame[2]:
                    inside = False
                if not (stack and stack[-1][2]):
                    continue  # attached when it started
                value = frame[0]
            elif event == "string" and len(value) > limits.max_value_bytes:
                raise _too_long(limits)
            if not stack:
                self.skeleton = value
                continue
            top = stack[-1]
            if top[2]:
                self.count += 1
                if self.count > limits.max_entries:
                    raise HarError(f"the HAR has more than {limits.max_entries} entries")
                yield value
            elif type(top[0]) is dict:
                top[0][top[1]] = value
            else:
                top[0].append(value)

    def _at_entries(self, stack: list[list[Any]]) -> bool:
        """Whether an array starting now is the one at ``_entries_path``: every open container
        is an object, and their pending keys spell the path."""
        path = self._entries_path
        return len(stack) == len(path) and all(
            isinstance(frame[0], dict) and frame[1] == key
            for frame, key in zip(stack, path, strict=True)
        )

    def _attach(self, stack: list[list[Any]], value: Any) -> None:
        if not stack:
            self.skeleton = value
        elif isinstance(stack[-1][0], dict):
            stack[-1][0][stack[-1][1]] = value
        else:
            stack[-1][0].append(value)
