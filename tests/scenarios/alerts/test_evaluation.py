"""Threshold evaluation: median of K, relative baselines, scopes, failures, state changes."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from scenarios.alerts.evaluate import evaluate_after_run
from scenarios.models import Channel, EntityMapping, Incident, Location, Run, Scenario, Threshold
from scenarios.models.alerts import Notification

from .conftest import T0, MakeRun, Receiver


@pytest.fixture
def hook(receiver: Receiver, eager_celery: None) -> Channel:
    return Channel.objects.create(name="hook", kind=Channel.SLACK, target=receiver.url)


@pytest.fixture
def evaluate(django_capture_on_commit_callbacks: Any) -> Callable[[Run], list[Any]]:
    """Evaluate as the task does, with notifications delivered after commit."""

    def run_it(run: Run) -> list[Any]:
        with django_capture_on_commit_callbacks(execute=True):
            return evaluate_after_run(run.pk, now=run.created_at)

    return run_it


def lcp_threshold(scenario: Scenario, **kw: Any) -> Threshold:
    fields = {"kind": Threshold.ABSOLUTE, "metric": "lcp", "value": 2500, "window_runs": 3}
    return Threshold.objects.create(scenario=scenario, **{**fields, **kw})


def texts(receiver: Receiver) -> list[str]:
    return [body["text"] for body in receiver.bodies()]


def test_a_threshold_crossed_for_ten_runs_notifies_once_and_recovery_once(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    series = [2000] * 5 + [3000] * 10 + [2000] * 5
    for i, lcp in enumerate(series):
        evaluate(make_run(i * 5, lcp=lcp))
    assert texts(receiver) == [
        "ALERT Shop home @ eu: lcp 3,000 ms is above 2,500 ms (median of the last 3 runs)",
        "RESOLVED Shop home @ eu: lcp back to 2,000 ms (limit 2,500 ms) after 50 min",
    ]
    incident = Incident.objects.select_related("opened_run", "resolved_run").get()
    assert incident.opened_run is not None and incident.resolved_run is not None
    assert (incident.opened_run.lcp, incident.resolved_run.lcp) == (3000, 2000)
    assert (incident.opened_at, incident.resolved_at) == (
        T0 + timedelta(minutes=30),
        T0 + timedelta(minutes=80),
    )


def test_one_noisy_run_does_not_alert(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    for i, lcp in enumerate([2000, 2100, 9000, 2050, 2000, 8000, 2000]):
        evaluate(make_run(i * 5, lcp=lcp))
    assert Incident.objects.count() == 0
    assert receiver.requests == []


def test_it_does_not_judge_before_k_runs_exist(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario, window_runs=5)
    for i in range(4):
        evaluate(make_run(i * 5, lcp=9000))
    assert Incident.objects.count() == 0
    evaluate(make_run(20, lcp=9000))
    assert Incident.objects.get().value == 9000


def test_thresholds_judge_runs_of_the_scenarios_current_profile_only(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    for i in range(3):  # slow runs under 3g: what 3g is, not a regression of the native page
        assert evaluate(make_run(i * 5, lcp=9000, profile="3g")) == []
    for i in range(3, 6):
        evaluate(make_run(i * 5, lcp=2000))
    assert Incident.objects.count() == 0

    scenario.profile = "3g"
    scenario.save()
    evaluate(make_run(30, lcp=9000, profile="3g"))

    # The 3g history alone (9000 × 3); mixed with the native runs its median would be 2000.
    assert Incident.objects.get().value == 9000


def test_thresholds_judge_runs_of_the_scenarios_current_browser_only(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    for i in range(3):  # Firefox's numbers: what Firefox is, not a regression of the page
        assert evaluate(make_run(i * 5, lcp=9000, browser="firefox")) == []
    for i in range(3, 6):
        evaluate(make_run(i * 5, lcp=2000))
    assert Incident.objects.count() == 0

    scenario.browser = "firefox"
    scenario.save()
    evaluate(make_run(30, lcp=9000, browser="firefox"))

    # Firefox's history alone (9000 × 3); mixed with Chromium's runs its median would be 2000.
    assert Incident.objects.get().value == 9000


def test_an_imported_run_is_judged_with_chromiums_runs(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    evaluate(make_run(0, lcp=3000))
    evaluate(make_run(5, lcp=3100))
    evaluate(make_run(10, lcp=9000, browser="firefox"))  # not judged, not history
    assert Incident.objects.count() == 0

    evaluate(make_run(15, lcp=3200, browser="", kind=Run.KIND_IMPORTED))

    # Chromium's two runs and the imported one; with Firefox's, the last three give 3200.
    assert Incident.objects.get().value == 3100


def test_failed_runs_do_not_count_towards_metric_medians(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario)
    for i, lcp in enumerate([3000, 3000]):
        evaluate(make_run(i * 5, lcp=lcp))
    evaluate(make_run(10, status=Run.FAILED, lcp=None))
    assert Incident.objects.count() == 0
    evaluate(make_run(15, lcp=3000))
    assert Incident.objects.get().value == 3000


def test_relative_threshold_judges_against_the_trailing_median(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    th = lcp_threshold(scenario, kind=Threshold.RELATIVE, value=20, baseline_days=1)
    for i in range(20):
        evaluate(make_run(i * 5, lcp=1900 + (i % 3) * 100))  # 1900, 2000, 2100 …
    for i in range(20, 23):
        evaluate(make_run(i * 5, lcp=2350))  # +17.5 %: under the 20 % line
    assert Incident.objects.count() == 0
    for i in range(23, 26):
        evaluate(make_run(i * 5, lcp=2600))
    th.refresh_from_db()
    assert th.baseline == 2000
    assert texts(receiver) == [
        "ALERT Shop home @ eu: lcp 2,600 ms is more than 20% above its 1-day median 2,000 ms "
        "(limit 2,400 ms, median of the last 3 runs); lcp +350 ms since 2026-11-20 13:40; "
        "no host explains it"
    ]


def test_relative_threshold_waits_for_a_baseline(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario, kind=Threshold.RELATIVE, value=10, baseline_days=1)
    for i in range(5):  # 5 runs: the 3 judged and only 2 older ones
        evaluate(make_run(i * 5, lcp=1000 * (i + 1)))
    assert Incident.objects.count() == 0


def _hosts(ads_ms: float, ga_ms: float = 40.0, js_bytes: int = 1000) -> dict[str, Any]:
    return {
        "hosts": {
            "shop.example.com": {"party": "first", "time_ms": 100.0, "transfer_bytes": 5000},
            "ads.adnet.com": {"time_ms": ads_ms, "transfer_bytes": 2000},
            "www.google-analytics.com": {"time_ms": ga_ms, "transfer_bytes": 300},
        },
        "result": {
            "content_classes": {"js": {"transfer_bytes": js_bytes, "time_ms": 10.0}},
            "steps": [{"name": "search", "started_ms": 900.0, "duration_ms": ads_ms}],
        },
    }


@pytest.mark.parametrize(
    ("scope", "key", "metric", "limit", "slow", "expected"),
    [
        ("host", "ads.adnet.com", "time_ms", 300, {"ads_ms": 900}, 900),
        ("party", "third", "time_ms", 400, {"ads_ms": 900}, 940),
        ("entity", "adnet.com", "time_ms", 300, {"ads_ms": 900}, 900),
        ("entity", "Google Analytics", "time_ms", 100, {"ads_ms": 50, "ga_ms": 250}, 250),
        ("content_class", "js", "transfer_bytes", 5000, {"ads_ms": 50, "js_bytes": 9000}, 9000),
        ("step", "search", "duration_ms", 500, {"ads_ms": 800}, 800),
    ],
)
def test_scoped_thresholds_read_their_scope(
    scenario: Scenario,
    make_run: MakeRun,
    evaluate: Any,
    scope: str,
    key: str,
    metric: str,
    limit: float,
    slow: dict[str, Any],
    expected: float,
) -> None:
    th = Threshold.objects.create(
        scenario=scenario, scope=scope, key=key, metric=metric, value=limit, window_runs=2
    )
    for i in range(3):
        evaluate(make_run(i * 5, lcp=1000, **_hosts(ads_ms=50)))
    assert Incident.objects.count() == 0
    for i in range(3, 5):
        evaluate(make_run(i * 5, lcp=1000, **_hosts(**slow)))
    incident = Incident.objects.get()
    assert (incident.threshold, incident.value) == (th, expected)


def test_user_entity_mapping_groups_hosts_for_entity_thresholds(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    EntityMapping.objects.create(pattern="adnet.com", entity="AdNet", category="ads")
    Threshold.objects.create(
        scenario=scenario, scope="entity", key="AdNet", metric="time_ms", value=300, window_runs=1
    )
    evaluate(make_run(0, lcp=1000, **_hosts(ads_ms=400)))
    assert Incident.objects.get().value == 400


def test_a_host_absent_from_a_run_counts_as_zero(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    Threshold.objects.create(
        scenario=scenario,
        scope="host",
        key="new.tracker.io",
        metric="requests",
        value=0,
        window_runs=1,
    )
    evaluate(make_run(0, lcp=1000, hosts={"shop.example.com": {"requests": 9}}))
    assert Incident.objects.count() == 0
    evaluate(make_run(5, lcp=1000, hosts={"new.tracker.io": {"requests": 4}}))
    assert Incident.objects.get().value == 4


@pytest.mark.parametrize("scope", ["entity", "host", "content_class"])
def test_a_run_that_recorded_no_requests_is_no_data_and_resolves_nothing(
    scenario: Scenario, make_run: MakeRun, evaluate: Any, scope: str
) -> None:
    key, metric = {
        "entity": ("adnet.com", "time_ms"),
        "host": ("ads.adnet.com", "time_ms"),
        "content_class": ("js", "transfer_bytes"),
    }[scope]
    Threshold.objects.create(
        scenario=scenario, scope=scope, key=key, metric=metric, value=300, window_runs=1
    )
    evaluate(make_run(0, lcp=1000, **_hosts(ads_ms=400, js_bytes=1000)))
    assert Incident.objects.get().resolved_at is None
    # A metrics-only import: page numbers, no requests. It says nothing about any host.
    evaluate(make_run(5, lcp=900, kind=Run.KIND_IMPORTED, hosts={}))
    assert Incident.objects.get().resolved_at is None


def test_failure_threshold_alerts_on_a_failing_run_and_resolves_on_success(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    Threshold.objects.create(scenario=scenario, kind=Threshold.FAILURE, window_runs=1)
    evaluate(make_run(0, lcp=1000))
    evaluate(make_run(5, status=Run.TIMED_OUT, error="step 'buy': #buy never appeared\nmore"))
    evaluate(make_run(10, status=Run.FAILED, error="net::ERR_CONNECTION_REFUSED"))
    evaluate(make_run(15, lcp=1000))
    assert texts(receiver) == [
        "ALERT Shop home @ eu fails: 1 of the last 1 runs failed (step 'buy': #buy never appeared)",
        "RESOLVED Shop home @ eu runs succeed again (failing for 10 min)",
    ]


def test_failure_threshold_over_three_runs_ignores_a_single_failure(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    Threshold.objects.create(scenario=scenario, kind=Threshold.FAILURE, window_runs=3)
    statuses = [Run.SUCCEEDED, Run.FAILED, Run.SUCCEEDED, Run.SUCCEEDED, Run.FAILED]
    for i, status in enumerate(statuses):
        evaluate(make_run(i * 5, status=status, error="boom" if status != Run.SUCCEEDED else ""))
    assert Incident.objects.count() == 0
    evaluate(make_run(25, status=Run.FAILED, error="boom"))
    assert Incident.objects.get().value == 2


def test_reminders_repeat_at_the_channel_interval_until_acknowledged(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    hook.reminder_minutes = 30
    hook.save()
    lcp_threshold(scenario, window_runs=1)
    for i in range(20):  # minutes 0..95, crossed all along, opened at minute 0
        evaluate(make_run(i * 5, lcp=3000))
    events = list(Notification.objects.order_by("created_at").values_list("event", flat=True))
    assert events == ["opened", "reminder", "reminder", "reminder"]  # minutes 0, 30, 60, 90
    assert texts(receiver)[1].startswith("STILL OPEN since 2026-11-20 12:00 UTC (now 3,000 ms):")
    Incident.objects.get().acknowledge()
    for i in range(20, 40):
        evaluate(make_run(i * 5, lcp=3000))
    evaluate(make_run(200, lcp=1000))
    events = list(Notification.objects.order_by("created_at").values_list("event", flat=True))
    assert events == ["opened", "reminder", "reminder", "reminder", "resolved"]


def test_a_muted_incident_sends_nothing_not_even_its_recovery(
    scenario: Scenario, make_run: MakeRun, hook: Channel, receiver: Receiver, evaluate: Any
) -> None:
    lcp_threshold(scenario, window_runs=1)
    evaluate(make_run(0, lcp=3000))
    incident = Incident.objects.get()
    incident.mute(minutes=60 * 24 * 365 * 10)
    evaluate(make_run(5, lcp=1000))
    incident.refresh_from_db()
    assert incident.resolved_at is not None
    assert len(receiver.requests) == 1


def test_ci_runs_are_neither_judged_nor_part_of_the_history(
    scenario: Scenario, make_run: MakeRun, evaluate: Any
) -> None:
    lcp_threshold(scenario, window_runs=1)
    evaluate(make_run(0, lcp=9000, kind=Run.KIND_CI))
    evaluate(make_run(5, lcp=1000))
    assert Incident.objects.count() == 0


def test_a_location_threshold_ignores_other_locations(
    scenario: Scenario, make_run: MakeRun, location: Location, evaluate: Any
) -> None:
    other = Location.objects.create(name="us")
    lcp_threshold(scenario, window_runs=1, location=other)
    evaluate(make_run(0, lcp=9000))
    assert Incident.objects.count() == 0


def test_incidents_are_kept_per_location_for_a_global_threshold(
    scenario: Scenario, make_run: MakeRun, location: Location, evaluate: Any
) -> None:
    lcp_threshold(scenario, window_runs=1)
    us = Location.objects.create(name="us")
    evaluate(make_run(0, lcp=9000))
    evaluate(make_run(1, lcp=9000, at=us))
    assert sorted(Incident.objects.values_list("location__name", flat=True)) == ["eu", "us"]


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"scope": "page", "metric": "lcp"}, []),
        ({"scope": "page", "metric": "time_ms"}, ["metric"]),
        ({"scope": "host", "metric": "time_ms"}, ["key"]),
        ({"scope": "party", "key": "second", "metric": "time_ms"}, ["key"]),
        ({"scope": "step", "key": "buy", "metric": "transfer_bytes"}, ["metric"]),
        ({"kind": Threshold.FAILURE, "scope": "step", "metric": "anything"}, []),
    ],
)
def test_threshold_validation_names_the_wrong_field(
    scenario: Scenario, fields: dict[str, Any], errors: list[str]
) -> None:
    from django.core.exceptions import ValidationError

    th = Threshold(scenario=scenario, **fields)
    try:
        th.clean()
        found: list[str] = []
    except ValidationError as exc:
        found = sorted(exc.message_dict)
    assert found == errors
