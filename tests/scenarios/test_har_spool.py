"""scenarios.runs.har_spool: a HAR stored from a spool, one entry at a time, is byte for byte
the HAR the whole-document path stored (repaired, sanitised, gzipped)."""

import copy
import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.har.analyse import analyse_entries, repair_har
from core.har.files import HarError, analysed_part, gzip_json
from core.har.redact import sanitize_har
from core.result.build import build_result
from scenarios.models import Location, Run, Scenario
from scenarios.runs.har_spool import spool_document, spool_upload
from scenarios.runs.store import store_result

PAGE = "http://www.example.localhost/login?next=/"


def entry(url: str, start: str, kind: str, **response: Any) -> dict[str, Any]:
    return {
        "pageref": "page_1",
        "startedDateTime": start,
        "_resourceType": kind,
        "time": 40.0,
        "request": {
            "method": "POST" if kind == "document" else "GET",
            "url": url,
            "headers": [
                {"name": "Cookie", "value": "sid=c00kie"},
                {"name": "X-Custom-Token", "value": "t0ken"},
                {"name": "Accept", "value": "*/*"},
            ],
            "queryString": [{"name": "access_token", "value": "qs-s3cret"}],
            "cookies": [{"name": "sid", "value": "c00kie"}],
            "postData": {
                "mimeType": "application/x-www-form-urlencoded",
                "text": "user=ann&password=hunter2",
            },
        },
        "response": {
            "status": 200,
            "headers": [{"name": "Set-Cookie", "value": "sid=n3w"}],
            "cookies": [],
            "content": {"size": 1200, "mimeType": "text/html", "text": "<p>body é ✓</p>"},
            "_transferSize": 900,
            **response,
        },
        "timings": {
            "blocked": -1,
            "dns": 3,
            "connect": 5,
            "ssl": 4,
            "send": 1,
            "wait": 20,
            "receive": 7,
        },
    }


def har() -> dict[str, Any]:
    """Three entries, not in start order, full of credentials."""
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "t", "version": "1"},
            "pages": [{"id": "page_1", "title": PAGE + "&token=pt0k", "startedDateTime": "x"}],
            "entries": [
                entry(
                    "http://cdn.example.localhost/a.js?key=k3y",
                    "2026-11-23T10:00:00.300Z",
                    "script",
                    content={"size": 10, "mimeType": "text/javascript"},
                ),
                entry(PAGE, "2026-11-23T10:00:00.000Z", "document"),
                entry(
                    "http://ads.other.localhost/ad.gif",
                    "2026-11-23T10:00:00.200Z",
                    "image",
                    status=0,
                    _failureText="net::ERR_BLOCKED",
                ),
            ],
            "comment": "kept",
        }
    }


NAMES = ["user"]


def old_stored_har(document: dict[str, Any], records: list[dict[str, Any]]) -> bytes:
    """What store_result saved before HARs were spooled: the whole document at once."""
    return gzip_json(sanitize_har(repair_har(document, records), NAMES))


@pytest.fixture
def run(db: None, settings: Any, tmp_path: Path) -> Run:
    settings.MEDIA_ROOT = tmp_path
    scenario = Scenario.objects.create(
        name="Login", slug="login", url=PAGE, paused=True, secret_names=NAMES
    )
    return Run.objects.create(scenario=scenario, location=Location.objects.create(name="l"))


def measured(document: dict[str, Any]) -> dict[str, Any]:
    """The result an agent would deliver for this HAR (its requests in start order)."""
    spec = {"scenario": "login", "url": PAGE, "first_party": []}
    return build_result(
        spec=spec,
        status="succeeded",
        error=None,
        started_at="2026-11-23T10:00:00+00:00",
        finished_at="2026-11-23T10:00:01+00:00",
        browser_version="1",
        har=document,
        snapshots=[],
    )


@pytest.mark.parametrize("how", ["gzip-upload", "plain-upload", "in-memory"])
def test_the_stored_har_is_byte_for_byte_the_whole_document_one(run: Run, how: str) -> None:
    document = har()
    result = measured(document)
    assert result["requests"][0]["url"] == PAGE  # records are in start order: repairs apply
    expected = old_stored_har(copy.deepcopy(document), result["requests"])
    text = json.dumps(document).encode()
    spooled: Any = {
        "gzip-upload": lambda: spool_upload(io.BytesIO(gzip.compress(text)), gzipped=True),
        "plain-upload": lambda: spool_upload(io.BytesIO(text), size=len(text)),
        "in-memory": lambda: document,
    }[how]()
    assert store_result(run.pk, result, spooled) is True
    run.refresh_from_db()
    stored = run.har.read()
    assert stored == expected
    assert run.har_size == len(expected)
    clean = json.loads(gzip.decompress(stored))
    assert [e["request"]["url"] for e in clean["log"]["entries"]] == [
        PAGE,
        "http://ads.other.localhost/ad.gif",
        "http://cdn.example.localhost/a.js?key=%5Bremoved+by+perfite%5D",
    ]
    for secret in ("c00kie", "t0ken", "qs-s3cret", "hunter2", "n3w", "k3y", "pt0k", "ann"):
        assert secret not in stored.decode("latin-1") and secret not in json.dumps(clean)


