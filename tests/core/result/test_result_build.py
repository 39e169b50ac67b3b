"""core.result.build: the result document of a run whose page never loaded, and the named
metrics in a document."""

import json
from typing import Any

from core.profiles import BUILTIN
from core.result.build import build_result, unmeasured_result
from core.result.validate import validate_result
from core.visual.filmstrip import Filmstrip, Frame

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


ORIGIN = 1_700_000_000_000.0
PAGE = {
    "url": "http://www.example.localhost:8123/chat",
    "timeOrigin": ORIGIN,
    "nav": {"responseStart": 10.0, "domContentLoadedEventEnd": 20.0, "loadEventStart": 30.0},
    "userTimings": [{"name": "chat ready", "entryType": "mark", "startTime": 266.2, "duration": 0}],
}
WS = "ws://www.example.localhost:8123/ws"


def test_the_named_metrics_reach_the_document_and_no_frame_text_does() -> None:
    setup = {"websockets": [{"name": "chat", "pattern": "*/ws", "reply": None}], "requests": []}
    counters = [
        {"at": "start", "t": ORIGIN - 5, "ScriptDuration": 0.0, "JSHeapUsedSize": 1000.0},
        {"at": "measure_start", "t": ORIGIN + 700, "ScriptDuration": 0.01, "JSHeapUsedSize": 2e6},
        {"at": "measure_stop", "t": ORIGIN + 1600, "ScriptDuration": 0.02, "JSHeapUsedSize": 3e6},
        {"at": "end", "t": ORIGIN + 2000, "ScriptDuration": 0.03, "JSHeapUsedSize": 4e6},
    ]
    result = build_result(
        spec={"url": PAGE["url"], "setup": setup},
        status="succeeded",
        error=None,
        started_at="2023-11-14T22:13:20Z",
        finished_at="2023-11-14T22:13:22Z",
        browser_version="x",
        har=None,
        snapshots=[PAGE],
        ws_events=[
            {"id": "a", "event": "created", "t": ORIGIN + 30, "url": WS},
            {"id": "a", "event": "open", "t": ORIGIN + 60},
            {"id": "a", "event": "sent", "t": ORIGIN + 800, "bytes": 13},
            {"id": "a", "event": "received", "t": ORIGIN + 1101, "bytes": 13, "preview": "secret"},
        ],
        marks=[{"name": "send", "start": ORIGIN + 700, "end": ORIGIN + 1600}],
        counters={"samples": counters, "error": None},
        values=[{"name": "boom", "t": ORIGIN + 900, "error": "TypeError: x is undefined"}],
    )
    validate_result(result)
    named = {k: v for k, v in result["metrics"].items() if "." in k}
    assert named == {
        "user.chat_ready": 266.2,
        "cpu.js_heap_used_bytes": 4_000_000,
        "cpu.script_ms": 30.0,
        "ws.chat.connect_ms": 30.0,
        "ws.chat.sent": 1,
        "ws.chat.received": 1,
        "ws.chat.sent_bytes": 13,
        "ws.chat.received_bytes": 13,
        "ws.chat.reply_ms": 301.0,
    }
    [step] = result["steps"]
    assert step == {
        "name": "send",
        "started_ms": 700.0,
        "duration_ms": 900.0,
        "metrics": {
            "cpu.js_heap_used_bytes": 3_000_000,
            "cpu.script_ms": 10.0,
            "ws.chat.sent": 1,
            "ws.chat.sent_bytes": 13,
            "ws.chat.received": 1,
            "ws.chat.received_bytes": 13,
            "ws.chat.reply_ms": 301.0,
        },
    }
    assert result["user_timings"][0]["metric"] == "user.chat_ready"
    assert result["metric_errors"] == {"custom.boom": "TypeError: x is undefined"}
    assert (result["websockets"][0]["name"], result["websockets"][0]["replies_ms"]) == (
        "chat",
        [301.0],
    )
    assert "secret" not in json.dumps(result)


def test_a_run_that_was_not_measured_has_no_named_metrics_and_is_valid() -> None:
    result = unmeasured_result(
        {"url": "http://x.example/"},
        error="agent failed",
        started_at="2023-11-14T22:13:20Z",
        finished_at="2023-11-14T22:13:21Z",
    )
    validate_result(result)
    assert (result["user_timings"], result["metric_errors"], result["steps"]) == ([], {}, [])


def test_the_document_records_the_specs_profile_with_its_numbers() -> None:
    spec = {"url": "http://x.invalid/", "profile": BUILTIN["3g-fast"].as_spec()}
    result = build_result(
        spec=spec,
        status="failed",
        error="x",
        started_at="2023-11-14T22:13:20Z",
        finished_at="2023-11-14T22:13:21Z",
        browser_version="x",
        har=None,
        snapshots=[],
    )
    unmeasured = unmeasured_result(spec, error="x", started_at="", finished_at="")

    expected = {
        "name": "3g-fast",
        "download_kbps": 1600.0,
        "upload_kbps": 768.0,
        "rtt_ms": 150.0,
        "cpu_slowdown": 1.0,
    }
    assert result["profile"] == unmeasured["profile"] == expected


def test_a_spec_without_a_profile_is_recorded_native_and_a_malformed_one_as_null() -> None:
    native = unmeasured_result({"url": "u"}, error="x", started_at="", finished_at="")
    malformed = unmeasured_result(
        {"url": "u", "profile": {"name": "x"}}, error="x", started_at="", finished_at=""
    )

    assert native["profile"] == BUILTIN["native"].as_spec()
    assert malformed["profile"] is None


FILMED_PAGE = {**ERROR_PAGE, "url": "http://www.example.com/", "fcp": 80.0}
VISUAL = {
    "first_visual_change": 80.0,
    "speed_index": 420.5,
    "visually_complete_85": 600.0,
    "visually_complete_99": 900.0,
    "last_visual_change": 900.0,
}


def build(**extra: Any) -> dict[str, Any]:
    return build_result(
        spec={"url": "http://www.example.com/", "scenario": "x"},
        status="succeeded",
        error=None,
        started_at="2023-11-14T22:13:20Z",
        finished_at="2023-11-14T22:13:21Z",
        browser_version="x",
        har={"log": {"entries": []}},
        snapshots=[FILMED_PAGE],
        **extra,
    )


def test_a_filmstrip_gives_the_visual_metrics_and_its_frames() -> None:
    film = Filmstrip((Frame(0.0, b"a", 0.0), Frame(80.0, b"b", 1.0)), dict(VISUAL))

    result = build(filmstrip=film)

    assert {name: result["metrics"][name] for name in VISUAL} == VISUAL
    assert result["filmstrip"] == {
        "frames": [{"ms": 0.0, "progress": 0.0}, {"ms": 80.0, "progress": 1.0}],
        "error": None,
    }
    assert result["metric_errors"] == {}


def test_a_filmstrip_without_metrics_leaves_them_absent_with_the_reason() -> None:
    film = Filmstrip((Frame(0.0, b"a"),), error="the viewport never changed")

    result = build(filmstrip=film)

    assert not set(VISUAL) & set(result["metrics"])
    assert result["metric_errors"] == dict.fromkeys(VISUAL, "the viewport never changed")
    assert result["filmstrip"]["error"] == "the viewport never changed"


def test_without_a_filmstrip_there_are_no_visual_metrics_and_no_reasons() -> None:
    result = build()

    assert "filmstrip" not in result and result["metric_errors"] == {}
    assert not set(VISUAL) & set(result["metrics"])
