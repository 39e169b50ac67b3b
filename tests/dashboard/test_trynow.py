"""Try it now: the server queues a manual run on the location's now-queue for an agent (sent
after commit, by name), refuses clearly when no agent could take it, and shows the run."""

from datetime import timedelta
from typing import Any
from unittest.mock import Mock, call

import pytest
from django.test import Client
from django.utils import timezone

from perfite.celery import app
from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import TryNowRefused, try_now


@pytest.fixture
def send_task(monkeypatch: pytest.MonkeyPatch) -> Mock:
    """The broker: records every task the server sends."""
    sent = Mock()
    monkeypatch.setattr(app, "send_task", sent)
    return sent


def staff(location: Location, seen_ago: timedelta = timedelta(seconds=1)) -> Agent:
    return Agent.objects.create(
        name=f"{location.name}-1", location=location, last_seen=timezone.now() - seen_ago
    )


def test_a_trial_queues_a_manual_run_on_the_now_queue_once_committed(
    editor_client: Client,
    scenario: Scenario,
    location: Location,
    send_task: Mock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff(location)

    with django_capture_on_commit_callbacks() as callbacks:
        response = editor_client.post("/scenarios/home/try/")
        assert send_task.call_count == 0  # nothing reaches the broker before the commit

    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/runs/{run.pk}/"
    assert (run.kind, run.status, run.location, run.flagged, run.agent_name) == (
        "manual",
        "queued",
        location,
        "",
        "",
    )
    assert len(callbacks) == 1
    callbacks[0]()
    assert send_task.call_args_list == [
        call("agents.tasks.run_scenario", args=[run.pk], queue="agents.local.now")
    ]


def test_a_trial_runs_from_the_location_picked_in_the_form(
    editor_client: Client,
    scenario: Scenario,
    send_task: Mock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    eu_west = Location.objects.create(name="eu-west", label="Frankfurt")
    scenario.locations.add(eu_west)
    staff(eu_west)

    page = editor_client.get("/scenarios/home/edit/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post("/scenarios/home/try/", {"location": "eu-west"})

    assert '<option value="eu-west">Frankfurt</option>' in page
    assert '<option value="local">Local</option>' in page
    run = Run.objects.get()
    assert run.location == eu_west
    assert send_task.call_args_list == [
        call("agents.tasks.run_scenario", args=[run.pk], queue="agents.eu-west.now")
    ]


def test_trials_in_a_row_are_all_queued_for_the_agents(
    editor_client: Client,
    scenario: Scenario,
    location: Location,
    send_task: Mock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff(location)

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post("/scenarios/home/try/")
    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post("/scenarios/home/try/")

    first, second = Run.objects.order_by("pk")
    assert send_task.call_args_list == [
        call("agents.tasks.run_scenario", args=[first.pk], queue="agents.local.now"),
        call("agents.tasks.run_scenario", args=[second.pk], queue="agents.local.now"),
    ]


def test_a_location_without_a_live_agent_is_refused_with_how_to_start_one(
    editor_client: Client, scenario: Scenario, location: Location, send_task: Mock
) -> None:
    staff(location, seen_ago=timedelta(hours=1))

    response = editor_client.post("/scenarios/home/try/", follow=True)

    assert response.redirect_chain == [("/scenarios/home/edit/", 302)]
    assert (
        "No live agent in location local: start one with "
        "`manage.py agent --location local`." in response.content.decode()
    )
    assert (Run.objects.count(), send_task.call_count) == (0, 0)


def test_a_scenario_without_a_location_cannot_be_tried(
    editor_client: Client, scenario: Scenario, send_task: Mock
) -> None:
    scenario.locations.clear()

    page = editor_client.get("/scenarios/home/edit/").content.decode()
    response = editor_client.post("/scenarios/home/try/", follow=True)

    assert '<button type="submit" id="try-now" disabled aria-disabled="true">' in page
    assert "Add a location to try this scenario." in page
    assert "Home has no location to run from: add one first." in response.content.decode()
    assert (Run.objects.count(), send_task.call_count) == (0, 0)


def test_a_location_that_is_not_the_scenarios_is_refused(
    scenario: Scenario, send_task: Mock
) -> None:
    elsewhere = Location.objects.create(name="us-east")
    staff(elsewhere)

    with pytest.raises(TryNowRefused, match="^us-east is not one of the locations of Home.$"):
        try_now(scenario, elsewhere)
    assert (Run.objects.count(), send_task.call_count) == (0, 0)


def test_an_unknown_location_in_the_form_is_not_found(
    editor_client: Client, scenario: Scenario, location: Location, send_task: Mock
) -> None:
    staff(location)
    response = editor_client.post("/scenarios/home/try/", {"location": "mars"})
    assert response.status_code == 404
    assert Run.objects.count() == 0


def test_a_trial_the_broker_could_not_take_stays_queued_and_says_why(
    editor_client: Client,
    scenario: Scenario,
    location: Location,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff(location)
    monkeypatch.setattr(app, "send_task", Mock(side_effect=ConnectionError("redis is down")))

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post("/scenarios/home/try/")
    run = Run.objects.get()
    page = editor_client.get(f"/runs/{run.pk}/").content.decode()

    assert (run.status, run.flagged) == ("queued", "broker unreachable: redis is down")
    assert '<p class="warning">broker unreachable: redis is down</p>' in page


def test_a_browser_no_live_agent_has_is_refused_naming_it_then_run_now_flags_it(
    editor_client: Client,
    scenario: Scenario,
    location: Location,
    send_task: Mock,
    django_capture_on_commit_callbacks: Any,
) -> None:
    staff(location).record_heartbeat({"browsers": {"chromium": "156.0.8078.108"}})
    scenario.browser = "firefox"
    scenario.save()

    refused = editor_client.post("/scenarios/home/try/", follow=True).content.decode()
    assert (
        "No live agent in local has firefox: start one with "
        "`manage.py agent --location local` on a machine with firefox." in refused
    )
    assert (Run.objects.count(), send_task.call_count) == (0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        editor_client.post("/scenarios/home/run-now/")
    run = Run.objects.get()
    page = editor_client.get(f"/runs/{run.pk}/").content.decode()
    assert '<p class="warning">no live agent in local has firefox</p>' in page
    assert '· local · <span class="browser">firefox</span> · profile' in page
    assert send_task.call_args_list == [
        call("agents.tasks.run_scenario", args=[run.pk], queue="agents.local.firefox")
    ]


def test_a_viewer_cannot_try_a_scenario(
    viewer_client: Client, scenario: Scenario, location: Location, send_task: Mock
) -> None:
    staff(location)
    assert viewer_client.post("/scenarios/home/try/").status_code == 403
    assert (Run.objects.count(), send_task.call_count) == (0, 0)


def test_a_queued_trial_s_page_polls_its_status(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    run = Run.objects.create(scenario=scenario, location=location, kind=Run.KIND_MANUAL)

    page = viewer_client.get(f"/runs/{run.pk}/").content.decode()
    status = viewer_client.get(f"/runs/{run.pk}/status.json").json()

    assert (
        f'data-status-url="/runs/{run.pk}/status.json" data-finished="0"' in page
        and '<span class="status queued">queued</span>' in page
        and "This run is queued; the page refreshes when it finishes." in page
    )
    assert status == {"status": "queued", "finished": False}
