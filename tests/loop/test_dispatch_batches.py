"""dispatch_due in batches: every due pair once, unstaffed locations flagged and not piled up,
a broker outage flags what could not be sent."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from perfite.celery import app
from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import RUN_TASK, dispatch_due


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """(run id, queue) of every run_scenario sent, instead of a broker."""
    calls: list[tuple[int, str]] = []

    def send_task(name: str, args: list[int], queue: str, **_: Any) -> None:
        assert name == RUN_TASK
        calls.append((args[0], queue))

    monkeypatch.setattr(app, "send_task", send_task)
    return calls


def scenarios(
    n: int, locations: list[Location], prefix: str = "s", **fields: Any
) -> list[Scenario]:
    made = []
    for i in range(n):
        scenario = Scenario.objects.create(
            name=f"{prefix}{i}",
            slug=f"{prefix}{i}",
            url="http://www.example.localhost/",
            frequency_minutes=5,
            next_due_at=timezone.now() - timedelta(seconds=1),
            **fields,
        )
        scenario.locations.set(locations)
        made.append(scenario)
    return made


@pytest.mark.django_db
def test_every_due_pair_is_dispatched_once_across_batches(
    sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    staffed = [Location.objects.create(name=name) for name in ("eu-west", "us-east")]
    for location in staffed:
        Agent.objects.create(name=f"{location.name}-1", location=location, last_seen=timezone.now())
    made = scenarios(5, staffed)
    scenarios(2, staffed, prefix="paused", paused=True)  # due, but paused: never dispatched
    with django_capture_on_commit_callbacks(execute=True):
        created = dispatch_due(batch_size=2)
    runs = Run.objects.order_by("pk")
    assert created == [run.pk for run in runs]
    assert sorted(runs.values_list("scenario_id", "location__name")) == sorted(
        (s.pk, loc.name) for s in made for loc in staffed
    )
    assert sent == [(pk, f"agents.{name}") for pk, name in runs.values_list("pk", "location__name")]
    assert {run.flagged for run in runs} == {""}
    now = timezone.now()
    for scenario in made:
        scenario.refresh_from_db()
        assert scenario.next_due_at is not None
        assert timedelta(minutes=4) < scenario.next_due_at - now <= timedelta(minutes=5)
    assert dispatch_due() == []


@pytest.mark.django_db
def test_a_location_without_a_live_agent_gets_one_flagged_run_not_a_pile(
    sent: list[tuple[int, str]], django_capture_on_commit_callbacks: Any
) -> None:
    empty = Location.objects.create(name="mars")
    (scenario,) = scenarios(1, [empty])
    for _ in range(3):
        Scenario.objects.filter(pk=scenario.pk).update(next_due_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            dispatch_due()
    (run,) = Run.objects.all()
    assert (run.status, run.flagged) == (Run.QUEUED, "no live agent in location mars")
    assert sent == [(run.pk, "agents.mars")]


@pytest.mark.django_db
def test_runs_the_broker_did_not_take_are_flagged_and_the_rest_not_tried(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    location = Location.objects.create(name="eu-west")
    Agent.objects.create(name="a", location=location, last_seen=timezone.now())
    scenarios(3, [location])
    attempts: list[int] = []

    def send_task(name: str, args: list[int], **_: Any) -> None:
        attempts.append(args[0])
        if len(attempts) == 2:
            raise ConnectionRefusedError("redis is down")

    monkeypatch.setattr(app, "send_task", send_task)
    with django_capture_on_commit_callbacks(execute=True):
        created = dispatch_due()
    assert attempts == created[:2]
    flags = dict(Run.objects.values_list("pk", "flagged"))
    assert flags == {
        created[0]: "",
        created[1]: "broker unreachable: redis is down",
        created[2]: "broker unreachable: redis is down",
    }


@pytest.mark.django_db
def test_a_large_batch_is_sent_over_parallel_connections_each_stopping_at_its_failure(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    import threading

    from scenarios.runs.dispatch import SEND_THREADS, SEND_THREADS_FROM

    locations = [Location.objects.create(name=f"loc{i}") for i in range(3)]
    for location in locations:
        Agent.objects.create(name=location.name, location=location, last_seen=timezone.now())
    scenarios(SEND_THREADS_FROM // 3 + 1, locations)  # one batch of >= SEND_THREADS_FROM runs
    attempts: list[int] = []
    threads: set[str] = set()
    broken: list[int] = []

    def send_task(name: str, args: list[int], **_: Any) -> None:
        threads.add(threading.current_thread().name)
        if broken and args[0] == broken[0]:
            raise ConnectionResetError("connection reset")
        attempts.append(args[0])

    monkeypatch.setattr(app, "send_task", send_task)
    with django_capture_on_commit_callbacks() as callbacks:
        created = dispatch_due()
    size = -(-len(created) // SEND_THREADS)
    shares = [created[i : i + size] for i in range(0, len(created), size)]
    broken.append(shares[1][10])  # the second share's connection drops at its 11th run
    for callback in callbacks:
        callback()

    assert threads and all(t.startswith("perfite-send") for t in threads)  # a pool, not inline
    assert sorted(attempts) == sorted(created[: size + 10] + created[2 * size :])
    flagged = set(Run.objects.exclude(flagged="").values_list("pk", flat=True))
    assert flagged == set(shares[1][10:])
    assert set(Run.objects.filter(pk__in=flagged).values_list("flagged", flat=True)) == {
        "broker unreachable: connection reset"
    }
