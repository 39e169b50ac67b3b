"""Fixtures for alert tests: a scenario with a location, a run factory, a webhook receiver."""

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from perfite.celery import app as celery_app
from scenarios.models import Location, Run, RunHost, Scenario

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def location(db: None) -> Location:
    return Location.objects.create(name="eu")


@pytest.fixture
def scenario(location: Location) -> Scenario:
    s = Scenario.objects.create(name="Shop home", slug="shop", url="https://shop.example.com/")
    s.locations.add(location)
    return s


MakeRun = Callable[..., Run]


@pytest.fixture
def make_run(scenario: Scenario, location: Location) -> MakeRun:
    """Create a finished run at ``T0 + minute`` minutes with metric columns, hosts and result.

    ``hosts`` maps host → dict of TOTALS (+ party/entity); ``result`` extra keys go to the
    result document (content_classes, steps).
    """

    def make(
        minute: float,
        status: str = Run.SUCCEEDED,
        hosts: dict[str, dict[str, Any]] | None = None,
        kind: str = Run.KIND_SCHEDULED,
        error: str = "",
        at: Location | None = None,
        **fields: Any,
    ) -> Run:
        result_extra = fields.pop("result", {})
        run = Run.objects.create(
            scenario=scenario,
            location=at or location,
            status=status,
            kind=kind,
            error=error,
            result={"status": status, "hosts": hosts or {}, **result_extra},
            **fields,
        )
        when = T0 + timedelta(minutes=minute)
        Run.objects.filter(pk=run.pk).update(created_at=when, finished_at=when)
        run.created_at = when
        RunHost.objects.bulk_create(
            RunHost(
                run=run,
                host=host,
                entity=h.get("entity", ".".join(host.split(".")[-2:])),
                party=h.get("party", "third"),
                requests=h.get("requests", 1),
                transfer_bytes=h.get("transfer_bytes", 0),
                body_bytes=h.get("body_bytes", 0),
                time_ms=h.get("time_ms", 0.0),
                blocking_ms=h.get("blocking_ms", 0.0),
            )
            for host, h in (hosts or {}).items()
        )
        return run

    return make


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run queued tasks in-process (retries included, without their countdown)."""
    before = (celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates)
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = before


@dataclass
class Receiver:
    """A real HTTP server on loopback recording POSTs; ``fail_first`` answers 500 first."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_first: int = 0
    status: int = 200

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                rec.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                failing = len(rec.requests) <= rec.fail_first
            self.send_response(500 if failing else rec.status)
            self.end_headers()
            self.wfile.write(b"nope" if failing else b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield rec
    server.shutdown()
    server.server_close()
