"""Beat → dispatch → location queues → agents → results, all as real processes."""

import time
from typing import Any

import pytest
from django.utils import timezone

from scenarios.models import Agent, Run, Scenario
from tests.loop.conftest import LOCATIONS, Loop, agent_name
from tests.loop.services import wait_until

ROUNDS = 3


@pytest.mark.django_db(transaction=True)
def test_scheduled_runs_execute_once_on_their_own_locations_agent(
    loop: Loop, live_locations: dict[str, Any], site: Any
) -> None:
    scenario = Scenario.objects.create(
        name="Blank", slug="blank", url=site.url("/blank"), frequency_minutes=1, paused=True
    )
    scenario.locations.set(live_locations.values())
    for round_ in range(1, ROUNDS + 1):
        # Due now: both beats tick every second and race for it.
        Scenario.objects.filter(pk=scenario.pk).update(paused=False, next_due_at=timezone.now())

        def finished(expected: int = 2 * round_) -> bool:
            runs = Run.objects.filter(scenario=scenario)
            return runs.count() >= expected and not runs.exclude(status__in=Run.FINISHED).exists()

        wait_until(finished, 45, f"round {round_} of runs to finish", loop.output)
        next_due = Scenario.objects.get(pk=scenario.pk).next_due_at
        assert next_due is not None and next_due > timezone.now()
    time.sleep(2.5)  # more ticks from both beats: nothing new may appear

    runs = list(Run.objects.filter(scenario=scenario).select_related("location"))
    assert len(runs) == 2 * ROUNDS
    for location in LOCATIONS:
        mine = [run for run in runs if run.location and run.location.name == location]
        assert len(mine) == ROUNDS
        assert {run.agent_name for run in mine} == {agent_name(location)}
        assert {run.status for run in mine} == {Run.SUCCEEDED}
        assert {run.attempts for run in mine} == {1}
        assert {run.flagged for run in mine} == {""}
        assert {run.kind for run in mine} == {Run.KIND_SCHEDULED}
        assert [(run.result or {}).get("location") for run in mine] == [location] * ROUNDS
        assert all(run.har_size > 0 for run in mine)


@pytest.mark.django_db(transaction=True)
def test_agents_report_versions_and_concurrency_in_their_heartbeats(
    loop: Loop, live_locations: dict[str, Any]
) -> None:
    from agents.engines import installed
    from agents.heartbeat import browser_version
    from perfite import __version__

    for location in LOCATIONS:
        agent = Agent.objects.get(name=agent_name(location))
        assert agent.location.name == location
        assert agent.version == __version__
        assert agent.browser_version == browser_version()
        assert agent.browser_version.count(".") == 3
        assert agent.concurrency == 1
        # The browsers manage.py agent found here, whose queues the worker consumes.
        assert agent.browsers == installed()
        assert agent.browsers["chromium"] == agent.browser_version
    assert all(location.has_live_agent for location in live_locations.values())
