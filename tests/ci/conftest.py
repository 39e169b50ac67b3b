"""Fixtures for the CI gate: API users with tokens, a demo-site scenario, an in-process agent.

``agent`` replaces the broker for the test's duration: every ``run_scenario`` the server sends
is run by a thread of this process, which claims the run, measures it with a real Chromium and
stores the result exactly as a worker on the server machine does (LocalDelivery). The test
database is a file (see settings), so the agent thread's own connection sees it; tests using
it need ``@pytest.mark.django_db(transaction=True)``.
"""

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from perfite.celery import app as celery_app
from scenarios.models import Location, Run, Scenario
from tests.roles import role


class InProcessAgent:
    """Runs ``agents.tasks.run_scenario`` for every run id sent, one at a time, in a thread."""

    def __init__(self) -> None:
        self.sent: queue.Queue[int | None] = queue.Queue()
        self.done: list[int] = []
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._work, name="test-agent", daemon=True)

    def send_task(self, name: str, args: list[Any] | None = None, **_: Any) -> None:
        assert name == "agents.tasks.run_scenario", name
        self.sent.put(int((args or [])[0]))

    def _work(self) -> None:
        from agents.tasks import run_scenario

        try:
            while (run_id := self.sent.get()) is not None:
                try:
                    run_scenario(run_id)
                except Exception as exc:  # surfaced by the tests through agent.errors
                    self.errors.append(f"run {run_id}: {exc!r}")
                self.done.append(run_id)
        finally:
            connection.close()

    def stop(self) -> None:
        self.sent.put(None)
        self.thread.join(timeout=60)


@pytest.fixture(scope="session")
def agent_browser() -> Iterator[None]:
    """Close the agent's warm browser at the end of the session (before interpreter exit)."""
    yield
    from agents.pool import close_shared_pool

    close_shared_pool()


@pytest.fixture
def agent(
    monkeypatch: pytest.MonkeyPatch, settings: Any, agent_browser: None
) -> Iterator[InProcessAgent]:
    settings.PERFITE_QUIET_MS = 300
    worker = InProcessAgent()
    monkeypatch.setattr(celery_app, "send_task", worker.send_task)
    worker.thread.start()
    yield worker
    worker.stop()
    assert worker.errors == []


@pytest.fixture
def location(db: None) -> Location:
    return Location.objects.get_or_create(name="local")[0]


@pytest.fixture
def demo_scenario(location: Location, site: Any) -> Scenario:
    """The demo site's home page as a scenario measured from location "local"."""
    scenario = Scenario.objects.create(
        name="Demo home", slug="demo", url=site.url("/"), frequency_minutes=60, paused=True
    )
    scenario.locations.add(location)
    return scenario


MakeUser = Callable[..., tuple[User, str]]


@pytest.fixture
def make_user(db: None) -> MakeUser:
    """Create a user in role group ``group`` (or staff) and return it with its API token."""

    def make(
        name: str = "ci", group: str | None = "editor", staff: bool = False
    ) -> tuple[User, str]:
        user = User.objects.create_user(name, password="pw-not-used-1", is_staff=staff)
        if group:
            user.groups.add(role(group))
        return user, Token.objects.create(user=user).key

    return make


@pytest.fixture
def editor_client(make_user: MakeUser) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_user('editor1')[1]}")
    return client


@pytest.fixture
def viewer_client(make_user: MakeUser) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_user('viewer1', group='viewer')[1]}")
    return client


CHAT_HOST = "api.example.localhost"


class SyntheticAgent:
    """Answers every run at once with a synthetic result (tests/factories.py).

    The run's URL says what to report: ``?fcp=400&ad=300`` gives FCP ≈ 400 ms and a 300 ms
    render-blocking ad script, both plus a few ms of jitter set by the run's rank within its
    role (median +1 ms over five runs); ``?chat=200`` a POST to
    ``http://api.example.localhost/api/chats`` taking 200 ms (plus the jitter), which the
    agent reports as the named request ``create_chat`` (``request.create_chat.duration_ms``,
    as for a scenario declaring ``create_chat: POST */api/chats``); ``?fail=1`` a failed run.
    Stored through ``store_result`` like a real agent's delivery.
    """

    JITTER = (0.0, 4.0, -2.0, 2.0, 1.0, -3.0, 3.0)

    def __init__(self) -> None:
        self.count = 0

    def send_task(self, name: str, args: list[Any] | None = None, **_: Any) -> None:
        from urllib.parse import parse_qs, urlsplit

        from scenarios.models.run import claim_run
        from scenarios.runs.store import store_result
        from tests.factories import home_result, req

        run_id = int((args or [])[0])
        spec = claim_run(run_id, "synthetic")
        assert spec is not None
        query = {k: float(v[-1]) for k, v in parse_qs(urlsplit(spec["url"]).query).items()}
        run = Run.objects.get(pk=run_id)
        index = self.count
        if run.comparison_id:  # the n-th run of its role: the same jitter whatever the order
            index = Run.objects.filter(
                comparison_id=run.comparison_id, role=run.role, sequence__lt=run.sequence
            ).count()
        jitter = self.JITTER[index % len(self.JITTER)]
        self.count += 1
        fail = bool(query.get("fail"))
        chat_ms = query["chat"] + jitter if "chat" in query else None
        chat = req(CHAT_HOST, "/api/chats", 30.0, chat_ms or 0, kind="fetch", method="POST")
        doc = home_result(
            query.get("fcp", 100.0) + jitter,
            ad_ms=query.get("ad", 20.0) + jitter,
            status="failed" if fail else "succeeded",
            error="HTTP 500 for the page" if fail else None,
            extra=[chat] if chat_ms is not None else [],
        )
        if chat_ms is not None:
            doc["metrics"]["request.create_chat.duration_ms"] = chat_ms
        doc["profile"] = spec["profile"]  # measured under the run's profile, as an agent does
        store_result(run_id, doc, None, agent_name="synthetic")


@pytest.fixture
def synthetic_agent(monkeypatch: pytest.MonkeyPatch) -> SyntheticAgent:
    worker = SyntheticAgent()
    monkeypatch.setattr(celery_app, "send_task", worker.send_task)
    return worker
