"""Virtual users of a load test's share: many journeys at once on one browser, in greenlets on
the pool's thread (agents.crowd), with a real Chromium on the demo site."""

import time
from collections.abc import Iterator
from typing import Any

import pytest

from agents.pool import BrowserPool
from agents.scenario_file import spec_from_target
from agents.virtual_users import Users
from demosite import DemoSite

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def pool() -> Iterator[BrowserPool]:
    """A pool of this module's own: closing it must leave nothing of its browser behind."""
    own = BrowserPool()
    yield own
    own.close()


def spec_for(site: DemoSite, path: str) -> dict[str, Any]:
    spec = spec_from_target(site.url(path), screenshot=False, filmstrip=False)
    spec["quiet_ms"] = 200
    return spec


def test_continuous_users_each_make_their_journeys_back_to_back(
    site: DemoSite, pool: BrowserPool
) -> None:
    users = Users(pool, spec_for(site, "/blank"), users=3, first_user=5, iterations=2)
    pool.call(users.warm)
    pool.call(users.run)
    done = users.drain()
    assert sorted(i["user"] for i in done) == [5, 5, 6, 6, 7, 7]
    assert [i["status"] for i in done] == ["succeeded"] * 6
    assert all(i["values"]["requests"] == 1.0 and i["values"]["ttfb"] > 0 for i in done)
    assert [s.path for s in site.log] == ["/blank"] * 6
    assert users.running == 0 and users.failure == ""
    assert pool.call(lambda: users._browser.contexts) == []


def test_a_rehearsal_loads_the_first_page_only_and_keeps_nothing(
    site: DemoSite, pool: BrowserPool
) -> None:
    spec = spec_for(site, "/blank")
    spec["steps"] = [{"action": "navigate", "url": "/steps", "line": 2}]
    users = Users(pool, spec, users=2, iterations=1)
    pool.call(users.warm)
    pool.call(users.rehearse)
    assert [s.path for s in site.log] == ["/blank"]
    assert users.drain() == [] and pool.call(lambda: users._browser.contexts) == []


def test_parallel_users_start_each_round_together(site: DemoSite, pool: BrowserPool) -> None:
    # Each page needs 0.3 s of the demo server's processor: users that navigate together are
    # all on it at once.
    spec = spec_for(site, "/crowded?work=300")
    users = Users(pool, spec, users=4, kind="parallel", iterations=2)
    pool.call(users.warm)
    pool.call(users.run)
    done = users.drain()
    assert sorted(i["user"] for i in done) == [0, 0, 1, 1, 2, 2, 3, 3]
    assert [i["status"] for i in done] == ["succeeded"] * 8
    assert site.processor.busiest == 4
    # the second round began once the whole first one had ended
    first, second = done[:4], done[4:]
    assert min(i["started_at"] for i in second) > max(i["started_at"] for i in first)


def test_a_stop_ends_every_journey_at_once_and_leaves_no_context(
    site: DemoSite, pool: BrowserPool
) -> None:
    import threading

    spec = spec_for(site, "/crowded?work=20000")  # each journey would take 20 s or more
    users = Users(pool, spec, users=3, seconds=60)
    pool.call(users.warm)
    runner = threading.Thread(target=pool.call, args=(users.run,))
    runner.start()
    deadline = time.monotonic() + 30
    while site.processor.active < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert site.processor.active == 3
    stopped_at = time.monotonic()
    users.stop()
    runner.join(10)
    assert not runner.is_alive()
    assert time.monotonic() - stopped_at < 5
    assert users.drain() == []  # journeys cut short are not iterations
    assert pool.call(lambda: users._browser.contexts) == []
