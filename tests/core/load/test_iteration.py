"""core.load.iteration: what an agent reports of an iteration, and the server's check of it."""

from typing import Any

import pytest

from core.load.iteration import IterationError, check_iteration, iteration, iteration_values

RESULT = {
    "status": "succeeded",
    "error": None,
    "metrics": {"ttfb": 120.5, "lcp": 900.0, "cls": None, "user.ready": 300.0},
    "steps": [{"name": "send", "duration_ms": 42.0, "metrics": {"cpu.script_ms": 3.0}}],
    "parties": {"first": {"requests": 3, "transfer_bytes": 1000}},
    "hosts": {"www.example.localhost": {"requests": 3}},
}


def test_an_iteration_keeps_page_named_and_step_values_but_no_split() -> None:
    assert iteration_values(RESULT) == {
        "ttfb": 120.5,
        "lcp": 900.0,
        "user.ready": 300.0,
        "step.send.duration_ms": 42.0,
        "step.send.cpu.script_ms": 3.0,
    }


def test_the_report_of_an_iteration_names_its_user_start_and_duration() -> None:
    failed = {**RESULT, "status": "failed", "error": "x" * 600}
    item = iteration(failed, user=3, started_at="2026-01-01T00:00:00+00:00", duration_ms=1234.56)
    assert item["user"] == 3 and item["duration_ms"] == 1234.6
    assert item["status"] == "failed" and item["error"] == "x" * 500
    assert check_iteration(item)["values"]["lcp"] == 900.0


GOOD: dict[str, Any] = {
    "user": 0,
    "started_at": "2026-01-01T00:00:00+00:00",
    "duration_ms": 10,
    "status": "succeeded",
    "error": "",
    "values": {"ttfb": 1},
}


def test_a_good_iteration_is_kept_with_floats() -> None:
    assert check_iteration(GOOD) == {**GOOD, "duration_ms": 10.0, "values": {"ttfb": 1.0}}


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"user": -1}, "user must be a whole number"),
        ({"user": True}, "user must be a whole number"),
        ({"duration_ms": float("inf")}, "duration_ms must be a finite number"),
        ({"status": "lost"}, "status must be one of"),
        ({"started_at": 5}, "started_at must be"),
        ({"values": {"ttfb": float("nan")}}, "'ttfb' is not a metric name with a finite"),
        ({"values": {"a\x00": 1}}, "is not a metric name"),
        ({"values": {f"m{i}": 1 for i in range(401)}}, "at most 400 metrics"),
        ({"error": 3}, "error must be text"),
    ],
)
def test_anything_else_is_refused_saying_what(change: dict[str, Any], why: str) -> None:
    with pytest.raises(IterationError, match=why):
        check_iteration({**GOOD, **change})
