"""Starting a load test: the guard rails refuse, saying why; a started test's first stage is
shared among the live agents and sent to the location's now-queue."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.load.plan import CONTINUOUS, PARALLEL, Plan
from scenarios.load.start import LoadRefused
from scenarios.models import Agent, LoadShare, LoadTest, Location, Scenario

from .conftest import live_agent

pytestmark = pytest.mark.django_db

PLAN = Plan(CONTINUOUS, (1, 4, 8), seconds=20, metric="ttfb", statistic="median", limit=500.0)


def test_a_started_test_shares_its_first_stage_and_sends_it_to_the_now_queue(
    scenario: Scenario,
    lab: Location,
    sent: list[dict[str, Any]],
    start: Callable[..., LoadTest],
    settings: Any,
) -> None:
    settings.PERFITE_LOAD_START_TIMEOUT_S = 100
    live_agent(lab, "lab-1", 8)
    test = start(scenario, PLAN)
    assert (test.status, test.stage, test.stages, test.browser) == (
        LoadTest.RUNNING,
        0,
        [1, 4, 8],
        "chromium",
    )
    assert (test.spec["url"], test.spec["screenshot"], test.spec["filmstrip"]) == (
        scenario.url,
        False,
        False,
    )
    share = LoadShare.objects.get()
    assert (share.stage, share.agent_name, share.users, share.status) == (
        0,
        "lab-1",
        1,
        LoadShare.PLANNED,
    )
    # 100 s to be taken + 20 s of stage + 120 s a run may last + 120 s margin
    assert sent == [
        {
            "name": "agents.tasks.run_load_share",
            "args": [share.pk],
            "queue": "agents.lab.now",
            "soft_time_limit": 360,
            "time_limit": 390,
            "expires": 160,
        }
    ]


def test_users_are_shared_among_agents_by_what_each_holds(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    live_agent(lab, "lab-1", 8)
    live_agent(lab, "lab-2", 4)
    live_agent(lab, "lab-firefox", 8, browsers={"firefox": ""})  # not the scenario's browser
    live_agent(lab, "lab-stale", 8, last_seen=timezone.now() - timedelta(hours=1))
    test = start(scenario, Plan(PARALLEL, (5, 12), iterations=2))
    assert [(s.agent_name, s.users, s.first_user) for s in test.shares.all()] == [
        ("lab-1", 3, 0),
        ("lab-2", 2, 3),
    ]
    assert len(sent) == 2


def test_a_plan_the_live_agents_cannot_hold_is_refused_with_the_numbers(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    live_agent(lab, "lab-1", 4)
    live_agent(lab, "lab-2", 2)
    with pytest.raises(LoadRefused) as refused:
        start(scenario, PLAN)
    assert str(refused.value) == (
        "8 virtual users are more than the live agents of lab with chromium hold: lab-1 "
        "holds 4, lab-2 holds 2 (6 in all); lower the largest stage to 6 or start more agents"
    )
    assert (LoadTest.objects.count(), sent) == (0, [])


def test_a_host_no_admin_allowed_is_refused_saying_how_to_allow_it(
    scenario: Scenario,
    lab: Location,
    sent: list[dict[str, Any]],
    start: Callable[..., LoadTest],
    settings: Any,
) -> None:
    live_agent(lab, "lab-1", 8)
    lab.load_hosts = ["shop.example.com"]
    lab.save()
    with pytest.raises(LoadRefused) as refused:
        start(scenario, PLAN)
    assert str(refused.value) == (
        "load tests may not target www.example.localhost: an admin allows a host in "
        "PERFITE_LOAD_ALLOWED_HOSTS or in the load hosts of location lab (admin, Locations), "
        "and only with its owners' agreement"
    )
    settings.PERFITE_LOAD_ALLOWED_HOSTS = ["www.example.localhost"]
    assert start(scenario, PLAN).status == LoadTest.RUNNING
    assert (LoadTest.objects.count(), len(sent)) == (1, 1)


def test_a_navigate_step_to_another_host_must_be_allowed_too(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    live_agent(lab, "lab-1", 8)
    scenario.script_format = Scenario.FORMAT_YAML
    scenario.script = "steps:\n  - navigate: https://pay.other.test/checkout\n"
    scenario.full_clean()
    scenario.save()
    with pytest.raises(LoadRefused, match="may not target pay.other.test:"):
        start(scenario, PLAN)


def test_one_load_test_at_a_time_in_a_location(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    live_agent(lab, "lab-1", 8)
    first = start(scenario, PLAN)
    with pytest.raises(LoadRefused) as refused:
        start(scenario, PLAN)
    assert str(refused.value) == (
        f"load test {first.pk} of Crowded is running in lab: wait for it or cancel it first"
    )


def test_an_unknown_metric_and_a_scenario_without_location_are_refused(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    live_agent(lab, "lab-1", 8)
    with pytest.raises(LoadRefused, match="^metric: "):
        start(scenario, Plan(CONTINUOUS, (1,), seconds=5, metric="speed"))
    scenario.locations.clear()
    with pytest.raises(LoadRefused) as refused:
        start(scenario, PLAN)
    assert str(refused.value) == "Crowded has no location to load-test from: add one first"


def test_agents_that_announced_no_load_users_hold_none(
    scenario: Scenario, lab: Location, sent: list[dict[str, Any]], start: Callable[..., LoadTest]
) -> None:
    Agent.objects.create(name="old", location=lab, last_seen=timezone.now(), browsers=None)
    with pytest.raises(LoadRefused, match="and lab with chromium has none"):
        start(scenario, PLAN)
