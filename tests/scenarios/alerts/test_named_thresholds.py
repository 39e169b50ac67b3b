"""Thresholds on named metrics (user timings, named requests, JS values, CPU counters,
WebSockets, backend series) and on a measured step's own: read from the stored result
documents, one query per snapshot; a run without the value is left out, never 0."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scenarios.alerts.evaluate import evaluate_after_run
from scenarios.alerts.series import load_snapshot, values
from scenarios.models import Channel, Incident, Run, Scenario, Threshold

from .conftest import MakeRun, Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks: Any) -> Callable[[Run], list[Any]]:
    def run_it(run: Run) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return evaluate_after_run(run.pk, now=run.created_at)

    return run_it


def threshold(scenario: Scenario, metric: str, value: float, **fields: Any) -> Threshold:
    th = Threshold(
        scenario=scenario,
        kind=Threshold.ABSOLUTE,
        metric=metric,
        value=value,
        window_runs=fields.pop("window_runs", 2),
        **fields,
    )
    th.full_clean()
    th.save()
    return th


@pytest.mark.parametrize(
    ("metric", "limit", "fast", "slow", "shown", "limit_text"),
    [
        ("user.checkout_ready", 500, 300.0, 650.0, "user.checkout_ready 650 ms", "500 ms"),
        (
            "request.create_chat.duration_ms",
            250,
            90.0,
            410.0,
            "request.create_chat.duration_ms 410 ms",
            "250 ms",
        ),
        ("custom.cart_items", 0, -5, 3, "custom.cart_items 3", "0"),
        ("cpu.script_ms", 100, 35.0, 120.0, "cpu.script_ms 120 ms", "100 ms"),
        (
            "cpu.js_heap_used_bytes",
            2_000_000,
            1_400_000,
            2_500_000,
            "cpu.js_heap_used_bytes 2.5 MB",
            "2.0 MB",
        ),
        ("ws.chat.reply_ms", 150, 100.0, 180.0, "ws.chat.reply_ms 180 ms", "150 ms"),
        ("backend.api.p95", 200, 150.0, 240.0, "backend.api.p95 240", "200"),
        ("dns", 20, 1.0, 30.0, "dns 30 ms", "20 ms"),  # a page metric without a Run column
    ],
)
def test_a_page_threshold_judges_a_named_metric_from_the_result_document(
    scenario: Scenario,
    make_run: MakeRun,
    evaluate: Any,
    receiver: Receiver,
    eager_celery: None,
    metric: str,
    limit: float,
    fast: float,
    slow: float,
    shown: str,
    limit_text: str,
) -> None:
    """Three fast runs, then two slow: the median of the last 2 crosses at the second."""
    Channel.objects.create(name="hook", kind=Channel.SLACK, target=receiver.url)
    th = threshold(scenario, metric, limit)
    for i in range(3):
        evaluate(make_run(i * 5, result={"metrics": {"lcp": 900.0, metric: fast}}))
    assert Incident.objects.count() == 0
    for i in range(3, 5):
        evaluate(make_run(i * 5, result={"metrics": {"lcp": 900.0, metric: slow}}))
    incident = Incident.objects.get()
    assert (incident.threshold, incident.value) == (th, slow)
    assert [body["text"] for body in receiver.bodies()] == [
        f"ALERT Shop home @ eu: {shown} is above {limit_text} (median of the last 2 runs)"
    ]
    assert "culprits" not in incident.details  # no column history to search


def test_runs_that_did_not_measure_it_are_skipped_never_zero(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    """A run without the value (the request did not happen) is no 0 ms, and no gap either:
    the median of the 3 newest runs that have it is judged (counted as 0, the last 3 runs
    would give 300 ms, under the line)."""
    th = threshold(scenario, "request.create_chat.duration_ms", 350, window_runs=3)
    durations = [400.0, None, 500.0, None, 300.0]
    for i, duration in enumerate(durations):
        measured = {} if duration is None else {"request.create_chat.duration_ms": duration}
        evaluate(make_run(i * 5, result={"metrics": measured}))
        assert Incident.objects.exists() is (i == 4), i
    assert Incident.objects.get().value == 400.0
    snap = load_snapshot(Run.objects.all(), [th])
    assert values(th, snap) == [300.0, 500.0, 400.0]
    assert values(th, snap, runs=2) == [300.0]
    evaluate(make_run(25, result={"metrics": {"request.create_chat.duration_ms": 320.0}}))
    evaluate(make_run(30, result={"metrics": {"request.create_chat.duration_ms": 330.0}}))
    assert Incident.objects.get().resolved_at is not None  # median 320 ms


def test_a_named_metric_judges_the_k_newest_that_have_it_among_three_times_k(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    threshold(scenario, "backend.api_p95", 200, window_runs=2)
    evaluate(make_run(0, result={"metrics": {"backend.api_p95": 900.0}}))
    for i in range(1, 6):
        evaluate(make_run(i * 5, result={"metrics": {}}))
    assert Incident.objects.count() == 0
    evaluate(make_run(30, result={"metrics": {"backend.api_p95": 800.0}}))
    assert Incident.objects.count() == 0  # the 900 is the 7th newest run: beyond 3 x 2
    evaluate(make_run(35, result={"metrics": {"backend.api_p95": 700.0}}))
    assert Incident.objects.get().value == 750.0


def test_a_page_threshold_on_a_steps_metric_becomes_that_steps_threshold(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    th = threshold(scenario, "step.check out.request.pay.duration_ms", 300)
    assert (th.scope, th.key, th.metric) == ("step", "check out", "request.pay.duration_ms")
    assert th.label == "step check out request.pay.duration_ms"

    def steps(pay_ms: float | None) -> dict[str, Any]:
        own = {} if pay_ms is None else {"request.pay.duration_ms": pay_ms, "cpu.script_ms": 9.0}
        return {
            "steps": [
                {"name": "search", "duration_ms": 50.0, "metrics": {"request.pay.duration_ms": 1}},
                {"name": "check out", "duration_ms": 900.0, "metrics": own},
            ]
        }

    for i, pay in enumerate([200.0, None, 450.0, 500.0]):
        evaluate(make_run(i * 5, result=steps(pay)))
    assert Incident.objects.get().value == 475.0
    cpu = threshold(scenario, "cpu.script_ms", 5, scope="step", key="check out", window_runs=1)
    snap = load_snapshot(Run.objects.all(), [cpu])
    assert values(cpu, snap) == [9.0, 9.0, 9.0]  # the run without the step's own: left out


def test_one_query_reads_columns_and_only_the_named_keys_asked_for(
    scenario: Scenario, make_run: MakeRun
) -> None:
    measured = {"lcp": 900.0, "user.a__b": 12.5, "ws.chat.reply_ms": 101.5, "custom.x": 4}
    for i in range(4):
        make_run(i * 5, lcp=900.0, result={"metrics": measured})
    thresholds = [
        threshold(scenario, "lcp", 1000),
        threshold(scenario, "user.a__b", 10),  # "__" would split a lookup path
        threshold(scenario, "ws.chat.reply_ms", 100),
    ]
    with CaptureQueriesContext(connection) as queries:
        snap = load_snapshot(Run.objects.all(), thresholds, limit=3)
    assert len(queries) == 1
    assert "custom.x" not in queries[0]["sql"]
    assert snap.page == {
        "lcp": [900.0] * 3,
        "user.a__b": [12.5] * 3,
        "ws.chat.reply_ms": [101.5] * 3,
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"metric": "visual_progress"},
            "'visual_progress' is not a metric Perfite knows",
        ),
        (
            {"metric": "user.Bad Name"},
            "invalid metric name 'Bad Name': use lower-case letters, digits, '_', '-' and '.' "
            "between them",
        ),
        ({"metric": "request.create_chat"}, "'request.create_chat' is not a metric Perfite knows"),
        ({"metric": "step.pay.backend.x"}, "'step.pay.backend.x' is not a metric Perfite knows"),
        (
            {"scope": "step", "key": "pay", "metric": "backend.api"},
            "'backend.api' is not one of them",
        ),
        (
            {"scope": "host", "key": "cdn.example.com", "metric": "user.x"},
            "'user.x' is not one of them",
        ),
    ],
)
def test_a_metric_a_scope_cannot_judge_is_refused_with_the_reason(
    scenario: Scenario, fields: dict[str, Any], message: str
) -> None:
    th = Threshold(scenario=scenario, **fields)
    with pytest.raises(ValidationError) as refused:
        th.full_clean()
    (problem,) = refused.value.message_dict["metric"]
    assert problem.endswith(message), problem
    scope = fields.get("scope", "page")
    assert problem.startswith(f"{scope} thresholds judge one of: ")


def test_a_name_longer_than_fifty_characters_is_stored_whole(scenario: Scenario) -> None:
    name = "request." + "n" * 64 + ".transfer_bytes"
    th = threshold(scenario, f"step.{'s' * 40}.{name}", 1000)
    th.refresh_from_db()
    assert (th.key, th.metric, len(th.metric)) == ("s" * 40, name, 87)
