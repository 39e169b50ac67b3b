"""Agent heartbeats: a daemon thread in the worker's main process reports the agent alive.

Started on Celery's ``worker_ready`` in a worker that consumes a location's queues
(``core.queues``; a server-only worker sends none). Every ``PERFITE_HEARTBEAT_EVERY`` seconds
it calls ``default_delivery().heartbeat(agent, location, info)`` with the Perfite version,
the worker's concurrency, the browsers it serves (``browsers``: name -> version),
Chromium's version (``browser_version``, as agents always sent it) and the virtual users it
holds in a load test (``load_users``: PERFITE_AGENT_LOAD_USERS); the server marks the agent
seen, dispatch flags runs for a location, or a browser, no live agent serves, and a load
test's stages are shared among the live agents by their ``load_users``.

An agent announces the browsers whose queues it consumes: that is where the server's runs
go. Their versions come from ``<browser> --version`` (``agents.engines.installed``): the main
process of a prefork worker must never start Playwright, because its children are forked
from it.

A prefork parent forks new children while this thread runs (a child killed mid-run is
replaced). A child must not inherit an open database socket, so each beat closes this
thread's connections, and a fork waits for a beat in progress to finish (``_fork_lock``).
"""

import logging
import os
import re
import subprocess
import threading
from collections.abc import Iterable
from typing import Any

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings

from agents.identity import agent_name
from core import queues

log = logging.getLogger(__name__)

_VERSION = re.compile(r"\d+(?:\.\d+){1,3}")
_fork_lock = threading.Lock()


def _release_fork_lock() -> None:
    if _fork_lock.locked():
        _fork_lock.release()


os.register_at_fork(
    before=_fork_lock.acquire,
    after_in_parent=_release_fork_lock,
    after_in_child=_release_fork_lock,
)


def browser_version(executable: str = "") -> str:
    """The version of the Chromium runs will use (e.g. ``156.0.8078.79``), or "" if unknown.

    Runs ``<chromium> --version``; never starts Playwright.
    """
    from agents.engines import BrowserNotFound
    from agents.engines.chromium import find_chromium

    try:
        path = find_chromium(executable)
    except BrowserNotFound:
        return ""
    if path is None:
        return ""
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=15, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    match = _VERSION.search(out)
    return match.group(0) if match else ""


def announced(served: Iterable[str], found: dict[str, str]) -> dict[str, str]:
    """The ``browsers`` of a heartbeat: each browser ``served`` (whose queues the agent
    consumes), in order, with its version among those ``found`` on this machine ("" when
    unknown). A served browser is announced even when its version is unknown: its runs come
    to this agent all the same."""
    return {name: found.get(name, "") for name in served}


def agent_info(concurrency: int, served: Iterable[str] | None = None) -> dict[str, Any]:
    """What a heartbeat reports besides the agent's name and location: the Perfite version,
    ``concurrency``, ``browsers`` (:func:`announced`; ``served`` defaults to every browser
    found here), ``load_users`` and Chromium's ``browser_version`` only when ``chromium
    --version`` knows it."""
    from agents.engines import installed
    from perfite import __version__

    found = installed()
    info: dict[str, Any] = {
        "version": __version__,
        "concurrency": concurrency,
        "browsers": announced(found if served is None else served, found),
        "load_users": settings.PERFITE_AGENT_LOAD_USERS,
    }
    # Unknown here (Playwright's own build): the first run of a child reports it instead, and
    # heartbeats leave it alone.
    if version := browser_version(settings.PERFITE_BROWSER_PATH):
        info["browser_version"] = version
    return info


class Heartbeat:
    """Reports ``agent`` of ``location`` alive every ``every`` seconds until stopped."""

    def __init__(self, agent: str, location: str, info: dict[str, Any], every: float) -> None:
        self.agent = agent
        self.location = location
        self.info = {**info, "agent": agent, "location": location}
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="perfite-heartbeat", daemon=True)

    def beat(self) -> bool:
        """Send one heartbeat; True when the server recorded it. Never raises."""
        from django.db import connections

        from agents.delivery import default_delivery

        with _fork_lock:
            try:
                default_delivery().heartbeat(self.agent, self.location, self.info)
                return True
            except Exception as exc:  # the server or database is down: try again next beat
                log.warning("heartbeat of %s failed: %s", self.agent, exc)
                return False
            finally:
                connections.close_all()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self.every)

    def start(self) -> "Heartbeat":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)


_running: Heartbeat | None = None


def agent_location(queue_names: list[str]) -> str | None:
    """The location a worker consuming ``queue_names`` measures for (PERFITE_LOCATION when it
    is one of them, else the first), or None if it consumes no agents' queue."""
    locations = [q.location for name in queue_names if (q := queues.parse(name)) is not None]
    if not locations:
        return None
    return settings.PERFITE_LOCATION if settings.PERFITE_LOCATION in locations else locations[0]


def served_browsers(queue_names: list[str], location: str) -> list[str]:
    """The browsers whose queues of ``location`` are among ``queue_names``, in their order."""
    parsed = [queues.parse(name) for name in queue_names]
    return list(
        dict.fromkeys(q.browser for q in parsed if q is not None and q.location == location)
    )


@worker_ready.connect
def start_heartbeat(sender: Any = None, **_: Any) -> None:
    """On an agent worker's start-up: begin heartbeats from its main process."""
    global _running
    names = list(sender.app.amqp.queues.consume_from) if sender is not None else []
    location = agent_location(names)
    if location is None or _running is not None:
        return
    controller = getattr(sender, "controller", None)
    concurrency = int(getattr(controller, "concurrency", 0) or settings.PERFITE_AGENT_CONCURRENCY)
    info = agent_info(concurrency, served_browsers(names, location))
    _running = Heartbeat(agent_name(), location, info, settings.PERFITE_HEARTBEAT_EVERY).start()


@worker_shutdown.connect
def stop_heartbeat(**_: Any) -> None:
    global _running
    if _running is not None:
        _running.stop()
        _running = None
