"""Load tests on the server, in process: a scenario, a location, live agents that hold load
users, and the shares sent to the broker recorded instead of sent."""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from core.load.plan import Plan
from scenarios.load import stages
from scenarios.load.start import create_load_test
from scenarios.models import Agent, LoadTest, Location, Scenario

URL = "http://www.example.localhost:8123/crowded?work=100"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The share tasks sent to the broker (the broker is not under test here)."""
    found: list[dict[str, Any]] = []

    def send_task(name: str, args: list[Any], **options: Any) -> None:
        found.append({"name": name, "args": args, **options})

    monkeypatch.setattr(stages.app, "send_task", send_task)
    return found


@pytest.fixture
def lab(db: None, settings: Any) -> Location:
    settings.PERFITE_LOAD_ALLOWED_HOSTS = []
    return Location.objects.create(name="lab", load_hosts=["*.example.localhost"])


@pytest.fixture
def scenario(lab: Location) -> Scenario:
    s = Scenario.objects.create(name="Crowded", slug="crowded", url=URL, paused=True)
    s.locations.add(lab)
    return s


def live_agent(location: Location, name: str, load_users: int, **fields: Any) -> Agent:
    fields = {"last_seen": timezone.now(), "browsers": {"chromium": ""}, **fields}
    return Agent.objects.create(name=name, location=location, load_users=load_users, **fields)


@pytest.fixture
def start(
    sent: list[dict[str, Any]], django_capture_on_commit_callbacks: Any
) -> Callable[..., LoadTest]:
    """create_load_test, with what it sends after commit sent (to ``sent``)."""

    def create(scenario: Scenario, plan: Plan, **options: Any) -> LoadTest:
        with django_capture_on_commit_callbacks(execute=True):
            return create_load_test(scenario, plan, **options)

    return create
