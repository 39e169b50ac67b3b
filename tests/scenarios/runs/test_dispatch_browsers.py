"""Runs go to the queue of their location and browser; one no live agent there can take (none
at all, or none with the scenario's browser) is flagged, once, and waits in that queue."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from perfite.celery import app
from scenarios.ci import workflow as comparisons
from scenarios.models import Agent, Comparison, Location, Run, Scenario
from scenarios.runs.dispatch import (
    RUN_TASK,
    TryNowRefused,
    dispatch_due,
    resend_unsent,
    run_now,
    try_now,
    unsent_flag,
)
from scenarios.runs.store import store_result
from tests.factories import home_result

pytestmark = pytest.mark.django_db

CHROMIUM = {"chromium": "156.0.8078.108"}
BOTH = {"chromium": "156.0.8078.108", "firefox": "153.8.0"}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """(run id, queue) of every run_scenario sent, instead of a broker."""
    calls: list[tuple[int, str]] = []

    def send_task(name: str, args: list[int], queue: str, **_: Any) -> None:
        assert name == RUN_TASK
        calls.append((args[0], queue))

    monkeypatch.setattr(app, "send_task", send_task)
    return calls


@pytest.fixture
def paris() -> Location:
    return Location.objects.create(name="paris")


def agent(location: Location, browsers: dict[str, str] | None, name: str = "paris-1") -> Agent:
    made = Agent.objects.create(name=name, location=location, last_seen=timezone.now())
    if browsers is not None:
        made.record_heartbeat({"browsers": browsers})
    return made


def scenario(slug: str, location: Location, browser: str = "chromium") -> Scenario:
    made = Scenario.objects.create(
        name=slug,
        slug=slug,
        url="http://www.example.localhost/",
        frequency_minutes=5,
        next_due_at=timezone.now() - timedelta(seconds=1),
        browser=browser,
    )
    made.locations.set([location])
    return made


def due_again() -> None:
    Scenario.objects.update(next_due_at=timezone.now() - timedelta(seconds=1))


def test_a_firefox_scenarios_runs_go_to_the_firefox_queue_and_chromiums_stay_put(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    agent(paris, BOTH)
    fox = scenario("fox", paris, "firefox")
    chrome = scenario("chrome", paris)
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    by_scenario = {run.scenario_id: run for run in Run.objects.all()}
    fox_run, chrome_run = by_scenario[fox.pk], by_scenario[chrome.pk]
    assert (fox_run.browser, fox_run.flagged) == ("firefox", "")
    assert (chrome_run.browser, chrome_run.flagged) == ("chromium", "")
    assert sorted(sent) == sorted(
        [(fox_run.pk, "agents.paris.firefox"), (chrome_run.pk, "agents.paris")]
    )
    assert fox_run.spec()["browser"] == "firefox"


def test_a_browser_no_live_agent_has_is_flagged_once_until_an_agent_announces_it(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    chromium_only = agent(paris, CHROMIUM)
    scenario("fox", paris, "firefox")
    for _ in range(3):
        due_again()
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_due()
    (waiting,) = Run.objects.all()
    assert (waiting.status, waiting.flagged) == (Run.QUEUED, "no live agent in paris has firefox")
    # It waits in the firefox queue, where an agent that has Firefox will find it.
    assert sent == [(waiting.pk, "agents.paris.firefox")]

    chromium_only.record_heartbeat({"browsers": BOTH})
    due_again()
    with django_capture_on_commit_callbacks(execute=True):
        (created,) = dispatch_due()
    assert Run.objects.get(pk=created).flagged == ""
    assert sent[1:] == [(created, "agents.paris.firefox")]


def test_a_location_with_no_live_agent_keeps_its_own_flag_whatever_the_browser(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    stale = agent(paris, BOTH)
    Agent.objects.filter(pk=stale.pk).update(last_seen=timezone.now() - timedelta(hours=1))
    scenario("fox", paris, "firefox")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    (run,) = Run.objects.all()
    assert run.flagged == "no live agent in location paris"
    assert sent == [(run.pk, "agents.paris.firefox")]


def test_an_agent_that_never_announced_browsers_serves_chromium_only(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    agent(paris, None)  # started before agents announced browsers: it consumes agents.paris
    chrome, fox = scenario("chrome", paris), scenario("fox", paris, "firefox")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    flags = dict(Run.objects.values_list("scenario_id", "flagged"))
    assert flags == {chrome.pk: "", fox.pk: "no live agent in paris has firefox"}
    assert paris.unstaffed("chromium") == ""
    assert paris.unstaffed("firefox") == "no live agent in paris has firefox"
    assert paris.unstaffed("webkit") == "no live agent in paris has webkit"


def test_runs_now_are_flagged_the_same_way_and_sent_to_their_browsers_queue(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    lyon = Location.objects.create(name="lyon")
    agent(paris, CHROMIUM)
    agent(lyon, {"firefox": "153.8.0"}, name="lyon-1")
    fox = scenario("fox", paris, "firefox")
    fox.locations.add(lyon)
    with django_capture_on_commit_callbacks(execute=True):
        runs = run_now(fox)
    assert [(str(r.location), r.kind, r.browser, r.flagged) for r in runs] == [
        ("lyon", Run.KIND_MANUAL, "firefox", ""),
        ("paris", Run.KIND_MANUAL, "firefox", "no live agent in paris has firefox"),
    ]
    assert sent == [(runs[0].pk, "agents.lyon.firefox"), (runs[1].pk, "agents.paris.firefox")]


def test_try_now_uses_the_browsers_now_queue_and_refuses_where_no_agent_has_it(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    chromium_only = agent(paris, CHROMIUM)
    fox = scenario("fox", paris, "firefox")
    with pytest.raises(TryNowRefused) as refused:
        try_now(fox)
    assert str(refused.value) == (
        "No live agent in paris has firefox: start one with "
        "`manage.py agent --location paris` on a machine with firefox."
    )
    assert Run.objects.count() == 0

    chromium_only.record_heartbeat({"browsers": BOTH})
    with django_capture_on_commit_callbacks(execute=True):
        run = try_now(fox)
    assert (run.browser, run.flagged) == ("firefox", "")
    assert sent == [(run.pk, "agents.paris.firefox.now")]


def test_a_trial_the_broker_did_not_take_is_sent_again_to_its_browsers_now_queue(
    paris: Location, sent: list[tuple[int, str]]
) -> None:
    fox = scenario("fox", paris, "firefox")
    trial = Run.objects.create(
        scenario=fox,
        location=paris,
        kind=Run.KIND_MANUAL,
        browser="firefox",
        flagged=unsent_flag("redis is down"),
    )
    scheduled = Run.objects.create(
        scenario=fox, location=paris, browser="firefox", flagged=unsent_flag("redis is down")
    )
    assert resend_unsent() == [trial.pk, scheduled.pk]
    assert sent == [(trial.pk, "agents.paris.firefox.now"), (scheduled.pk, "agents.paris.firefox")]


def test_a_comparisons_runs_are_measured_in_the_scenarios_browser(
    paris: Location, sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    agent(paris, CHROMIUM)
    fox = scenario("fox", paris, "firefox")
    with django_capture_on_commit_callbacks(execute=True):
        comparison = comparisons.create_comparison(
            fox, iterations=3, base_url="http://www.example.localhost/?a", location=paris
        )
    (first,) = comparison.runs.all()
    assert (first.browser, first.flagged) == ("firefox", "no live agent in paris has firefox")
    assert sent == [(first.pk, "agents.paris.firefox")]


@pytest.mark.parametrize(
    ("browser", "taken"),
    [("firefox", ["firefox", "firefox"]), ("chromium", ["", "chromium", "chromium", "chromium"])],
)
def test_a_history_comparison_takes_no_base_run_measured_in_another_browser(
    paris: Location, browser: str, taken: list[str]
) -> None:
    # An imported run ("") counts as Chromium's (scenarios.conditions), as it does in charts.
    measured = scenario("measured", paris, browser)
    for run_browser, count in (("chromium", 3), ("firefox", 2), ("", 1)):
        for _ in range(count):
            run = Run.objects.create(
                scenario=measured,
                location=paris,
                kind=Run.KIND_CI,
                branch="main",
                browser=run_browser,
            )
            store_result(run.pk, home_result(100.0), None)
    comparison = Comparison.objects.create(
        scenario=measured, location=paris, base_branch="main", branch="feature", profile="native"
    )
    base, _ = comparisons.find_base_runs(comparison)
    assert sorted(r.browser for r in base) == taken
