"""Runs the broker did not take are sent again by the next dispatch tick once it is back:
exactly once, to the queue they were meant for, their flag cleared."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from perfite.celery import app
from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import RUN_TASK, dispatch_due, resend_unsent, run_now, try_now


class Broker:
    """``app.send_task`` in place of a broker that can be down: records (run id, queue) of
    every message it took, refuses every message while down."""

    def __init__(self) -> None:
        self.down = False
        self.taken: list[tuple[int, str]] = []
        self.refused: list[int] = []

    def send_task(self, name: str, args: list[int], queue: str, **_: Any) -> None:
        assert name == RUN_TASK
        if self.down:
            self.refused.append(args[0])
            raise ConnectionRefusedError("redis is down")
        self.taken.append((args[0], queue))


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    monkeypatch.setattr(app, "send_task", fake.send_task)
    return fake


@pytest.fixture
def location() -> Location:
    location = Location.objects.create(name="eu-west")
    Agent.objects.create(name="eu-west-1", location=location, last_seen=timezone.now())
    return location


def scenario(slug: str, location: Location, due: bool = False) -> Scenario:
    made = Scenario.objects.create(
        name=slug,
        slug=slug,
        url="http://www.example.localhost/",
        frequency_minutes=5,
        paused=not due,
        next_due_at=timezone.now() - timedelta(seconds=1),
    )
    made.locations.set([location])
    return made


@pytest.mark.django_db
def test_run_now_during_an_outage_is_sent_once_by_the_next_tick_and_unflagged(
    broker: Broker, location: Location, django_capture_on_commit_callbacks: Any
) -> None:
    home = scenario("home", location)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        (run,) = run_now(home)
    run.refresh_from_db()
    assert (run.status, run.flagged) == (Run.QUEUED, "broker unreachable: redis is down")
    assert (broker.refused, broker.taken) == ([run.pk], [])

    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatch_due() == []  # nothing due: the tick only sent the waiting run
    run.refresh_from_db()
    assert (run.status, run.flagged) == (Run.QUEUED, "")
    assert broker.taken == [(run.pk, "agents.eu-west.now")]  # someone asked for it: served first

    with django_capture_on_commit_callbacks(execute=True):
        dispatch_due()
    assert broker.taken == [(run.pk, "agents.eu-west.now")]


@pytest.mark.django_db
def test_a_trial_during_an_outage_is_sent_to_the_now_queue_when_the_broker_is_back(
    broker: Broker, location: Location, django_capture_on_commit_callbacks: Any
) -> None:
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        run = try_now(scenario("home", location))
    broker.down = False
    assert resend_unsent() == [run.pk]
    assert broker.taken == [(run.pk, "agents.eu-west.now")]
    assert Run.objects.get().flagged == ""


@pytest.mark.django_db
def test_scheduled_runs_flagged_by_a_tick_in_an_outage_go_to_the_location_queue_next_tick(
    broker: Broker, location: Location, django_capture_on_commit_callbacks: Any
) -> None:
    scenario("home", location, due=True)
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        (first,) = dispatch_due()
    assert Run.objects.get(pk=first).flagged == "broker unreachable: redis is down"

    broker.down = False
    Scenario.objects.update(next_due_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        (second,) = dispatch_due()
    assert broker.taken == [(first, "agents.eu-west"), (second, "agents.eu-west")]
    assert list(Run.objects.order_by("pk").values_list("pk", "flagged")) == [
        (first, ""),
        (second, ""),
    ]


@pytest.mark.django_db
def test_while_the_broker_stays_down_runs_keep_their_flag_and_only_one_send_is_tried(
    broker: Broker, location: Location, django_capture_on_commit_callbacks: Any
) -> None:
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        runs = run_now(scenario("a", location)) + run_now(scenario("b", location))
    broker.refused.clear()

    assert resend_unsent() == []
    assert broker.refused == [runs[0].pk]  # the first failure stops the rest
    assert set(Run.objects.values_list("flagged", flat=True)) == {
        "broker unreachable: redis is down"
    }


@pytest.mark.django_db
def test_a_tick_sends_at_most_its_bound_oldest_first(
    broker: Broker, location: Location, django_capture_on_commit_callbacks: Any
) -> None:
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        runs = [run_now(scenario(slug, location))[0].pk for slug in ("a", "b", "c")]
    broker.down = False

    assert resend_unsent(limit=2) == runs[:2]
    assert resend_unsent(limit=2) == runs[2:]
    assert resend_unsent(limit=2) == []
    assert broker.taken == [(pk, "agents.eu-west.now") for pk in runs]


@pytest.mark.django_db
def test_only_queued_runs_flagged_by_the_broker_are_sent_again(
    broker: Broker, location: Location
) -> None:
    home = scenario("home", location)
    flag = "broker unreachable: redis is down"
    Run.objects.create(scenario=home, location=location, status=Run.LOST, flagged=flag)
    Run.objects.create(scenario=home, location=location, status=Run.RUNNING, flagged=flag)
    Run.objects.create(scenario=home, location=location, flagged="no live agent in location x")
    Run.objects.create(scenario=home, location=location)

    assert resend_unsent() == []
    assert broker.taken == []
