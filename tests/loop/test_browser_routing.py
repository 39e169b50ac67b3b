"""Runs reach the agents that have their browser, as real processes: an agent offering only
Firefox consumes the Firefox queues of its location and announces Firefox alone; a Firefox
scenario's trial and scheduled run are measured there in Firefox, and a Chromium scenario of
the same location is flagged, naming the browser no live agent there has."""

from typing import Any

import pytest
from django.utils import timezone

from agents.engines import firefox
from scenarios.models import Agent, Location, Run, Scenario
from scenarios.runs.dispatch import TryNowRefused, run_now, try_now
from tests.loop.conftest import Loop
from tests.loop.services import wait_until

NAME = "paris-firefox"


@pytest.mark.django_db(transaction=True)
def test_a_firefox_scenario_is_measured_by_the_agent_that_has_firefox(
    loop: Loop, live_locations: dict[str, Any], site: Any
) -> None:
    if not firefox.available():
        pytest.fail(firefox.MISSING, pytrace=False)
    agent = loop.start_agent("paris", NAME, PERFITE_BROWSERS="firefox")
    try:
        assert f"-Q agents.paris.firefox.now,agents.paris.firefox -n {NAME}@%h" in agent.output()
        wait_until(
            lambda: Agent.objects.filter(name=NAME, last_seen__isnull=False).exists(),
            20,
            "the Firefox agent's heartbeat",
            agent.output,
        )
        paris = Location.objects.get(name="paris")
        fox = Scenario.objects.create(
            name="Fox", slug="fox", url=site.url("/"), paused=True, browser="firefox"
        )
        chrome = Scenario.objects.create(name="Chrome", slug="chrome", url=site.url("/"))
        for scenario in (fox, chrome):
            scenario.locations.set([paris])

        trial = try_now(fox)
        Scenario.objects.filter(pk=fox.pk).update(paused=False, next_due_at=timezone.now())
        wait_until(
            lambda: Run.objects.filter(scenario=fox, status__in=Run.FINISHED).count() == 2,
            90,
            "the Firefox trial and scheduled run to finish",
            agent.output,
        )
        with pytest.raises(TryNowRefused) as refused:
            try_now(chrome)
        (flagged,) = run_now(chrome)
    finally:
        agent.stop()

    runs = list(Run.objects.filter(scenario=fox).order_by("pk"))
    assert runs[0].pk == trial.pk
    assert [(r.kind, r.status, r.agent_name, r.browser) for r in runs] == [
        (Run.KIND_MANUAL, Run.SUCCEEDED, NAME, "firefox"),
        (Run.KIND_SCHEDULED, Run.SUCCEEDED, NAME, "firefox"),
    ]
    for run in runs:
        assert run.result is not None
        assert (run.result["browser"], run.result["location"]) == ("firefox", "paris")
        # The home page: the document, six subresources and the search XHR, on four hosts.
        assert run.result["metrics"]["requests"] == 8
        assert run.hosts.count() == 4
    announced = Agent.objects.get(name=NAME)
    assert announced.browsers == {"firefox": firefox.version()}
    assert str(refused.value) == (
        "No live agent in paris has chromium: start one with "
        "`manage.py agent --location paris` on a machine with chromium."
    )
    assert (flagged.browser, flagged.flagged) == ("chromium", "no live agent in paris has chromium")
