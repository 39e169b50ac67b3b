"""``kill -9`` of an agent mid-run: the run is re-run once or marked lost, never stuck."""

import os
import signal
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from scenarios.models import Location, Run, Scenario
from scenarios.runs.dispatch import run_now
from scenarios.runs.tasks import reap
from tests.loop.conftest import Loop
from tests.loop.services import Process, wait_until

SLOW_MS = 8000  # the page's HTML takes this long: long enough to kill the agent mid-run


def slow_run(location_name: str, site: Any) -> Run:
    """A manual run of a slow page for ``location_name``, already claimed by its agent."""
    site.delays["www.example.localhost/"] = SLOW_MS
    location = Location.objects.get_or_create(name=location_name)[0]
    scenario = Scenario.objects.create(
        name=location_name, slug=location_name, url=site.url("/"), paused=True
    )
    scenario.locations.set([location])
    (run,) = run_now(scenario)
    return run


def wait_running(run: Run, loop: Loop) -> Run:
    wait_until(
        lambda: Run.objects.filter(pk=run.pk, status=Run.RUNNING).exists(),
        30,
        f"run {run.pk} to start",
        loop.output,
    )
    return Run.objects.get(pk=run.pk)


def pool_children(process: Process) -> list[int]:
    """The prefork pool's child processes of an agent's main process."""
    with open(f"/proc/{process.pid}/task/{process.pid}/children") as handle:
        return [int(pid) for pid in handle.read().split()]


def wait_finished(run: Run, loop: Loop, timeout: float) -> Run:
    wait_until(
        lambda: Run.objects.filter(pk=run.pk, status__in=Run.FINISHED).exists(),
        timeout,
        f"run {run.pk} to finish",
        loop.output,
    )
    return Run.objects.get(pk=run.pk)


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_pool_child_is_killed_is_run_again_once(loop: Loop, site: Any) -> None:
    agent = loop.start_agent("crash-child", "crash-child-agent")
    try:
        run = wait_running(slow_run("crash-child", site), loop)
        assert run.attempts == 1
        (child,) = pool_children(agent)
        os.kill(child, signal.SIGKILL)
        site.delays.clear()  # the second attempt loads at full speed
        run = wait_finished(run, loop, 45)
    finally:
        agent.stop()
    assert (run.status, run.attempts, run.agent_name) == (Run.SUCCEEDED, 2, "crash-child-agent")


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_agent_is_killed_is_run_again_by_the_next_agent(loop: Loop, site: Any) -> None:
    # The replacement agent restores messages unacknowledged for 8 s (its visibility timeout).
    # It starts sooner than that, so its start-up scan finds nothing: the message must come
    # back through the periodic scan (every 2 s here; kombu's default waited 100 s).
    first = loop.start_agent("crash-all", "crash-all-first")
    run = wait_running(slow_run("crash-all", site), loop)
    first.kill9()
    site.delays.clear()
    assert Run.objects.get(pk=run.pk).status == Run.RUNNING
    second = loop.start_agent("crash-all", "crash-all-second", PERFITE_VISIBILITY_TIMEOUT="8")
    try:
        run = wait_finished(run, loop, 90)
    finally:
        second.stop()
    assert (run.status, run.attempts, run.agent_name) == (Run.SUCCEEDED, 2, "crash-all-second")


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_agent_never_returns_is_marked_lost_by_the_reaper(
    loop: Loop, site: Any
) -> None:
    agent = loop.start_agent("crash-gone", "crash-gone-agent")
    run = wait_running(slow_run("crash-gone", site), loop)
    agent.kill9()
    assert reap(timezone.now()) == 0  # not yet overdue
    later = timezone.now() + timedelta(seconds=settings.PERFITE_RUN_LOST_AFTER_S + 1)
    assert reap(later) == 1
    run = Run.objects.get(pk=run.pk)
    assert (run.status, run.attempts) == (Run.LOST, 1)
    assert run.error == f"lost: no agent finished it within {settings.PERFITE_RUN_LOST_AFTER_S} s"
    assert not Run.objects.exclude(status__in=Run.FINISHED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_run_started_three_times_without_finishing_is_marked_lost() -> None:
    from scenarios.models.run import claim_run

    scenario = Scenario.objects.create(name="x", slug="x", url="http://x.localhost/", paused=True)
    run = Run.objects.create(scenario=scenario, attempts=3, status=Run.RUNNING)
    assert claim_run(run.pk, "someone") is None
    run.refresh_from_db()
    assert (run.status, run.error) == (Run.LOST, "lost: started 3 times and never finished")