def test_records_that_do_not_match_leave_the_entries_in_their_order(run: Run) -> None:
    document = har()
    result = measured(document)
    result["requests"] = result["requests"][:2]  # one short: no repair, as before
    expected = old_stored_har(copy.deepcopy(document), result["requests"])
    upload = io.BytesIO(gzip.compress(json.dumps(document).encode()))
    assert store_result(run.pk, result, spool_upload(upload, gzipped=True)) is True
    run.refresh_from_db()
    stored = run.har.read()
    assert stored == expected
    urls = [e["request"]["url"] for e in json.loads(gzip.decompress(stored))["log"]["entries"]]
    assert urls[1] == PAGE


def test_analysis_of_the_analysed_parts_equals_analysis_of_the_entries() -> None:
    document = har()
    slim = {
        "log": {
            **document["log"],
            "entries": [analysed_part(e) for e in document["log"]["entries"]],
        }
    }
    assert analyse_entries(slim, page_url=PAGE) == analyse_entries(document, page_url=PAGE)
    assert slim["log"]["entries"][0] == {
        "startedDateTime": "2026-11-23T10:00:00.300Z",
        "pageref": "page_1",
        "_resourceType": "script",
        "timings": document["log"]["entries"][0]["timings"],
        "request": {"url": "http://cdn.example.localhost/a.js?key=k3y", "method": "GET"},
        "response": {
            "status": 200,
            "_transferSize": 900,
            "content": {"size": 10, "mimeType": "text/javascript"},
        },
    }


def test_a_plain_har_over_the_limit_is_refused_by_its_size_without_reading_it(
    settings: Any,
) -> None:
    settings.PERFITE_MAX_HAR_BYTES = 1000

    class Unread(io.BytesIO):
        def read(self, size: int | None = -1, /) -> bytes:
            data = super().read(size)
            assert self.tell() <= 2, "read beyond the magic bytes"
            return data

    with pytest.raises(HarError) as refused:
        spool_upload(Unread(b"{" + b" " * 5000 + b"}"), size=5002)
    assert str(refused.value) == "HAR larger than 1000 bytes"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (
            {"log": {"entries": [{"request": {"url": "u"}, "response": {}, "startedDateTime": 5}]}},
            "not a HAR: entry 0 has a startedDateTime that is not an ISO 8601 date",
        ),
        (
            {
                "log": {
                    "entries": [
                        {
                            "request": {"url": "u"},
                            "response": {},
                            "startedDateTime": "2024-13-45T00:00:00",
                        }
                    ]
                }
            },
            "not a HAR: entry 0 has a startedDateTime that is not an ISO 8601 date",
        ),
        ({"log": {"entries": 3}}, "not a HAR: log.entries must be a list"),
    ],
    ids=["number", "impossible-date", "entries-not-a-list"],
)
def test_a_har_that_cannot_be_stored_is_refused_streamed_or_not(
    document: dict[str, Any], reason: str
) -> None:
    with pytest.raises(HarError) as in_memory:
        spool_document(document)
    with pytest.raises(HarError) as streamed:
        spool_upload(io.BytesIO(json.dumps(document).encode()))
    assert str(in_memory.value) == str(streamed.value) == reason


def test_too_many_entries_in_memory_are_refused(settings: Any) -> None:
    settings.PERFITE_MAX_HAR_ENTRIES = 2
    with pytest.raises(HarError) as refused:
        spool_document(har())
    assert str(refused.value) == "the HAR has more than 2 entries"


def test_a_json_body_nested_too_deep_to_walk_is_stored_redacted(run: Run) -> None:
    document = har()
    deep = "[" * 100_000 + "]" * 100_000
    post = {"mimeType": "application/json", "text": deep}
    document["log"]["entries"][1]["request"]["postData"] = post
    upload = io.BytesIO(gzip.compress(json.dumps(document).encode()))
    assert store_result(run.pk, measured(document), spool_upload(upload, gzipped=True)) is True
    run.refresh_from_db()
    stored = json.loads(gzip.decompress(run.har.read()))
    assert stored["log"]["entries"][0]["request"]["postData"] == {
        "mimeType": "application/json",
        "text": "[removed by perfite]",
    }
