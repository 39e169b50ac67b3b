"""The agents' side of a load test on the server: claims, reports (go, stop, batches), stages
moved on, the report kept, cancelling, and the watch that fails a stuck test saying why."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.load.plan import CONTINUOUS, Plan
from scenarios.load import stages
from scenarios.load.shares import ReportRefused, ShareElsewhere, claim_share, record_report
from scenarios.models import LoadIteration, LoadSample, LoadShare, LoadTest, Location, Scenario

from .conftest import live_agent

pytestmark = pytest.mark.django_db

PLAN = Plan(CONTINUOUS, (1, 3), iterations=1, metric="ttfb", statistic="median", limit=150.0)
AT = "2026-12-01T10:00:00+00:00"


def it(user: int, ttfb: float, status: str = "succeeded") -> dict[str, Any]:
    return {
        "user": user,
        "started_at": AT,
        "duration_ms": 1000.0,
        "status": status,
        "error": "",
        "values": {"ttfb": ttfb},
    }


def sample(users: int, cpu: float = 40.0, pss: int = 300_000_000) -> dict[str, Any]:
    return {"at": AT, "cpu_percent": cpu, "pss_bytes": pss, "users": users}


@pytest.fixture
def two_agents(lab: Location) -> None:
    live_agent(lab, "lab-1", 2)
    live_agent(lab, "lab-2", 1)


def report(share: LoadShare, batch: int, phase: str, **body: Any) -> dict[str, Any]:
    return record_report(share.pk, share.agent_name, {"batch": batch, "phase": phase, **body})


def test_only_the_agent_a_share_was_planned_for_claims_it_and_only_once(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest]
) -> None:
    test = start(scenario, PLAN)
    share = test.shares.get()
    with pytest.raises(ShareElsewhere, match=f"share {share.pk} is planned for agent lab-1"):
        claim_share(share.pk, "lab-2")
    work = claim_share(share.pk, "lab-1")
    assert work is not None
    assert {k: v for k, v in work.items() if k != "spec"} == {
        "share": share.pk,
        "load_test": test.pk,
        "stage": 0,
        "users": 1,
        "first_user": 0,
        "kind": "continuous",
        "seconds": None,
        "iterations": 1,
        "report_every": 1.0,
        "start_within": 180,
    }
    assert work["spec"] == test.spec
    assert claim_share(share.pk, "lab-1") is None  # a redelivered task finds nothing to do


def test_a_stage_goes_when_every_share_is_claimed_and_the_next_follows_the_last_done(
    scenario: Scenario,
    two_agents: None,
    start: Callable[..., LoadTest],
    sent: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    test = start(scenario, PLAN)
    first = test.shares.get()
    claim_share(first.pk, "lab-1")
    assert report(first, 1, "ready", baseline_pss_bytes=200_000_000) == {
        "go": True,
        "stop": False,
        "reason": "",
    }
    report(first, 2, "running", iterations=[it(0, 100.0)], samples=[sample(1)])
    with django_capture_on_commit_callbacks(execute=True):  # the next stage's shares go out
        report(first, 3, "done", outcome="done", samples=[sample(1, 60.0, 320_000_000)])
    test.refresh_from_db()
    assert (test.stage, test.status, len(sent)) == (1, LoadTest.RUNNING, 3)
    one, two = test.shares.filter(stage=1).order_by("agent_name")
    assert [(s.agent_name, s.users, s.first_user) for s in (one, two)] == [
        ("lab-1", 2, 0),
        ("lab-2", 1, 2),
    ]
    claim_share(one.pk, "lab-1")
    assert report(one, 1, "ready") == {
        "go": False,
        "stop": False,
        "reason": "waiting for the stage's other agents",
    }
    claim_share(two.pk, "lab-2")
    assert report(two, 1, "ready")["go"] is True
    assert report(one, 2, "ready")["go"] is True
    report(one, 3, "done", outcome="done", iterations=[it(0, 200.0), it(1, 400.0)])
    report(two, 2, "done", outcome="done", iterations=[it(2, 300.0, "failed")])
    test.refresh_from_db()
    assert test.status == LoadTest.DONE and test.error == ""
    assert test.report is not None
    rows = test.report["stages"]
    assert [(r["users"], r["iterations"], r["succeeded"], r["error_rate"]) for r in rows] == [
        (1, 1, 1, 0.0),
        (3, 3, 2, 1 / 3),
    ]
    assert [r["metrics"]["ttfb"]["median"] for r in rows] == [100.0, 300.0]
    assert rows[0]["agents"]["lab-1"]["cpu_mean"] == 50.0
    assert rows[0]["pss_per_user"] == 120_000_000.0
    assert test.report["crossed"] == {"stage": 1, "users": 3, "value": 300.0}


def test_a_batch_sent_again_is_stored_once(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest]
) -> None:
    share = start(scenario, PLAN).shares.get()
    claim_share(share.pk, "lab-1")
    report(share, 1, "ready")
    for _ in range(2):
        report(share, 2, "running", iterations=[it(0, 100.0)], samples=[sample(1)])
    assert (LoadIteration.objects.count(), LoadSample.objects.count()) == (1, 1)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"batch": 0, "phase": "ready"}, "batch must be a whole number from 1"),
        ({"batch": 1, "phase": "flying"}, "phase must be ready, running or done"),
        ({"batch": 1, "phase": "running", "iterations": [{"user": -1}]}, "iteration: user"),
        ({"batch": 1, "phase": "running", "samples": [{"at": AT}]}, "a sample is"),
        ({"batch": 1, "phase": "done", "outcome": "won"}, "outcome must be one of"),
    ],
)
def test_a_malformed_report_is_refused_storing_nothing(
    scenario: Scenario,
    two_agents: None,
    start: Callable[..., LoadTest],
    body: dict[str, Any],
    why: str,
) -> None:
    share = start(scenario, PLAN).shares.get()
    claim_share(share.pk, "lab-1")
    with pytest.raises(ReportRefused, match=why):
        record_report(share.pk, "lab-1", {"iterations": [it(0, 1.0)], **body})
    assert LoadIteration.objects.count() == 0


def test_a_report_of_another_agents_or_unclaimed_share_is_refused(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest]
) -> None:
    share = start(scenario, PLAN).shares.get()
    with pytest.raises(ReportRefused, match="has not been claimed"):
        record_report(share.pk, "lab-1", {"batch": 1, "phase": "ready"})
    with pytest.raises(ReportRefused, match="is not one of agent lab-2's"):
        record_report(share.pk, "lab-2", {"batch": 1, "phase": "ready"})


def test_a_cancelled_test_tells_its_agents_to_stop_and_keeps_what_came_after(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest]
) -> None:
    test = start(scenario, PLAN)
    share = test.shares.get()
    claim_share(share.pk, "lab-1")
    report(share, 1, "ready")
    stages.cancel(test.pk, "cancelled by ann")
    answer = report(share, 2, "running", iterations=[it(0, 100.0)])
    assert answer == {"go": False, "stop": True, "reason": "the load test is cancelled"}
    report(share, 3, "done", outcome="stopped", iterations=[it(0, 120.0)])
    test.refresh_from_db()
    share.refresh_from_db()
    assert (test.status, test.error, share.status) == (
        LoadTest.CANCELLED,
        "cancelled by ann",
        LoadShare.STOPPED,
    )
    assert test.report is not None and test.report["stages"][0]["iterations"] == 2
    assert stages.cancel(test.pk, "again").error == "cancelled by ann"


def test_the_watch_fails_a_share_nobody_took_and_an_agent_gone_silent(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest], settings: Any
) -> None:
    settings.PERFITE_LOAD_START_TIMEOUT_S = 60
    settings.PERFITE_LOAD_SILENT_AFTER_S = 30
    test = start(scenario, PLAN)
    assert stages.watch_all() == 1
    LoadShare.objects.update(created_at=timezone.now() - timedelta(seconds=61))
    assert stages.advance(test.pk).error == (
        "stage 1: the share of 1 users planned for agent lab-1 was not taken within 60 s "
        "(is the agent busy, or gone?)"
    )
    other = start(scenario, PLAN)
    share = other.shares.get()
    claim_share(share.pk, "lab-1")
    report(share, 1, "ready")
    LoadShare.objects.filter(pk=share.pk).update(reported_at=timezone.now() - timedelta(seconds=45))
    failed = stages.advance(other.pk)
    assert failed.status == LoadTest.FAILED
    assert failed.error == "stage 1: agent lab-1 stopped reporting 45 s ago"
    assert stages.watch_all() == 0


def test_an_agent_whose_browser_would_not_start_fails_the_test_with_its_reason(
    scenario: Scenario, two_agents: None, start: Callable[..., LoadTest]
) -> None:
    test = start(scenario, PLAN)
    share = test.shares.get()
    claim_share(share.pk, "lab-1")
    report(share, 1, "done", outcome="failed", error="the browser did not start: boom")
    test.refresh_from_db()
    assert (test.status, test.error) == (
        LoadTest.FAILED,
        "stage 1: agent lab-1 failed: the browser did not start: boom",
    )
