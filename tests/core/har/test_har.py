"""HAR analysis over hand-made Playwright-shaped HARs: every repair and every total."""

from typing import Any

from core.har.analyse import analyse_entries, attribute_blocking, repair_har, summarise

ORIGIN = 1_700_000_000_000.0  # epoch ms of the first navigation


def entry(
    url: str,
    *,
    at_ms: float,
    status: int = 200,
    size: int = 100,
    transfer: int = 300,
    mime: str = "text/html",
    kind: str = "document",
    timings: dict[str, float] | None = None,
    failure: str | None = None,
) -> dict[str, Any]:
    from datetime import UTC, datetime

    started = (
        datetime.fromtimestamp((ORIGIN + at_ms) / 1000, UTC).isoformat().replace("+00:00", "Z")
    )
    response: dict[str, Any] = {
        "status": status,
        "headers": [],
        "cookies": [],
        "_transferSize": transfer,
        "bodySize": transfer - 100,
        "headersSize": 100,
        "content": {"size": size, "mimeType": mime},
    }
    if failure:
        response["_failureText"] = failure
    return {
        "startedDateTime": started,
        "time": 10,
        "_resourceType": kind,
        "request": {"url": url, "method": "GET", "headers": [], "cookies": []},
        "response": response,
        "timings": timings
        or {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
            "send": 0,
            "wait": 8.0,
            "receive": 2.0,
        },
    }


HAR = {
    "log": {
        "entries": [
            entry("http://www.example.localhost/", at_ms=0, size=1000, transfer=1200),
            entry(
                "http://static.example.localhost/app.css",
                at_ms=20,
                size=4000,
                transfer=4180,
                mime="text/css",
                kind="stylesheet",
                timings={
                    "blocked": 1,
                    "dns": 0.5,
                    "connect": 2.0,
                    "ssl": 3.1,
                    "send": 0,
                    "wait": 5,
                    "receive": 1,
                },
            ),
            entry(
                "http://ads.other.localhost/ad.js",
                at_ms=21,
                size=8000,
                transfer=8190,
                mime="text/javascript",
                kind="script",
            ),
            entry(
                "http://gone.other.localhost/x.png",
                at_ms=30,
                status=-1,
                size=0,
                transfer=0,
                mime="",
                kind="image",
                failure="net::ERR_NAME_NOT_RESOLVED",
            ),
        ]
    }
}
NAV = {
    "domainLookupStart": 1.0,
    "domainLookupEnd": 3.5,
    "connectStart": 3.5,
    "connectEnd": 5.0,
    "secureConnectionStart": 0,
    "requestStart": 5.2,
    "responseStart": 15.2,
    "responseEnd": 17.0,
}


def records(**kwargs: Any) -> list[dict[str, Any]]:
    return analyse_entries(
        HAR, page_url="http://www.example.localhost/", time_origin=ORIGIN, nav=NAV, **kwargs
    )


def test_every_entry_becomes_one_classified_record_in_start_order() -> None:
    out = records()
    assert [(r["host"], r["party"], r["entity"], r["content_class"]) for r in out] == [
        ("www.example.localhost", "first", "example.localhost", "html"),
        ("static.example.localhost", "first", "example.localhost", "css"),
        ("ads.other.localhost", "third", "other.localhost", "js"),
        ("gone.other.localhost", "third", "other.localhost", "image"),
    ]
    assert [r["started_ms"] for r in out] == [0.0, 20.0, 21.0, 30.0]


def test_first_document_takes_dns_connect_and_wait_from_navigation_timing() -> None:
    doc = records()[0]
    assert doc["timings"] == {
        "blocked": 0.0,
        "dns": 2.5,
        "connect": 1.5,
        "ssl": 0.0,
        "send": 0.0,
        "wait": 10.0,
        "receive": 1.8,
    }


def test_ssl_is_zero_on_plain_http_and_minus_one_means_zero() -> None:
    css = records()[1]
    assert css["timings"]["ssl"] == 0.0
    assert css["timings"]["connect"] == 2.0
    assert records()[2]["timings"]["dns"] == 0.0


def test_wire_bytes_from_cdp_replace_playwrights_transfer_size() -> None:
    wire = [{"url": "http://static.example.localhost/app.css", "encoded_bytes": 4190}]
    assert records(wire=wire)[1]["transfer_bytes"] == 4190
    assert records()[1]["transfer_bytes"] == 4180


