"""manage.py agent: run this machine as a measuring agent for one location.

The agent is a Celery worker consuming, for each browser it can drive
(``agents.engines.installed``, narrowed by ``PERFITE_BROWSERS``), that browser's queues of
its location (``core.queues``): ``agents.<location>.now`` ("try it now") and
``agents.<location>`` (scheduled, manual and CI runs) for Chromium, and
``agents.<location>.<browser>.now`` and ``agents.<location>.<browser>`` for each other
browser. Prefork pool, one run per child at a time (``--prefetch-multiplier 1 -O fair``),
each child keeping its own warm browsers. The command replaces itself with that worker
(``exec``), so signals reach Celery directly. Its heartbeat announces the browsers whose
queues it consumes.

Why trials go first: the worker takes a message only when a child is free (late
acknowledgement, prefetch 1 per child), and both brokers poll a worker's queues in turn,
starting after the queue last served (kombu's round robin: the Redis transport's default
queue order, the filesystem transport's fair cycle). With the now-queues listed first, a
trial waits for the runs in progress and, when trials queue up, at most one scheduled run of
each browser between two of them; scheduled runs are never starved.
"""

import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from core import browsers as known
from core.queues import agent_queues

SERVER_QUEUE = "perfite"


def worker_argv(
    location: str,
    name: str,
    concurrency: int,
    loglevel: str,
    with_server_tasks: bool,
    browsers: Sequence[str] = (known.DEFAULT,),
) -> list[str]:
    """The ``celery worker`` command line for an agent of ``location`` named ``name`` driving
    ``browsers``: their now-queues first, then their run queues (``core.queues``), then
    (``with_server_tasks``) the server's."""
    queues = ",".join(
        [*agent_queues(location, browsers), *([SERVER_QUEUE] if with_server_tasks else [])]
    )
    nodename = name if "@" in name else f"{name}@%h"
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "perfite",
        "worker",
        "-Q",
        queues,
        "-n",
        nodename,
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--prefetch-multiplier",
        "1",
        "-O",
        "fair",
        # Agents never need to sync state with their peers: skip the start-up broadcast.
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        loglevel,
    ]


class Command(BaseCommand):
    help = (
        "Run a measuring agent for a location: a Celery worker on queues "
        "agents.<location>.now (try it now, served first) and agents.<location> for Chromium, "
        "agents.<location>.<browser>.now and agents.<location>.<browser> for each other "
        "browser found here (firefox, webkit; PERFITE_BROWSERS narrows them); prefork, warm "
        "browsers in each child, one run per child at a time. With no "
        "PERFITE_SERVER_URL the agent writes results to this server's database and the "
        "location is created if missing; with PERFITE_SERVER_URL and PERFITE_AGENT_TOKEN it "
        "delivers over HTTPS and needs no database. Heartbeats every PERFITE_HEARTBEAT_EVERY "
        "seconds (default 30). Scale a location by starting more agents with different --name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--location", required=True, help="location name, e.g. eu-west")
        parser.add_argument("--label", default="", help="human label when creating the location")
        parser.add_argument(
            "--concurrency",
            type=int,
            default=int(os.environ.get("PERFITE_AGENT_CONCURRENCY", 1)),
            help="parallel runs (worker child processes, one browser each); default 1",
        )
        parser.add_argument(
            "--name",
            default="",
            help="agent name, unique per agent (default <location>@<hostname>)",
        )
        parser.add_argument("--loglevel", default="warning", help="Celery log level")
        parser.add_argument(
            "--with-server-tasks",
            action="store_true",
            help=f"also consume the server queue '{SERVER_QUEUE}' (dispatch, Graphite push, "
            "alerts): for a single-machine install",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        location = options["location"]
        if slugify(location) != location:
            raise CommandError(f"--location must be a slug (letters, digits, -, _): {location!r}")
        if options["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        name = options["name"] or f"{location}@{socket.gethostname()}"
        if not settings.PERFITE_SERVER_URL:
            self._ensure_location(location, options["label"])
        elif not settings.PERFITE_AGENT_TOKEN:
            raise CommandError(
                "PERFITE_SERVER_URL is set but PERFITE_AGENT_TOKEN is not: create a token on "
                f"the server with `manage.py create_agent_token --location {location} "
                f"--name {name}`"
            )
        os.environ["PERFITE_LOCATION"] = location
        os.environ["PERFITE_AGENT_NAME"] = name
        os.environ["PERFITE_AGENT_CONCURRENCY"] = str(options["concurrency"])
        argv = worker_argv(
            location,
            name,
            options["concurrency"],
            options["loglevel"],
            options["with_server_tasks"],
            self._browsers(),
        )
        self.stdout.write(f"agent {name}: {' '.join(argv[1:])}")
        self.stdout.flush()
        # Close the database connection so the worker does not inherit an open socket.
        from django.db import connections

        connections.close_all()
        os.execv(argv[0], argv)

    def _browsers(self) -> list[str]:
        """The browsers whose queues the agent consumes: those found here, after one line on
        stderr for each it cannot drive (how to get it). With none found it still serves
        Chromium's, as agents always did, so that its runs fail saying how to install one
        rather than wait unseen."""
        from agents.engines import installed, missing

        for how in missing().values():
            self.stderr.write(how)
        found = list(installed())
        if found:
            return found
        self.stderr.write(
            "no browser found on this machine (PERFITE_BROWSERS: "
            f"{','.join(settings.PERFITE_BROWSERS) or 'every one'}): serving Chromium's "
            "queues; its runs will fail until one is installed (README, Browsers: which agents "
            "measure a scenario)"
        )
        return [known.DEFAULT]

    def _ensure_location(self, name: str, label: str) -> None:
        from scenarios.models import Location

        location, created = Location.objects.get_or_create(name=name, defaults={"label": label})
        if not created and label and location.label != label:
            location.label = label
            location.save(update_fields=["label"])
