"""Dashboard fixtures: one user per role, a scenario and result documents to store."""

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client

from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
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


def request_doc(
    host: str, party: str, started: float, url: str = "", **extra: Any
) -> dict[str, Any]:
    return {
        "url": url or f"http://{host}/asset",
        "method": "GET",
        "host": host,
        "party": party,
        "entity": host.split(".", 1)[-1],
        "content_class": "js",
        "content_type": "text/javascript",
        "status": 200,
        "body_bytes": 1000,
        "transfer_bytes": 1200,
        "started_ms": started,
        "duration_ms": 40.0,
        "timings": {
            "blocked": 1.0,
            "dns": 2.0,
            "connect": 8.0,
            "ssl": 3.0,
            "send": 0.5,
            "wait": 20.0,
            "receive": 5.5,
        },
        "failed": False,
        "error": None,
        "render_blocking": False,
        "resource_type": "script",
        **extra,
    }


def totals(requests: int, transfer: int, time_ms: float, **extra: Any) -> dict[str, Any]:
    return {
        "requests": requests,
        "failed": 0,
        "body_bytes": transfer - 100,
        "transfer_bytes": transfer,
        "time_ms": time_ms,
        "blocking_ms": 0.0,
        **extra,
    }


def result_doc(
    lcp: float = 100.0,
    requests: list[dict[str, Any]] | None = None,
    hosts: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A valid result document with two hosts (one first, one third party)."""
    requests = (
        requests
        if requests is not None
        else [
            request_doc("www.example.com", "first", 0.0, "http://www.example.com/"),
            request_doc("ads.other.com", "third", 50.0),
        ]
    )
    hosts = (
        hosts
        if hosts is not None
        else {
            "www.example.com": totals(1, 1200, 40.0, party="first", entity="example.com"),
            "ads.other.com": totals(1, 1200, 40.0, party="third", entity="other.com"),
        }
    )
    return {
        "schema": 1,
        "scenario": "home",
        "location": "local",
        "browser": "chromium",
        "url": "http://www.example.com/",
        "status": "succeeded",
        "error": None,
        "started_at": "2026-11-23T10:00:00+00:00",
        "finished_at": "2026-11-23T10:00:02+00:00",
        "metrics": {
            "ttfb": 10.0,
            "fcp": 60.0,
            "lcp": lcp,
            "cls": 0.01,
            "tbt": 0.0,
            "dom_content_loaded": 70.0,
            "load": 120.0,
            "fully_loaded": 130.0,
            "requests": len(requests),
            "transfer_bytes": 2400,
            "body_bytes": 2200,
            "first_party_requests": 1,
            "first_party_bytes": 1200,
            "third_party_requests": 1,
            "third_party_bytes": 1200,
            "third_party_blocking_ms": 0.0,
        },
        "pages": [
            {
                "url": "http://www.example.com/",
                "started_ms": 0.0,
                "metrics": {"fcp": 60.0, "lcp": lcp, "dom_content_loaded": 70.0, "load": 120.0},
            }
        ],
        "steps": [],
        "requests": requests,
        "parties": {},
        "hosts": hosts,
        "entities": {
            h["entity"]: {k: v for k, v in h.items() if k != "entity"} for h in hosts.values()
        },
        "content_classes": {},
    }


@pytest.fixture
def make_run(scenario: Scenario, location: Location) -> Callable[..., Run]:
    """Create a run of ``scenario`` and store ``result`` (default: result_doc()) for it."""

    def make(result: dict[str, Any] | None = None, **fields: Any) -> Run:
        run = Run.objects.create(scenario=scenario, location=location, **fields)
        store_result(run.pk, result or result_doc(), None)
        run.refresh_from_db()
        return run

    return make
