"""A remote agent needs only the broker and HTTPS: claim, measure and deliver through the ingest
endpoints of a live server, with its token and no usable database."""

from typing import Any

import pytest

from core.visual.archive import check
from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import run_now
from tests.loop.conftest import Loop
from tests.loop.services import wait_until


@pytest.mark.django_db(transaction=True)
def test_a_remote_agent_delivers_over_http_with_its_token(
    loop: Loop, live_server: Any, site: Any
) -> None:
    from agents.heartbeat import browser_version

    location = Location.objects.create(name="remote")
    token = Agent.objects.create(name="remote-agent", location=location).issue_token()
    scenario = Scenario.objects.create(name="Home", slug="home", url=site.url("/"), paused=True)
    scenario.locations.set([location])
    agent = loop.start_agent(
        "remote",
        "remote-agent",
        PERFITE_SERVER_URL=live_server.url,
        PERFITE_AGENT_TOKEN=token,
        # Nothing to connect to: every call must go through the server's endpoints.
        DATABASE_URL="sqlite:////nonexistent/perfite-remote-agent.sqlite3",
    )
    try:
        wait_until(
            lambda: Agent.objects.filter(name="remote-agent", last_seen__isnull=False).exists(),
            20,
            "the remote agent's heartbeat",
            agent.output,
        )
        (run,) = run_now(scenario)
        wait_until(
            lambda: Run.objects.filter(pk=run.pk, status__in=Run.FINISHED).exists(),
            45,
            "the remote run to be delivered",
            agent.output,
        )
    finally:
        agent.stop()
    run.refresh_from_db()
    assert (run.status, run.agent_name, run.attempts) == (Run.SUCCEEDED, "remote-agent", 1)
    assert run.result is not None and run.result["location"] == "remote"
    # The home page: the document, six subresources and the search XHR, on four hosts.
    assert run.result["metrics"]["requests"] == 8
    assert run.har_size > 0 and run.hosts.count() == 4
    assert (run.screenshot.name or "").endswith(f"run-{run.pk}.jpg")  # uploaded with the result
    assert run.screenshot.read(3) == b"\xff\xd8\xff"
    # The filmstrip too: one JPEG per frame the result lists, and the visual metrics.
    frames = run.result["filmstrip"]["frames"]
    assert (run.filmstrip.name or "").endswith(f"run-{run.pk}.zip")
    check(run.filmstrip.read(), len(frames), max_frames=300, max_bytes=6 * 1024 * 1024)
    assert run.speed_index == run.result["metrics"]["speed_index"] is not None
    remote = Agent.objects.get(name="remote-agent")
    assert (remote.browser_version, remote.concurrency) == (browser_version(), 1)
