"""The monitoring loop with real processes, started once for this package and stopped after it.

``redis``: a throwaway Redis on a free port, the broker of every process below and of this
test process (its Celery app is pointed at it for the package's duration).
``loop``: a server worker (queue ``perfite``: dispatch ticks, Graphite pushes), agents for
locations eu-west and us-east started with ``manage.py agent``, and two ``celery beat``
processes racing each other with a one-second dispatch tick. They all use pytest-django's test
database (a file for SQLite, ``test_<name>`` on PostgreSQL), so tests that talk to them use
``@pytest.mark.django_db(transaction=True)``.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import TEST_ALLOWED_NETWORKS
from tests.loop.services import (
    Process,
    celery_argv,
    database_url,
    manage_argv,
    start_redis,
    wait_until,
)

LOCATIONS = ("eu-west", "us-east")


def agent_name(location: str) -> str:
    return f"{location}-agent"


@pytest.fixture(scope="package")
def loop_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loop")


@pytest.fixture(scope="package")
def redis(loop_dir: Path) -> Iterator[str]:
    """The URL of a throwaway Redis; this process's Celery app sends to it meanwhile."""
    process, url = start_redis(loop_dir)
    from perfite.celery import app

    saved = (app.conf.broker_url, app.conf.broker_transport_options)

    def reconnect(url: str, options: dict[str, Any]) -> None:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        app.conf.broker_url = url
        app.conf.broker_transport_options = options

    reconnect(url, {"visibility_timeout": 900})
    yield url
    reconnect(*saved)
    process.stop()


@dataclass
class Loop:
    """The running processes and the environment to start more of them with."""

    env: dict[str, str]
    workdir: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, argv: list[str], **env: str) -> Process:
        process = Process(name, argv, {**self.env, **env}, self.workdir / f"{name}.log").start()
        self.processes.append(process)
        return process

    def start_agent(
        self, location: str, name: str, concurrency: int = 1, wait: bool = True, **env: str
    ) -> Process:
        """``manage.py agent`` for ``location``; by default returns once its worker is ready."""
        argv = manage_argv(
            "agent",
            "--location",
            location,
            "--name",
            name,
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "info",
        )
        process = self.start(name, argv, **env)
        if wait:
            process.wait_for_output("ready.", 90)
        return process

    def output(self) -> str:
        return "\n".join(process.output() for process in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.stop()


def process_env(redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a worker, agent or beat of this test run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PERFITE_", "GRAPHITE_", "CELERY_", "DATABASE_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="perfite.settings",
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=redis_url,
        PERFITE_DISPATCH_EVERY="1",
        PERFITE_HEARTBEAT_EVERY="1",
        PERFITE_QUIET_MS="300",
        PERFITE_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PERFITE_ALLOWED_NETWORKS=TEST_ALLOWED_NETWORKS,  # the demo site is on loopback
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@pytest.fixture(scope="package")
def loop(django_db_setup: None, redis: str, loop_dir: Path) -> Iterator[Loop]:
    """Server worker, one agent per location in LOCATIONS, two racing beats."""
    running = Loop(env=process_env(redis), workdir=loop_dir)
    try:
        server = running.start(
            "server-worker",
            celery_argv(
                "worker",
                "-Q",
                "perfite",
                "-n",
                "server@%h",
                "--concurrency",
                "2",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "info",
            ),
        )
        agents = [
            running.start_agent(location, agent_name(location), wait=False)
            for location in LOCATIONS
        ]
        for process in [server, *agents]:
            process.wait_for_output("ready.", 90)
        for beat in ("beat-1", "beat-2"):
            running.start(
                beat,
                celery_argv("beat", "--loglevel", "info", "-s", str(loop_dir / f"{beat}-schedule")),
            )
        yield running
    finally:
        running.stop()


@pytest.fixture
def live_locations(loop: Loop, transactional_db: None) -> dict[str, Any]:
    """Location rows of LOCATIONS once their agents have reported in (the test database is
    emptied between tests; the agents' one-second heartbeats recreate their rows)."""
    from scenarios.models import Agent, Location

    def reported() -> bool:
        names = [agent_name(location) for location in LOCATIONS]
        live = [a for a in Agent.objects.filter(name__in=names) if a.is_live]
        return len(live) == len(LOCATIONS)

    wait_until(reported, 30, "heartbeats from the eu-west and us-east agents", loop.output)
    return {location.name: location for location in Location.objects.filter(name__in=LOCATIONS)}
