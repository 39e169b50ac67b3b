"""What a browser cannot measure is absent from its result document, with the reason. Pure."""

from typing import Any

from core.har.analyse import analyse_entries, from_memory_cache, repair_har
from core.result.absent import CAPABILITIES, leave_out, unavailable


def test_only_the_missing_measurements_are_named_and_refusals_are_not() -> None:
    assert unavailable("Chromium", frozenset(CAPABILITIES)) == {}
    assert unavailable("Firefox", frozenset({"dns"})) == {
        "wire_bytes": "Firefox cannot measure bytes on the wire (headers and compression)",
        "long_tasks": "Firefox cannot measure long tasks (so no blocking time)",
        "layout_shift": "Firefox cannot measure layout shifts (so no CLS)",
        "counters": "Firefox cannot measure CPU and heap counters",
        "filmstrip": "Firefox cannot measure a filmstrip (so no visual metrics)",
    }


def test_every_number_that_needs_it_is_null_never_zero() -> None:
    doc: dict[str, Any] = {
        "metrics": {
            "ttfb": 20.0,
            "tbt": 0.0,
            "cls": 0,
            "transfer_bytes": 900,
            "body_bytes": 800,
            "first_party_bytes": 900,
            "third_party_bytes": 0,
            "third_party_blocking_ms": 0.0,
        },
        "requests": [{"url": "http://a/", "transfer_bytes": 900, "body_bytes": 800}],
        "hosts": {"a": {"requests": 1, "transfer_bytes": 900, "blocking_ms": 0.0}},
        "parties": {"first": {"transfer_bytes": 900, "blocking_ms": 0.0}},
        "pages": [{"url": "http://a/", "metrics": {"tbt": 0.0, "cls": 0, "ttfb": 20.0}}],
        "long_tasks": [{"started_ms": 1.0, "duration_ms": 60.0}],
        "metric_errors": {},
    }
    leave_out(doc, unavailable("Firefox", frozenset()))
    metrics = doc["metrics"]
    assert (metrics["ttfb"], metrics["body_bytes"]) == (20.0, 800)
    for name in (
        "tbt",
        "cls",
        "transfer_bytes",
        "first_party_bytes",
        "third_party_bytes",
        "third_party_blocking_ms",
    ):
        assert metrics[name] is None and doc["metric_errors"][name].startswith("Firefox"), name
    assert doc["requests"][0] == {"url": "http://a/", "transfer_bytes": None, "body_bytes": 800}
    assert doc["hosts"]["a"] == {"requests": 1, "transfer_bytes": None, "blocking_ms": None}
    assert doc["parties"]["first"] == {"transfer_bytes": None, "blocking_ms": None}
    assert doc["pages"][0]["metrics"] == {"tbt": None, "cls": None, "ttfb": 20.0}
    assert doc["long_tasks"] == []
    assert set(doc["unavailable"]) == {
        "wire_bytes",
        "long_tasks",
        "layout_shift",
        "counters",
        "filmstrip",
    }
    # visual and CPU metrics were never there: no null placeholders for them
    assert not [m for m in metrics if m.startswith(("visual.", "cpu."))]


def entry(
    url: str, started: str, status: int = 200, body: int = 100, wait: float = 5.0
) -> dict[str, Any]:
    return {
        "startedDateTime": f"2026-11-30T08:00:00.{started}Z",
        "time": 10,
        "request": {"method": "GET", "url": url, "headers": []},
        "response": {
            "status": status,
            "headers": [],
            "headersSize": 0 if body == 0 else 150,
            "bodySize": body,
            "_transferSize": body,
            "content": {"size": body},
        },
        "timings": {"dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": wait, "receive": wait},
        "_resourceType": "image",
    }


def test_a_memory_cache_hit_is_not_a_request_but_stays_in_the_har() -> None:
    first = entry("http://www.example.com/hero.png", "100")
    hit = entry("http://www.example.com/hero.png", "300", body=0, wait=-1)
    failed = entry("http://www.example.com/gone.png", "400", status=-1, body=0, wait=-1)
    assert (from_memory_cache(first), from_memory_cache(hit), from_memory_cache(failed)) == (
        False,
        True,
        False,
    )
    har = {"log": {"entries": [first, hit, failed]}}
    records = analyse_entries(har, page_url="http://www.example.com/")
    assert [r["url"].rsplit("/", 1)[1] for r in records] == ["hero.png", "gone.png"]
    repaired = repair_har(har, records)["log"]["entries"]
    assert [e["startedDateTime"][-4:] for e in repaired] == ["100Z", "400Z", "300Z"]
    assert repaired[2] == hit  # unchanged
