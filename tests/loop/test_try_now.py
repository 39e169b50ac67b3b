"""Try it now through the real loop: the dashboard queues the run, the location's agent process
measures it with its own Chromium (ahead of scheduled runs waiting for it), and the run's page
shows it finished."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from scenarios.models import Run, Scenario
from scenarios.runs.dispatch import create_runs, try_now
from tests.loop.conftest import Loop, agent_name
from tests.loop.services import wait_until


def finished(*runs: Run) -> bool:
    return Run.objects.filter(pk__in=[r.pk for r in runs], status__in=Run.FINISHED).count() == len(
        runs
    )


@pytest.mark.django_db(transaction=True)
def test_a_trial_is_measured_by_the_locations_agent_and_its_page_shows_it_finished(
    loop: Loop, live_locations: dict[str, Any], site: Any
) -> None:
    scenario = Scenario.objects.create(
        name="Demo home", slug="demo-home", url=site.url("/"), frequency_minutes=60, paused=True
    )
    scenario.locations.set([live_locations["eu-west"], live_locations["us-east"]])
    editor = Client()
    editor.force_login(User.objects.create_superuser("ada", password="not-used-1"))

    response = editor.post("/scenarios/demo-home/try/", {"location": "us-east"})
    run = Run.objects.get(scenario=scenario)
    wait_until(lambda: finished(run), 60, "the trial run to finish", loop.output)
    run.refresh_from_db()
    page = editor.get(f"/runs/{run.pk}/").content.decode()
    status = editor.get(f"/runs/{run.pk}/status.json").json()

    assert response["Location"] == f"/runs/{run.pk}/"
    assert (run.kind, run.status, run.location, run.agent_name, run.attempts) == (
        "manual",
        "succeeded",
        live_locations["us-east"],
        agent_name("us-east"),
        1,
    )
    assert run.result is not None and run.result["location"] == "us-east"
    assert run.har_size > 0 and run.screenshot
    assert status == {"status": "succeeded", "finished": True}
    assert f'data-status-url="/runs/{run.pk}/status.json" data-finished="1"' in page
    assert '<span class="status succeeded">succeeded</span>' in page
    assert f"agent {agent_name('us-east')}" in page
    assert "www.example.localhost" in page  # the waterfall of what the agent measured


@pytest.mark.django_db(transaction=True)
def test_a_trial_goes_ahead_of_the_scheduled_runs_waiting_for_the_agent(
    loop: Loop, live_locations: dict[str, Any], site: Any
) -> None:
    eu_west = live_locations["eu-west"]
    slow = Scenario.objects.create(
        name="Slow", slug="slow", url=site.url("/blank?delay=3000"), paused=True
    )
    blank = Scenario.objects.create(name="Blank", slug="blank", url=site.url("/blank"), paused=True)
    for scenario in (slow, blank):
        scenario.locations.set([eu_west])
    # The location's one agent (concurrency 1) is busy with a run of a slow page...
    (busy,) = create_runs(slow, [eu_west])
    wait_until(
        lambda: Run.objects.filter(pk=busy.pk, status=Run.RUNNING).exists(),
        30,
        "the agent to start the slow run",
        loop.output,
    )
    # ...while two scheduled runs and then a trial are sent to it.
    with transaction.atomic():
        scheduled = create_runs(blank, [eu_west, eu_west])
        trial = try_now(blank)
    wait_until(lambda: finished(busy, *scheduled, trial), 60, "every run to finish", loop.output)

    started = Run.objects.filter(pk__in=[busy.pk, *(r.pk for r in scheduled), trial.pk])
    order = list(started.order_by("started_at").values_list("pk", flat=True))
    assert order == [busy.pk, trial.pk, *(r.pk for r in scheduled)]
    assert set(started.values_list("status", "agent_name")) == {
        (Run.SUCCEEDED, agent_name("eu-west"))
    }
