"""Dashboard fixtures: one user per role, a scenario and result documents to store."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import result_doc
from tests.roles import role

HOSTILE = "<script>alert('x')</script>"


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    """Charts and the list cache closed buckets; every test starts without them."""
    cache.clear()


@pytest.fixture
def location(db: None) -> Location:
    return Location.objects.create(name="local", label="Local")


@pytest.fixture
def scenario(location: Location) -> Scenario:
    scenario = Scenario.objects.create(name="Home", slug="home", url="http://www.example.com/")
    scenario.locations.add(location)
    return scenario


def _user(name: str, group: str | None = None, **flags: Any) -> User:
    user = User.objects.create_user(name, password="pw-" + name, **flags)
    if group:
        user.groups.add(role(group))
    return user


@pytest.fixture
def viewer(db: None) -> User:
    return _user("vera", "viewer")


@pytest.fixture
def editor(db: None) -> User:
    return _user("eddie", "editor")


@pytest.fixture
def admin_user(db: None) -> User:
    return _user("ada", is_staff=True, is_superuser=True)


@pytest.fixture
def no_role(db: None) -> User:
    return _user("nobody")


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer: User) -> Client:
    return client_for(viewer)


@pytest.fixture
def editor_client(editor: User) -> Client:
    return client_for(editor)


@pytest.fixture
def make_run(scenario: Scenario, location: Location) -> Callable[..., Run]:
    """Create a run of ``scenario`` and store ``result`` (default: tests.factories.result_doc())
    for it."""

    def make(result: dict[str, Any] | None = None, **fields: Any) -> Run:
        run = Run.objects.create(scenario=scenario, location=location, **fields)
        store_result(run.pk, result or result_doc(), None)
        run.refresh_from_db()
        return run

    return make