def test_failed_requests_are_flagged_with_the_browser_error_and_carry_no_body() -> None:
    failed = records()[3]
    assert failed["failed"] is True
    assert failed["error"] == "net::ERR_NAME_NOT_RESOLVED"
    assert failed["body_bytes"] == 0 and failed["status"] == -1


def test_a_request_with_no_response_carries_no_bytes_even_when_the_wire_counted_some() -> None:
    # Chromium's wire count for a name that did not resolve is its own error page.
    wire = [{"url": "http://gone.other.localhost/x.png", "encoded_bytes": 250673, "failed": True}]
    failed = records(wire=wire)[3]
    assert (failed["transfer_bytes"], failed["body_bytes"]) == (0, 0)


def test_a_response_cut_mid_body_keeps_the_bytes_that_arrived() -> None:
    wire = [{"url": "http://ads.other.localhost/ad.js", "encoded_bytes": 3000, "failed": True}]
    cut = records(wire=wire)[2]
    assert (cut["failed"], cut["transfer_bytes"], cut["body_bytes"]) == (True, 3000, 0)


def test_render_blocking_comes_from_resource_timing() -> None:
    resources = [{"name": "http://ads.other.localhost/ad.js", "renderBlockingStatus": "blocking"}]
    out = records(resources=resources)
    assert [r["render_blocking"] for r in out] == [False, False, True, False]


def test_totals_per_party_host_entity_and_class_add_up_exactly() -> None:
    out = records()
    groups = summarise(out, {"http://ads.other.localhost/ad.js": 70.0})
    assert groups["parties"]["first"]["requests"] == 2
    assert groups["parties"]["first"]["body_bytes"] == 5000
    assert groups["parties"]["first"]["transfer_bytes"] == 5380
    assert groups["parties"]["third"] == {
        "requests": 2,
        "failed": 1,
        "body_bytes": 8000,
        "transfer_bytes": 8190,
        "time_ms": 20.0,
        "blocking_ms": 70.0,
    }
    assert groups["entities"]["other.localhost"]["hosts"] == [
        "ads.other.localhost",
        "gone.other.localhost",
    ]
    assert groups["hosts"]["ads.other.localhost"]["blocking_ms"] == 70.0
    assert groups["content_classes"]["js"]["blocking_ms"] == 70.0
    assert set(groups["content_classes"]) == {"html", "css", "js", "image"}


def test_blocking_time_goes_to_the_script_overlapping_the_long_task_most() -> None:
    tasks = [{"start": 100.0, "duration": 150.0}, {"start": 400.0, "duration": 40.0}]
    scripts = [
        {"start": 90.0, "duration": 30.0, "url": "a.js"},
        {"start": 120.0, "duration": 130.0, "url": "b.js"},
    ]
    assert attribute_blocking(tasks, scripts, fcp=50.0) == {"b.js": 100.0}


def test_blocking_before_fcp_does_not_count() -> None:
    tasks = [{"start": 0.0, "duration": 120.0}, {"start": 100.0, "duration": 100.0}]
    # the second task straddles FCP at 150: only its part after FCP beyond 50 ms counts (0)
    assert attribute_blocking(tasks, [], fcp=150.0) == {}
    assert attribute_blocking(tasks, [], fcp=None) == {"": 120.0}


def test_the_repaired_har_carries_the_timings_and_bytes_of_the_records() -> None:
    wire = [{"url": "http://static.example.localhost/app.css", "encoded_bytes": 4190}]
    measured = records(wire=wire)
    repaired = repair_har(HAR, measured)
    entries = repaired["log"]["entries"]
    assert [e["request"]["url"] for e in entries] == [r["url"] for r in measured]
    document, css = entries[0], entries[1]
    assert document["timings"] == {
        "blocked": 0.0,
        "dns": 2.5,
        "connect": 1.5,
        "ssl": 0.0,
        "send": 0.0,
        "wait": 10.0,
        "receive": 1.8,
    }
    assert css["timings"]["ssl"] == 0.0 and css["response"]["_transferSize"] == 4190
    assert [e["time"] for e in entries] == [r["duration_ms"] for r in measured]
    assert all(v >= 0 for e in entries for v in e["timings"].values())
    assert HAR["log"]["entries"][1]["timings"]["ssl"] == 3.1  # the input is not changed


def test_a_har_whose_records_do_not_match_is_left_as_it_was() -> None:
    assert repair_har(HAR, records()[:2]) == HAR
