"""core.result.named: the named metrics of a run and of its measured steps, from plain data."""

from typing import Any

import pytest

from core.metrics import CPU, REQUEST, is_known
from core.result.named import (
    DURATIONS,
    LEVELS,
    MAX_USER_NAMES,
    cpu_metrics,
    named_metrics,
    read_user_timings,
    request_metrics,
    user_metrics,
    value_metrics,
)

BASE = 1_700_000_000_000.0  # epoch ms of the run's first navigation start


def snapshot(timings: list[tuple[str, str, float, float]], origin: float = BASE) -> dict[str, Any]:
    """A collector snapshot holding ``(name, entryType, startTime, duration)`` user timings."""
    return {
        "timeOrigin": origin,
        "userTimings": [
            {"name": n, "entryType": k, "startTime": s, "duration": d} for n, k, s, d in timings
        ],
    }


def user(snapshots: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    timings = read_user_timings(snapshots, BASE)
    return user_metrics(timings), [t.document for t in timings]


def test_marks_give_their_time_and_measures_their_duration() -> None:
    metrics, documents = user(
        [snapshot([("Chat start", "mark", 28.94, 0.0), ("init", "measure", 28.94, 237.25)])]
    )
    assert metrics == {"user.chat_start": 28.9, "user.init": 237.2}
    assert documents == [
        {
            "name": "Chat start",
            "metric": "user.chat_start",
            "type": "mark",
            "page": 0,
            "started_ms": 28.9,
            "duration_ms": 0.0,
        },
        {
            "name": "init",
            "metric": "user.init",
            "type": "measure",
            "page": 0,
            "started_ms": 28.9,
            "duration_ms": 237.2,
        },
    ]


def test_a_later_documents_marks_count_from_that_documents_start() -> None:
    metrics, documents = user(
        [snapshot([("a", "mark", 10.0, 0.0)]), snapshot([("b", "mark", 40.0, 0.0)], BASE + 1000)]
    )
    # the metric is the mark's time in its own document; the entry places it in the run
    assert metrics == {"user.a": 10.0, "user.b": 40.0}
    assert [(d["page"], d["started_ms"]) for d in documents] == [(0, 10.0), (1, 1040.0)]


def test_the_earliest_of_a_name_wins_and_only_it_names_its_metric() -> None:
    metrics, documents = user(
        [
            snapshot(
                [
                    ("Chat ready", "mark", 300.0, 0.0),
                    ("chat_ready", "mark", 100.0, 0.0),
                    ("chat ready", "measure", 100.0, 50.0),  # a mark first when they start alike
                    ("chat-ready", "mark", 50.0, 0.0),  # another name: "-" is allowed
                ]
            )
        ]
    )
    assert metrics == {"user.chat-ready": 50.0, "user.chat_ready": 100.0}
    assert [(d["name"], d["metric"]) for d in documents] == [
        ("chat-ready", "user.chat-ready"),
        ("chat_ready", "user.chat_ready"),
        ("chat ready", None),
        ("Chat ready", None),
    ]


def test_names_that_clean_to_nothing_and_negative_measures_give_no_metric() -> None:
    metrics, documents = user(
        [
            snapshot(
                [
                    ("...", "mark", 5.0, 0.0),
                    ("back", "measure", 50.0, -20.0),  # ends before it starts
                    ("back", "mark", 70.0, 0.0),
                ]
            )
        ]
    )
    assert metrics == {"user.back": 70.0}
    assert [(d["name"], d["metric"], d["duration_ms"]) for d in documents] == [
        ("...", None, 0.0),
        ("back", None, -20.0),
        ("back", "user.back", 0.0),
    ]  # in the order they start


def test_at_most_a_hundred_names_per_run_the_first_made() -> None:
    marks = [(f"m{i}", "mark", float(i), 0.0) for i in range(150)]
    metrics, documents = user([snapshot(marks)])
    assert MAX_USER_NAMES == 100
    assert list(metrics) == [f"user.m{i}" for i in range(100)]
    assert [d["metric"] for d in documents[98:102]] == ["user.m98", "user.m99", None, None]
    assert len(documents) == 150  # every timing is listed


def test_page_text_is_cut_and_cleaned_and_entries_without_numbers_are_dropped() -> None:
    snap = snapshot([("x\x00" + "y" * 300, "mark", 1.0, 0.0)])
    snap["userTimings"] += [
        {"name": "nan", "entryType": "mark", "startTime": float("nan"), "duration": 0},
        {"name": "paint", "entryType": "paint", "startTime": 1.0, "duration": 0},
        {"name": "none", "entryType": "measure", "startTime": None, "duration": 3},
    ]
    metrics, documents = user([snap])
    [only] = documents
    assert only["name"] == "x\ufffd" + "y" * 198
    assert only["metric"] == "user.x_" + "y" * 62
    assert metrics == {only["metric"]: 1.0}
    assert is_known(only["metric"])


def test_a_step_has_the_timings_made_in_its_window_first_there_wins() -> None:
    timings = read_user_timings(
        [
            snapshot(
                [
                    ("send start", "mark", 700.0, 0.0),
                    ("reply", "measure", 700.0, 300.0),  # made at 1000: inside
                    ("early", "measure", 100.0, 200.0),  # made at 300: outside
                    ("send start", "mark", 900.0, 0.0),  # a later one of a name already seen
                ]
            )
        ],
        BASE,
    )
    user_metrics(timings)  # the run's first: it picks the run's names
    assert user_metrics(timings, (650.0, 1000.0)) == {"user.send_start": 700.0, "user.reply": 300.0}
    assert user_metrics(timings, (800.0, 950.0)) == {"user.send_start": 900.0}
    assert user_metrics(timings, (2000.0, 3000.0)) == {}


def record(
    url: str,
    method: str = "GET",
    *,
    status: int = 200,
    started: float = 100.0,
    duration: float = 200.0,
    receive: float = 1.5,
    transfer: int = 438,
    failed: bool = False,
    error: str | None = None,
) -> dict[str, Any]:
    """An analysed request record (core.har.analyse) with the fields the named metrics read."""
    return {
        "url": url,
        "method": method,
        "status": status,
        "started_ms": started,
        "duration_ms": duration,
        "timings": {"wait": duration - receive, "receive": receive},
        "transfer_bytes": transfer,
        "failed": failed,
        "error": error,
    }


CHAT = "http://www.example.localhost:8123/api/chats?delay=200"
RECORDS = [
    record("http://www.example.localhost:8123/api/init", started=30.0, duration=231.0),
    record(CHAT, "POST", started=405.0, duration=207.0, receive=1.7, transfer=438),
    record(CHAT, "POST", started=900.0, duration=50.0, transfer=438),
    record(CHAT, "POST", status=500, started=1000.0, duration=20.0, transfer=150),
    record(CHAT, "POST", status=-1, started=1100.0, transfer=0, failed=True, error="net::ERR_X"),
    record(CHAT, "GET", started=1200.0, transfer=999),
]


def test_a_named_request_has_its_first_matchs_timings_and_every_matchs_totals() -> None:
    metrics, errors = request_metrics(
        RECORDS, [{"name": "create_chat", "method": "POST", "pattern": "*/api/chats*"}]
    )
    assert metrics == {
        "request.create_chat.duration_ms": 207.0,
        "request.create_chat.ttfb_ms": 205.3,  # the first match's timings before its body
        "request.create_chat.transfer_bytes": 438 + 438 + 150 + 0,
        "request.create_chat.count": 4,
        "request.create_chat.failed": 2,  # the HTTP 500 and the one without a response
    }
    assert errors == {}


def test_a_glob_spans_the_whole_url_and_re_searches_it() -> None:
    declarations: list[dict[str, Any]] = [
        {"name": "chats", "method": None, "pattern": "*/api/chats"},  # the query left off
        {"name": "any_method", "method": None, "pattern": "*/api/chats?*"},
        {"name": "strict", "method": None, "pattern": "*/api/chats?nothing"},
        {"name": "init", "method": "GET", "pattern": "re:/api/init$"},
    ]
    metrics, errors = request_metrics(RECORDS, declarations)
    assert metrics["request.chats.count"] == 5
    assert metrics["request.any_method.count"] == 5
    assert metrics["request.init.count"] == 1
    assert not any(name.startswith("request.strict.") for name in metrics)
    assert errors["request.strict.count"] == "no request matched */api/chats?nothing"


def test_no_match_leaves_every_field_absent_with_the_reason() -> None:
    metrics, errors = request_metrics(RECORDS, [{"name": "x", "method": "PUT", "pattern": "*"}])
    assert metrics == {}
    assert errors == {f"request.x.{f}": "no request matched PUT *" for f in REQUEST.field_names()}


def test_a_first_match_without_a_response_has_no_timings_but_counts() -> None:
    lost = [record(CHAT, "POST", status=-1, transfer=0, failed=True, error="net::ERR_FAILED")]
    metrics, errors = request_metrics(lost, [{"name": "c", "method": None, "pattern": "*"}])
    assert metrics == {"request.c.transfer_bytes": 0, "request.c.count": 1, "request.c.failed": 1}
    reason = "the first matching request got no response: net::ERR_FAILED"
    assert errors == {"request.c.duration_ms": reason, "request.c.ttfb_ms": reason}


def test_a_step_has_the_requests_started_in_its_window() -> None:
    declarations = [{"name": "c", "method": "POST", "pattern": "*/api/chats*"}]
    metrics, errors = request_metrics(RECORDS, declarations, (850.0, 1050.0))
    assert metrics == {
        "request.c.duration_ms": 50.0,
        "request.c.ttfb_ms": 48.5,
        "request.c.transfer_bytes": 588,
        "request.c.count": 2,
        "request.c.failed": 1,
    }
    assert request_metrics(RECORDS, declarations, (0.0, 10.0)) == ({}, {})  # no reasons in steps
    assert errors == {}


def test_js_values_keep_numbers_and_give_reasons_for_the_rest() -> None:
    values = [
        {"name": "items", "t": BASE + 10, "value": 3},
        {"name": "ratio", "t": BASE + 20, "value": -0.25},
        {"name": "boom", "t": BASE + 30, "error": "TypeError: x is undefined\x00"},
        {"name": "huge", "t": BASE + 40, "value": 2.0**70},
        {"name": "nan", "t": BASE + 50, "value": float("nan")},
        {"name": "flag", "t": BASE + 60, "value": True},
    ]
    metrics, errors = value_metrics(values, BASE)
    assert metrics == {"custom.items": 3, "custom.ratio": -0.25}
    assert errors == {
        "custom.boom": "TypeError: x is undefined\ufffd",
        "custom.huge": "out of range (beyond ±1e+15): 1.1805916207174113e+21",
        "custom.nan": "not a finite number: nan",
        "custom.flag": "not a finite number: True",
    }
    in_window = ({"custom.ratio": -0.25}, {"custom.boom": "TypeError: x is undefined\ufffd"})
    assert value_metrics(values, BASE, (15.0, 35.0)) == in_window


def sample(at: str, t: float, **counters: float) -> dict[str, Any]:
    return {"at": at, "t": BASE + t, **counters}


def counters_at(at: str, t: float, heap: float, script: float, nodes: float = 10) -> dict[str, Any]:
    """A sample of every counter: the durations (seconds) all equal to ``script``."""
    values = {name: script for name in DURATIONS} | {"JSHeapTotalSize": heap * 2}
    return sample(at, t, JSHeapUsedSize=heap, Nodes=nodes, **values)


SAMPLES = [
    counters_at("start", 0.0, 600_000, 0.0),
    counters_at("navigate", 500.0, 3_000_000, 0.120),
    # the next document came in a new renderer: its counters started from 0 again
    counters_at("measure_start", 800.0, 2_000_000, 0.010),
    counters_at("measure_stop", 1500.0, 23_000_000, 0.240),
    counters_at("end", 2000.0, 22_500_000, 0.250, nodes=62),
]


def test_cpu_durations_sum_the_increases_across_a_restart_and_levels_are_the_last() -> None:
    metrics, errors = cpu_metrics({"samples": SAMPLES, "error": None}, BASE)
    spent = round((0.120 + 0.010 + 0.230 + 0.010) * 1000, 1)  # 370.0 ms
    assert metrics == {
        "cpu.js_heap_used_bytes": 22_500_000,
        "cpu.js_heap_total_bytes": 45_000_000,
        "cpu.dom_nodes": 62,
        "cpu.script_ms": spent,
        "cpu.layout_ms": spent,
        "cpu.style_ms": spent,
        "cpu.task_ms": spent,
    }
    assert errors == {}
    assert {*LEVELS.values(), *DURATIONS.values()} == {m.name for m in CPU}


def test_a_steps_cpu_is_the_change_between_the_samples_at_its_edges() -> None:
    metrics, _ = cpu_metrics({"samples": SAMPLES}, BASE, (800.0, 1500.0))
    assert metrics["cpu.script_ms"] == 230.0
    assert metrics["cpu.js_heap_used_bytes"] == 23_000_000
    # a window whose edges were not sampled (a failed read) has no cpu metrics
    assert cpu_metrics({"samples": SAMPLES}, BASE, (790.0, 1500.0)) == ({}, {})
    assert cpu_metrics({"samples": SAMPLES[:3] + SAMPLES[4:]}, BASE, (800.0, 1500.0)) == ({}, {})


def test_counters_that_could_not_be_read_are_absent_with_the_reason() -> None:
    failed = {"samples": [], "error": "no performance counters: 'Performance.enable' wasn't found"}
    metrics, errors = cpu_metrics(failed, BASE)
    assert metrics == {}
    assert errors == {m.name: failed["error"] for m in CPU}
    _, errors = cpu_metrics({"samples": SAMPLES[:-1], "error": None}, BASE)
    assert set(errors.values()) == {"no performance counters as the run ended"}
    assert cpu_metrics(None, BASE) == ({}, {})  # an imported HAR: none were to be read


def test_a_counter_missing_from_a_sample_leaves_its_metric_absent() -> None:
    samples = [sample("start", 0, ScriptDuration=0.0), sample("end", 10, JSHeapUsedSize=5.0)]
    metrics, _ = cpu_metrics({"samples": samples}, BASE)
    assert metrics == {"cpu.js_heap_used_bytes": 5}


def test_named_metrics_measures_the_run_and_each_window() -> None:
    named = named_metrics(
        setup={
            "requests": [{"name": "c", "method": "POST", "pattern": "*/api/chats*"}],
            "websockets": [],
        },
        snapshots=[snapshot([("send start", "mark", 880.0, 0.0)])],
        base=BASE,
        records=RECORDS,
        sockets=[],
        counters={"samples": SAMPLES},
        values=[{"name": "n", "t": BASE + 1400, "value": 1}],
        windows=[(800.0, 1500.0), (3000.0, 4000.0)],
    )
    assert named.metrics["request.c.count"] == 4
    assert named.metrics["user.send_start"] == 880.0
    assert named.metrics["custom.n"] == 1
    assert named.errors == {}
    first, second = named.steps
    assert first["request.c.count"] == 3
    assert (first["user.send_start"], first["custom.n"], first["cpu.script_ms"]) == (
        880.0,
        1,
        230.0,
    )
    assert second == {}
    assert all(is_known(f"step.s.{name}") for name in first)


@pytest.mark.parametrize("window", [None, (0.0, 5000.0)])
def test_nothing_declared_and_nothing_made_gives_nothing(window: Any) -> None:
    named = named_metrics(
        setup={},
        snapshots=[],
        base=BASE,
        records=RECORDS,
        sockets=[],
        counters=None,
        values=[],
        windows=[window] if window else [],
    )
    assert (named.metrics, named.errors, named.user_timings) == ({}, {}, [])
    assert named.steps == ([{}] if window else [])
