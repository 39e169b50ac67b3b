"""tests.factories: the documents tests use are the real builder's, and say what was asked."""

import pytest

from core.har.analyse import repair_har
from core.har.files import validate_har
from core.result.validate import validate_result
from tests.factories import ADS, STATIC, WWW, Navigation, Task, home_result, measured, page, req


def test_the_home_run_has_the_asked_timings_and_totals_that_add_up() -> None:
    doc = home_result(100.0, ad_ms=30.0, ttfb=12.0)

    assert validate_result(doc) is doc
    metrics = doc["metrics"]
    assert {k: metrics[k] for k in ("ttfb", "fcp", "lcp", "dom_content_loaded", "load")} == {
        "ttfb": 12.0,
        "fcp": 100.0,
        "lcp": 100.0,
        "dom_content_loaded": 95.0,
        "load": 110.0,
    }
    assert [(r["host"], r["duration_ms"], r["render_blocking"]) for r in doc["requests"]] == [
        (WWW, 14.0, False),
        (STATIC, 8.0, True),
        (ADS, 30.0, True),
        (STATIC, 6.0, False),
    ]
    assert (metrics["requests"], metrics["transfer_bytes"]) == (4, 12_200)
    assert (metrics["first_party_bytes"], metrics["third_party_bytes"]) == (4000, 8200)
    assert {h: t["time_ms"] for h, t in doc["hosts"].items()} == {
        WWW: 14.0,
        STATIC: 14.0,
        ADS: 30.0,
    }


def test_blocking_time_after_fcp_is_the_named_scripts() -> None:
    doc = home_result(100.0, blocking=180.0)

    assert (doc["metrics"]["tbt"], doc["metrics"]["third_party_blocking_ms"]) == (180.0, 180.0)
    assert doc["hosts"][ADS]["blocking_ms"] == 180.0
    assert doc["long_tasks"] == [{"started_ms": 100.0, "duration_ms": 230.0}]


def test_the_documents_phases_come_back_through_navigation_timing() -> None:
    phases = {
        "blocked": 1.0,
        "dns": 2.0,
        "connect": 8.0,
        "ssl": 3.0,
        "send": 0.5,
        "wait": 20.0,
        "receive": 5.5,
    }
    doc = page(
        url="https://www.example.localhost/",
        requests=[req(WWW, "/", 0.0, 40.0, kind="document", scheme="https", timings=phases)],
        ttfb=31.5,
    )

    assert doc["requests"][0]["timings"] == phases
    assert {k: doc["metrics"][k] for k in ("dns", "connect", "ttfb")} == {
        "dns": 2.0,
        "connect": 8.0,
        "ttfb": 31.5,
    }


def test_steps_and_later_documents_count_from_the_first_navigation() -> None:
    doc = page(
        fcp=50.0,
        load=80.0,
        steps=[("search", 500.0, 230.5)],
        navigations=[Navigation("http://www.example.localhost/cart", 900.0, fcp=40.0, load=70.0)],
        long_tasks=[Task(60.0, 70.0)],
    )

    assert doc["steps"] == [
        {"name": "search", "started_ms": 500.0, "duration_ms": 230.5, "metrics": {}}
    ]
    assert [(p["started_ms"], p["metrics"]["fcp"], p["metrics"]["load"]) for p in doc["pages"]] == [
        (0.0, 50.0, 80.0),
        (900.0, 40.0, 70.0),
    ]
    assert doc["metrics"]["tbt"] == 20.0  # an unnamed script's blocking still counts


def test_a_request_without_a_response_is_failed_and_moved_no_bytes() -> None:
    doc = page(
        requests=[
            req(WWW, "/", 0.0, 12.0, kind="document"),
            req("cdn.other.localhost", "/x.js", 20.0, 5.0, status=-1, error="net::ERR_FAILED"),
        ]
    )

    failed = doc["requests"][1]
    assert (failed["failed"], failed["error"], failed["transfer_bytes"]) == (
        True,
        "net::ERR_FAILED",
        0,
    )
    assert doc["parties"]["third"]["failed"] == 1


def test_the_har_is_the_one_the_document_was_built_from() -> None:
    result, har = measured(requests=[req(WWW, "/", 0.0, 12.0, kind="document")], ttfb=10.0)

    assert validate_har(har) is har
    repaired = repair_har(har, result["requests"])
    assert [e["time"] for e in repaired["log"]["entries"]] == [12.0]


def test_inconsistent_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="do not add up to 40"):
        req(WWW, "/", 0.0, 40.0, timings={"wait": 30.0})
    with pytest.raises(ValueError, match="outside the document request"):
        page(requests=[req(WWW, "/", 0.0, 12.0, kind="document")], ttfb=20.0)
    document = req(WWW, "/", 0.0, 12.0, kind="document", timings={"wait": 10.0, "receive": 2.0})
    with pytest.raises(ValueError, match="first byte is at 10.0 ms, not 5.0"):
        page(requests=[document], ttfb=5.0)
