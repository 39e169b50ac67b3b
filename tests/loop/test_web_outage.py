"""A remote agent whose server goes away mid-run keeps the measurement and delivers it once the
server is back: the run is measured once and stored once."""

from typing import Any
from urllib.parse import urlsplit

import pytest

from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import run_now
from tests.loop.conftest import Loop
from tests.loop.services import Outage, wait_until

SLOW_MS = 6000


@pytest.mark.django_db(transaction=True)
def test_a_measurement_finished_while_the_server_is_away_is_delivered_when_it_returns(
    loop: Loop, live_server: Any, site: Any
) -> None:
    target = urlsplit(live_server.url)
    web = Outage(target.hostname or "127.0.0.1", target.port or 80).up()
    location = Location.objects.create(name="away")
    token = Agent.objects.create(name="away-agent", location=location).issue_token()
    scenario = Scenario.objects.create(name="Away", slug="away", url=site.url("/"), paused=True)
    scenario.locations.set([location])
    agent = loop.start_agent(
        "away",
        "away-agent",
        PERFITE_SERVER_URL=web.url,
        PERFITE_AGENT_TOKEN=token,
        DATABASE_URL="sqlite:////nonexistent/perfite-away-agent.sqlite3",
    )
    try:
        site.delays["www.example.localhost/"] = SLOW_MS
        (run,) = run_now(scenario)
        wait_until(
            lambda: Run.objects.filter(pk=run.pk, status=Run.RUNNING).exists(),
            30,
            "the run to be claimed",
            agent.output,
        )
        web.down()  # the page is still loading: the delivery will find no server
        agent.wait_for_output("kept in the spool until the server answers", SLOW_MS / 1000 + 40)
        assert Run.objects.get(pk=run.pk).status == Run.RUNNING
        web.up()
        wait_until(
            lambda: Run.objects.filter(pk=run.pk, status__in=Run.FINISHED).exists(),
            60,
            "the spooled run to be delivered",
            agent.output,
        )
    finally:
        web.down()
        agent.stop()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.agent_name) == (Run.SUCCEEDED, 1, "away-agent")
    assert run.result is not None and run.result["metrics"]["requests"] == 8
    documents = [s for s in site.log_for("www.example.localhost") if s.path == "/"]
    assert len(documents) == 1  # measured once, never again
