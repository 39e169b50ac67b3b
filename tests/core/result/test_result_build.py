"""core.result.build: the result document of a run whose page never loaded."""

from typing import Any

from core.result.build import build_result

ERROR_PAGE = {
    "url": "chrome-error://chromewebdata/",
    "timeOrigin": 1_700_000_000_000.0,
    "nav": {"responseStart": 1.9, "domContentLoadedEventEnd": 264.9, "loadEventStart": 271.0},
    "fcp": None,
    "cls": 0,
    "longTasks": [],
    "scripts": [],
    "resources": [],
}
HAR: dict[str, Any] = {
    "log": {
        "entries": [
            {
                "startedDateTime": "2023-11-14T22:13:20.001Z",
                "time": 194.6,
                "_resourceType": "document",
                "request": {"url": "http://nothing-here.invalid/", "method": "GET"},
                "response": {
                    "status": -1,
                    "content": {"size": 0, "mimeType": "x-unknown"},
                    "_failureText": "net::ERR_NAME_NOT_RESOLVED",
                },
                "timings": {"send": 0, "wait": 0, "receive": 194.6},
            }
        ]
    }
}


def test_a_run_that_failed_on_dns_has_no_bytes_and_no_page_timings() -> None:
    result = build_result(
        spec={"url": "http://nothing-here.invalid/", "scenario": "x"},
        status="failed",
        error="net::ERR_NAME_NOT_RESOLVED",
        started_at="2023-11-14T22:13:20Z",
        finished_at="2023-11-14T22:13:21Z",
        browser_version="x",
        har=HAR,
        snapshots=[ERROR_PAGE],
        wire=[{"url": "http://nothing-here.invalid/", "encoded_bytes": 250673, "failed": True}],
    )
    metrics = result["metrics"]
    assert (metrics["requests"], metrics["transfer_bytes"], metrics["body_bytes"]) == (1, 0, 0)
    timings = ("dns", "connect", "ttfb", "fcp", "lcp", "cls", "tbt", "dom_content_loaded", "load")
    assert {name: metrics[name] for name in timings} == dict.fromkeys(timings)
    assert metrics["fully_loaded"] is None
    assert result["pages"] == []
