"""core.load.report: per-stage statistics, agents' CPU and memory, the crossing, comparison."""

from typing import Any

from core.load.report import (
    Stage,
    build_report,
    compare_reports,
    crossing,
    percentile,
    stage_report,
)


def ok(ttfb: float, duration: float = 1000.0) -> dict[str, Any]:
    return {"status": "succeeded", "duration_ms": duration, "values": {"ttfb": ttfb}}


FAILED = {"status": "failed", "duration_ms": 50.0, "values": {"ttfb": 9999.0}}


def test_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([float(v) for v in range(1, 21)], 0.95) == 19.05


def test_a_stage_row_counts_iterations_errors_and_throughput() -> None:
    row = stage_report(
        Stage(users=2, seconds=30.0, iterations=[ok(100), ok(300, 2000), ok(200), FAILED])
    )
    assert (row["users"], row["iterations"], row["succeeded"], row["failed"]) == (2, 4, 3, 1)
    assert row["error_rate"] == 0.25
    assert row["throughput"] == 8.0  # 4 iterations in 30 s
    # the failed iteration's numbers are left out
    assert row["metrics"] == {"ttfb": {"median": 200.0, "p95": 290.0, "count": 3}}
    assert row["duration"] == {"median": 1000.0, "p95": 1900.0, "count": 3}


def test_a_stage_still_running_has_no_throughput_yet() -> None:
    row = stage_report(Stage(users=1, iterations=[ok(1)]))
    assert row["seconds"] is None and row["throughput"] is None
    empty = stage_report(Stage(users=1))
    assert empty["error_rate"] is None and empty["metrics"] == {}


def test_agents_cpu_and_memory_per_user_come_from_samples_while_users_ran() -> None:
    samples = [
        {"agent": "a", "cpu_percent": 5.0, "pss_bytes": 100_000, "users": 0},  # before go
        {"agent": "a", "cpu_percent": 60.0, "pss_bytes": 500_000, "users": 4},
        {"agent": "a", "cpu_percent": 95.0, "pss_bytes": 700_000, "users": 4},
        {"agent": "b", "cpu_percent": 20.0, "pss_bytes": 300_000, "users": 2},
    ]
    row = stage_report(
        Stage(users=6, samples=samples, baselines={"a": 100_000, "b": 120_000}), 70.0
    )
    assert row["agents"] == {
        "a": {
            "cpu_mean": 77.5,
            "cpu_max": 95.0,
            "pss_bytes": 700_000,
            "users": 4,
            "pss_per_user": 150_000.0,
            "saturated": True,
        },
        "b": {
            "cpu_mean": 20.0,
            "cpu_max": 20.0,
            "pss_bytes": 300_000,
            "users": 2,
            "pss_per_user": 90_000.0,
            "saturated": False,
        },
    }
    assert row["cpu_percent"] == 77.5
    assert row["pss_per_user"] == 130_000.0  # (600,000 + 180,000) / 6
    assert row["saturated"] == ["a"]


def test_memory_per_user_is_unknown_without_every_agents_baseline() -> None:
    samples = [{"agent": "a", "cpu_percent": 1.0, "pss_bytes": 10, "users": 1}]
    row = stage_report(Stage(users=1, samples=samples))
    assert row["agents"]["a"]["pss_per_user"] is None and row["pss_per_user"] is None


def test_the_crossing_is_the_first_stage_over_the_limit() -> None:
    rows = [
        stage_report(Stage(users=1, iterations=[ok(100), ok(120)])),
        stage_report(Stage(users=4, iterations=[ok(400), ok(480)])),
        stage_report(Stage(users=8, iterations=[ok(900), ok(1900)])),
    ]
    assert crossing(rows, "ttfb", "median", 500.0) == {"stage": 2, "users": 8, "value": 1400.0}
    assert crossing(rows, "ttfb", "p95", 450.0) == {"stage": 1, "users": 4, "value": 476.0}
    assert crossing(rows, "ttfb", "p95", 5000.0) is None
    assert crossing(rows, "ttfb", "p95", None) is None
    assert crossing(rows, "lcp", "p95", 1.0) is None  # never measured: nothing crossed


def test_a_stage_where_every_iteration_failed_crosses_any_limit() -> None:
    rows = [
        stage_report(Stage(users=1, iterations=[ok(100)])),
        stage_report(Stage(users=2, iterations=[FAILED, FAILED])),
    ]
    assert crossing(rows, "ttfb", "median", 10_000.0) == {"stage": 1, "users": 2, "value": None}


def test_the_report_lists_every_metric_and_answers_the_question() -> None:
    report = build_report(
        [
            Stage(users=1, seconds=10, iterations=[ok(100)]),
            Stage(
                users=2,
                seconds=10,
                iterations=[{"status": "succeeded", "duration_ms": 1, "values": {"lcp": 5}}],
            ),
        ],
        metric="ttfb",
        statistic="median",
        limit=50.0,
    )
    assert report["metrics"] == ["lcp", "ttfb"]
    assert [row["users"] for row in report["stages"]] == [1, 2]
    assert report["crossed"] == {"stage": 0, "users": 1, "value": 100.0}
    assert (report["metric"], report["statistic"], report["limit"]) == ("ttfb", "median", 50.0)


def test_two_load_tests_compare_per_number_of_users() -> None:
    now = build_report(
        [Stage(users=1, iterations=[ok(100)]), Stage(users=4, iterations=[ok(400)])],
        metric="ttfb",
        statistic="median",
        limit=None,
    )
    then = build_report(
        [Stage(users=1, iterations=[ok(150)]), Stage(users=8, iterations=[ok(900)])],
        metric="ttfb",
        statistic="median",
        limit=None,
    )
    assert compare_reports(now, then, "ttfb", "median") == [
        {"users": 1, "current": 100.0, "earlier": 150.0, "change": -50.0},
        {"users": 4, "current": 400.0, "earlier": None, "change": None},
        {"users": 8, "current": None, "earlier": 900.0, "change": None},
    ]
