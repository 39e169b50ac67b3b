"""Budgets on the median, and the named-metric vocabulary (core/stats/budgets.py)."""

import pytest

from core.stats.budgets import evaluate_budgets, metric_values, validate_budgets
from tests.factories import home_result


def test_named_metrics_cover_page_metrics_and_every_split() -> None:
    values = metric_values(home_result(100.0, ad_ms=30.0))
    assert values["lcp"] == 100.0
    assert values["party.third.transfer_bytes"] == 8200.0
    assert values["party.first.requests"] == 3.0
    assert values["host.ads.other.localhost.time_ms"] == 30.0
    assert values["entity.other.localhost.transfer_bytes"] == 8200.0


def test_budgets_are_judged_on_the_median_of_the_runs() -> None:
    runs = [home_result(f) for f in (100.0, 900.0, 120.0, 110.0, 2000.0)]
    checked = {b.metric: b for b in evaluate_budgets({"lcp": 115, "fcp": 120}, runs)}
    assert checked["lcp"].median == 120.0
    assert checked["lcp"].passed is False
    assert checked["lcp"].message == "lcp: median 120 ms is over the budget of 115 ms"
    assert checked["fcp"].passed is True
    assert checked["fcp"].message == "fcp: median 120 ms is within the budget of 120 ms"


def test_a_split_absent_from_a_run_counts_as_zero() -> None:
    runs = [home_result(100.0), home_result(100.0), home_result(100.0)]
    checked = evaluate_budgets(
        {"type.font.transfer_bytes": 0, "entity.cdn.localhost.requests": 0}, runs
    )
    assert [(b.median, b.n, b.passed) for b in checked] == [(0.0, 3, True), (0.0, 3, True)]


def test_a_budget_no_run_can_be_checked_on_fails() -> None:
    checked = evaluate_budgets({"speed_index": 1000}, [home_result(100.0)])
    assert (checked[0].median, checked[0].passed) == (None, False)
    assert checked[0].message == "speed_index: no run has a value, budget 1,000 ms"


def test_third_party_bytes_budget_fails_when_the_ad_grows() -> None:
    runs = [home_result(100.0)] * 3
    checked = evaluate_budgets(
        {"party.third.transfer_bytes": 8000, "third_party_blocking_ms": 0}, runs
    )
    assert [(b.median, b.passed) for b in checked] == [(8200.0, False), (0.0, True)]


@pytest.mark.parametrize("bad", [{"lcp": "fast"}, {"lcp": -1}, ["lcp"], {"": 3}, {"lcp": True}])
def test_malformed_budgets_are_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        validate_budgets(bad)


def with_named(fcp: float, **named: float) -> dict[str, object]:
    document = home_result(fcp)
    document["metrics"].update(named)
    document["steps"] = [
        {"name": "send", "started_ms": 20.0, "duration_ms": 250.0, "metrics": {"user.sent": 240.0}},
        {"name": "send", "started_ms": 400.0, "duration_ms": 999.0},  # a second "send": not it
        {"name": "idle", "started_ms": 500.0, "duration_ms": None},
    ]
    return document


def test_named_metrics_and_each_steps_duration_and_own_metrics_are_values() -> None:
    values = metric_values(with_named(100.0, **{"request.create_chat.duration_ms": 215.0}))
    assert values["request.create_chat.duration_ms"] == 215.0
    assert {k: v for k, v in values.items() if k.startswith("step.")} == {
        "step.send.duration_ms": 250.0,
        "step.send.user.sent": 240.0,
    }


def test_a_budget_on_a_named_metric_is_judged_on_the_runs_that_measured_it() -> None:
    runs = [
        with_named(100.0, **{"user.checkout_ready": 400.0}),
        with_named(100.0),  # not measured: absent, not 0
        with_named(100.0, **{"user.checkout_ready": 600.0}),
    ]
    budgets = {"user.checkout_ready": 450, "step.send.user.sent": 240, "step.send.duration_ms": 200}
    checked = evaluate_budgets(budgets, runs)
    assert [(b.metric, b.median, b.n, b.passed) for b in checked] == [
        ("user.checkout_ready", 500.0, 2, False),
        ("step.send.user.sent", 240.0, 3, True),
        ("step.send.duration_ms", 250.0, 3, False),
    ]
    assert checked[0].message == "user.checkout_ready: median 500 ms is over the budget of 450 ms"


@pytest.mark.parametrize(
    ("budgets", "reason"),
    [
        (
            {"visual_progress": 1000},
            "budget 'visual_progress': 'visual_progress' is not a metric Perfite knows",
        ),
        ({"user.Ready": 10}, "budget 'user.Ready': invalid metric name 'Ready'"),
    ],
)
def test_a_budget_on_a_name_no_metric_has_is_refused_when_saved(
    budgets: dict[str, float], reason: str
) -> None:
    with pytest.raises(ValueError) as refused:
        validate_budgets(budgets)
    assert str(refused.value).startswith(reason)
    named = {"user.checkout_ready": 1.0, "request.a.count": 2, "step.s.cpu.script_ms": 3}
    assert validate_budgets(named) == {
        "user.checkout_ready": 1.0,
        "request.a.count": 2.0,
        "step.s.cpu.script_ms": 3.0,
    }
