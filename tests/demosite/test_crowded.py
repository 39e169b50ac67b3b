"""The demo site's /crowded page: server time shared by the requests in flight, over real
loopback sockets (no browser)."""

from __future__ import annotations

import threading
import time

import pytest

from demosite import content
from demosite.server import DemoSite

from .test_server import Reply, fetch

pytestmark = pytest.mark.system

WWW = "www.example.localhost"
WORK_MS = 600


def test_alone_a_request_takes_its_work_and_is_a_blank_page(site: DemoSite) -> None:
    reply = fetch(site, WWW, f"/crowded?work={WORK_MS}")
    assert (reply.status, len(reply.body)) == (200, content.BLANK_BYTES)
    assert reply.seconds >= WORK_MS / 1000
    assert site.processor.busiest == 1
    assert [(s.path, s.query, s.status) for s in site.log] == [("/crowded", f"work={WORK_MS}", 200)]


def test_requests_at_once_share_the_processor_so_the_last_ends_after_all_their_work(
    site: DemoSite,
) -> None:
    # A processor that is never idle while a request waits finishes 4 x 600 ms of work no
    # sooner than 2.4 s after the first request began, however busy this machine is.
    replies: list[Reply] = []
    barrier = threading.Barrier(4)

    def ask() -> None:
        barrier.wait()
        replies.append(fetch(site, WWW, f"/crowded?work={WORK_MS}"))

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    served = sorted(site.log, key=lambda s: s.started_at)
    assert [r.status for r in replies] == [200] * 4
    assert len(served) == 4
    assert served[-1].finished_at - served[0].started_at >= 4 * WORK_MS / 1000
    assert site.processor.busiest == 4
    assert site.processor.active == 0


def test_work_beyond_a_minute_is_a_bad_parameter(site: DemoSite) -> None:
    assert fetch(site, WWW, "/crowded?work=60001").status == 400


def test_a_reset_abandons_the_work_in_flight(site: DemoSite) -> None:
    # A request whose client is gone goes on being served, as on any server; the site's
    # reset (between tests) abandons it, so it never shares the processor with the next.
    replies: list[Reply] = []
    asker = threading.Thread(target=lambda: replies.append(fetch(site, WWW, "/crowded?work=60000")))
    asker.start()
    deadline = time.monotonic() + 10
    while site.processor.active == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert site.processor.active == 1
    site.reset()
    asker.join(10)
    assert (site.processor.active, site.processor.busiest) == (0, 0)
    assert [r.status for r in replies] == [200] and replies[0].seconds < 10
