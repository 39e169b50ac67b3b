"""Shared fixtures: the multi-host demo site on loopback, a warm browser, required services.

A test that needs a missing service fails with a message saying how to start it; nothing
is skipped.
"""

import socket
from collections.abc import Iterator

import pytest


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
