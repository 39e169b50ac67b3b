"""Shared fixtures: the multi-host demo site on loopback, a warm browser, required services.

A test that needs a missing service fails with a message saying how to start it; nothing
is skipped.

Two lanes: every test that uses a fixture of SYSTEM_FIXTURES is marked ``system`` here, and a
test that starts a process or a browser by itself carries the mark in its module.
``pytest -m "not system"`` (``make test-fast``) runs the fast lane: pure and in-process.
"""

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

# Fixtures that start a real Chromium, the demo site on its sockets, worker processes, Redis
# or carbon (directly or through the fixtures they depend on).
SYSTEM_FIXTURES = frozenset(
    {
        "browser_pool",  # a warm Chromium
        "demo_site",  # the multi-host site on loopback sockets (``site`` uses it)
        "agent_browser",  # tests/ci: the in-process agent measuring with a real Chromium
        "redis",  # tests/loop: a throwaway redis-server (``loop`` and its workers use it)
        "carbon",  # tests/loop: a carbon-cache process writing whisper files
    }
)


# System-lane modules whose mere import is expensive (the API fuzz test builds its schema at
# import, about 4.5 s): the fast lane does not even collect them.
EXPENSIVE_SYSTEM_MODULES = ("test_api_fuzz.py",)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Skip collecting EXPENSIVE_SYSTEM_MODULES when the run deselects the system lane."""
    lane = str(config.getoption("markexpr", "") or "").replace(" ", "")
    if lane == "notsystem" and collection_path.name in EXPENSIVE_SYSTEM_MODULES:
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``system`` every test whose fixtures (closure included) start a system part."""
    for item in items:
        if SYSTEM_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.system)


@pytest.fixture(autouse=True, scope="session")
def fast_passwords() -> Iterator[None]:
    """Password hashing is deliberately slow (PBKDF2: a third of a second a user); the tests
    make hundreds of users with passwords (API tokens, dashboard roles, the admin). Set once
    for the session: a per-test ``settings`` override costs every test, users or not."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


# The demo site every system test measures lives on loopback (``*.localhost`` is 127.0.0.1),
# which the address policy refuses by default (core.netpolicy): the tests allow loopback, and
# nothing else, for this process (its settings) and for the processes they start.
TEST_ALLOWED_NETWORKS = "127.0.0.0/8"


@pytest.fixture(autouse=True, scope="session")
def loopback_allowed() -> Iterator[None]:
    """PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 for the whole session (a test may override it)."""
    with override_settings(PERFITE_ALLOWED_NETWORKS=[TEST_ALLOWED_NETWORKS]):
        yield


@pytest.fixture(autouse=True, scope="session")
def media_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """MEDIA_ROOT (HARs, screenshots, filmstrips) in a folder of this session, for this process
    and the processes the tests start: files a run leaves never meet the next run's names
    (storage would rename a clashing file) nor the checkout's own var/media."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


def require_port(host: str, port: int, how: str) -> None:
    """Fail (never skip) when a needed service is not listening."""
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError:
        pytest.fail(f"{host}:{port} is not reachable. Start it with: {how}", pytrace=False)


@pytest.fixture(scope="session")
def demo_site() -> Iterator["object"]:
    """The multi-host demo site (demosite.DemoSite), started once for the session."""
    from demosite.server import DemoSite

    site = DemoSite().start()
    yield site
    site.stop()


@pytest.fixture
def site(demo_site: "object") -> Iterator["object"]:
    """The demo site with delays and request log reset for this test."""
    demo_site.reset()  # type: ignore[attr-defined]
    demo_site.clear_log()  # type: ignore[attr-defined]
    yield demo_site
    demo_site.reset()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def browser_pool() -> Iterator["object"]:
    """The process's shared pool (agents.pool), warm for the whole session: the same browser
    an in-process agent task or ``manage.py measure`` in this process measures with."""
    from agents.pool import close_shared_pool, shared_pool

    yield shared_pool()
    close_shared_pool()
