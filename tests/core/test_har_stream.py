"""core.har.stream: a HAR read entry by entry, every limit refused before reading on."""

import gzip
import io
import json
from typing import Any

import pytest

from core.har.files import HarError
from core.har.stream import CHUNK, HarLimits, HarStream

LIMITS = HarLimits(max_bytes=1_000_000, max_entries=10, max_value_bytes=200_000)


def entry(n: int, **extra: Any) -> dict[str, Any]:
    return {
        "startedDateTime": f"2026-11-23T10:00:0{n}.000Z",
        "request": {"url": f"http://a.test/{n}"},
        "response": {"status": 200},
        **extra,
    }


class Counting(io.BytesIO):
    """An upload that counts what the reader took from it."""

    taken = 0

    def read(self, size: int | None = -1, /) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data


def read_all(data: bytes, limits: HarLimits = LIMITS, **kwargs: Any) -> tuple[Any, list[Any]]:
    stream = HarStream(io.BytesIO(data), limits, **kwargs)
    entries = list(stream.entries())
    return stream.skeleton, entries


def test_entries_come_one_by_one_and_the_rest_keeps_its_key_order() -> None:
    har = {
        "log": {
            "version": "1.2",
            "entries": [entry(1), entry(2)],
            "pages": [{"id": "p1", "title": "x"}],
        },
        "extra": [1, 2.5, None, True],
    }
    skeleton, entries = read_all(json.dumps(har).encode())
    assert entries == [entry(1), entry(2)]
    assert json.dumps(skeleton) == json.dumps(
        {
            "log": {"version": "1.2", "entries": [], "pages": [{"id": "p1", "title": "x"}]},
            "extra": [1, 2.5, None, True],
        }
    )


def test_gzip_is_recognised_by_its_magic_when_not_told() -> None:
    har = {"log": {"entries": [entry(1)]}}
    skeleton, entries = read_all(gzip.compress(json.dumps(har).encode()))
    assert (skeleton, entries) == ({"log": {"entries": []}}, [entry(1)])


def test_the_har_inside_a_larger_document_is_found_at_its_path() -> None:
    body = {"scenario": "s", "har": {"log": {"entries": [entry(1)]}}, "log": {"entries": [5]}}
    skeleton, entries = read_all(json.dumps(body).encode(), at=("har",))
    assert entries == [entry(1)]
    assert skeleton == {"scenario": "s", "har": {"log": {"entries": []}}, "log": {"entries": [5]}}


def test_a_gzip_bomb_is_refused_after_reading_no_more_than_the_limit() -> None:
    bomb = Counting(gzip.compress(b'{"log": {"entries": [' + b" " * 20_000_000 + b"]}}"))
    limits = HarLimits(max_bytes=1_000_000, max_entries=10, max_value_bytes=100_000_000)
    stream = HarStream(bomb, limits, gzipped=True)
    with pytest.raises(HarError) as refused:
        list(stream.entries())
    assert str(refused.value) == "HAR larger than 1000000 bytes once decompressed"
    assert stream.json_bytes <= 1_000_000 + CHUNK  # of 20 MB: it stopped at the limit


def test_too_many_entries_are_refused_at_the_first_one_over() -> None:
    har = {"log": {"entries": [entry(n % 10) for n in range(1000)]}}
    stream = HarStream(io.BytesIO(json.dumps(har).encode()), LIMITS)
    seen: list[Any] = []
    with pytest.raises(HarError) as refused:
        seen.extend(stream.entries())
    assert str(refused.value) == "the HAR has more than 10 entries"
    assert len(seen) == 10


def test_a_value_longer_than_the_limit_is_refused_before_it_is_read_whole() -> None:
    body = "x" * 900_000
    data = Counting(json.dumps({"log": {"entries": [entry(1, body=body)]}}).encode())
    stream = HarStream(data, LIMITS)
    with pytest.raises(HarError) as refused:
        list(stream.entries())
    assert str(refused.value) == "a value in the HAR is longer than 200000 bytes"
    assert data.taken <= 200_000 + 4 * CHUNK  # of 900 kB: the chunks around the limit only


def test_a_value_just_over_the_limit_is_refused_too() -> None:
    har = {"log": {"entries": [entry(1, body="y" * 200_001)]}}
    with pytest.raises(HarError, match="longer than 200000 bytes"):
        read_all(json.dumps(har).encode())


def test_deep_nesting_is_refused() -> None:
    deep = b'{"log": {"entries": [' + b"[" * 100 + b"]" * 100 + b"]}}"
    with pytest.raises(HarError) as refused:
        read_all(deep)
    assert str(refused.value) == "the HAR is nested deeper than 64 levels"


def test_a_huge_skeleton_is_refused() -> None:
    limits = HarLimits(
        max_bytes=10**7, max_entries=10, max_value_bytes=10**6, max_skeleton_items=1000
    )
    har = {"log": {"entries": [], "pages": [{"id": n} for n in range(1000)]}}
    with pytest.raises(HarError, match="more than 1000 values outside its entries"):
        read_all(json.dumps(har).encode(), limits)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{nope", "HAR is not valid JSON"),
        (b'{"log": "\xff\xfe"}', "HAR is not valid JSON"),
        (b"", "HAR is not valid JSON"),
        (b'{"log": {"entries": [], "entries": []}}', "not a HAR: log has two 'entries' lists"),
    ],
    ids=["not-json", "not-utf8", "empty", "two-entries-lists"],
)
def test_text_that_is_not_one_json_har_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(HarError) as refused:
        read_all(data, gzipped=False)
    assert str(refused.value).startswith(reason)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (gzip.compress(b'{"log": {"entries": []}}')[:20], "truncated gzip data"),
        (b"plain text", "not gzip data: Error -3 while decompressing data: incorrect header check"),
        (b"", "truncated gzip data"),
    ],
    ids=["truncated", "plain", "empty"],
)
def test_a_broken_gzip_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(HarError) as refused:
        read_all(data, gzipped=True)
    assert str(refused.value) == reason
