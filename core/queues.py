"""The broker queues that carry runs to agents, by location and browser. Pure.

The server sends ``run_scenario`` to the queue of a run's location and browser; an agent
consumes the queues of its location for each browser it can drive. Both build the names
here, and an agent finds its location back from them (:func:`parse`):

- ``agents.<location>``: the location's Chromium runs (the name agents have always
  consumed, so an agent started before browsers were chosen keeps working);
- ``agents.<location>.<browser>``: its runs in another browser, e.g. ``agents.paris.firefox``;
- ``<either of those>.now``: the matching "try it now" queue, which agents serve before
  their scheduled runs (``agents.paris.now``, ``agents.paris.firefox.now``).

A location's name is a slug (no dots), so the second component is always the location.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from core.browsers import BROWSERS, DEFAULT

PREFIX = "agents"
NOW = "now"


def run_queue(location: str, browser: str = DEFAULT) -> str:
    """The queue of ``location``'s scheduled, manual and CI runs in ``browser``."""
    if browser == DEFAULT:
        return f"{PREFIX}.{location}"
    return f"{PREFIX}.{location}.{browser}"


def now_queue(location: str, browser: str = DEFAULT) -> str:
    """The queue of ``location``'s "try it now" runs in ``browser``: its run queue + ``.now``."""
    return f"{run_queue(location, browser)}.{NOW}"


def agent_queues(location: str, browsers: Iterable[str]) -> list[str]:
    """The queues an agent of ``location`` driving ``browsers`` consumes, in order: every
    now-queue first (so trials go ahead of scheduled runs), then every run queue, each in
    the order of ``browsers`` (duplicates dropped)."""
    chosen = list(dict.fromkeys(browsers))
    return [now_queue(location, b) for b in chosen] + [run_queue(location, b) for b in chosen]


@dataclass(frozen=True)
class AgentQueue:
    """What a queue name says: whose runs it carries."""

    location: str
    browser: str
    now: bool


def parse(queue: str) -> AgentQueue | None:
    """The location, browser and kind of an agents' queue; None for any other queue (the
    server's ``perfite``, a name with an unknown browser or extra parts)."""
    parts = queue.split(".")
    if len(parts) < 2 or parts[0] != PREFIX or not parts[1]:
        return None
    location, rest = parts[1], parts[2:]
    now = rest[-1:] == [NOW]
    if now:
        rest = rest[:-1]
    if not rest:
        return AgentQueue(location, DEFAULT, now)
    if len(rest) == 1 and rest[0] in BROWSERS and rest[0] != DEFAULT:
        return AgentQueue(location, rest[0], now)
    return None
