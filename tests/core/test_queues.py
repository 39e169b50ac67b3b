"""core.queues: the queue of each location and browser, and what a queue name says."""

import pytest

from core.browsers import BROWSERS
from core.queues import AgentQueue, agent_queues, now_queue, parse, run_queue


def test_chromium_keeps_the_queues_agents_always_consumed() -> None:
    assert (run_queue("paris"), now_queue("paris")) == ("agents.paris", "agents.paris.now")
    assert run_queue("paris", "chromium") == "agents.paris"


def test_other_browsers_have_their_own_queues_of_the_location() -> None:
    assert [run_queue("paris", b) for b in BROWSERS] == [
        "agents.paris",
        "agents.paris.firefox",
        "agents.paris.webkit",
    ]
    assert [now_queue("paris", b) for b in BROWSERS] == [
        "agents.paris.now",
        "agents.paris.firefox.now",
        "agents.paris.webkit.now",
    ]


def test_an_agent_consumes_every_now_queue_before_any_run_queue() -> None:
    assert agent_queues("eu-west", ["firefox", "chromium", "firefox"]) == [
        "agents.eu-west.firefox.now",
        "agents.eu-west.now",
        "agents.eu-west.firefox",
        "agents.eu-west",
    ]


@pytest.mark.parametrize("location", ["paris", "now", "firefox", "eu_west-2"])
@pytest.mark.parametrize("browser", BROWSERS)
def test_every_queue_name_reads_back_as_its_location_and_browser(
    location: str, browser: str
) -> None:
    assert parse(run_queue(location, browser)) == AgentQueue(location, browser, now=False)
    assert parse(now_queue(location, browser)) == AgentQueue(location, browser, now=True)


@pytest.mark.parametrize(
    "name",
    [
        "perfite",
        "agents",
        "agents.",
        "celery",
        "agents.paris.opera",
        "agents.paris.chromium",  # Chromium's queue is the location's own
        "agents.paris.firefox.now.now",
        "agents.paris.firefox.webkit",
        "other.paris",
    ],
)
def test_other_names_are_no_agents_queue(name: str) -> None:
    assert parse(name) is None
