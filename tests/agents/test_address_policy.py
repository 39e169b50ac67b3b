"""The address policy in a real Chromium: every connection of a page goes through the agent's
proxy, which refuses what the policy forbids after resolving it, and nothing else changes."""

from collections.abc import Iterator
from typing import Any

import pytest

from agents.browser import measure
from agents.pool import BrowserPool
from core.netpolicy import AddressPolicy, check_url
from tests.agents.test_measure import served_http, spec_for

ADS = "ads.other.localhost"


@pytest.fixture
def demo_only_pool(site: Any) -> Iterator[BrowserPool]:
    """A pool whose policy refuses loopback except the demo site's hosts on its port, the
    ads host left out."""
    hosts = [
        f"{host}:{site.port}"
        for host in (
            "www.example.localhost",
            "static.example.localhost",
            "beacon.tracker.localhost",
        )
    ]
    pool = BrowserPool(policy=AddressPolicy.parse([], hosts))
    yield pool
    pool.close()


def blocked(host: str, port: int) -> str:
    return (
        f"blocked by the address policy: {host}:{port} resolves to 127.0.0.1, a loopback "
        f"address; allow it with PERFITE_ALLOWED_NETWORKS=127.0.0.0/8 or "
        f"PERFITE_ALLOWED_HOSTS={host}"
    )


def test_a_forbidden_subresource_fails_and_the_rest_loads_to_the_byte(
    site: Any, demo_only_pool: BrowserPool
) -> None:
    result = measure(spec_for(site.url("/")), demo_only_pool).result
    site.wait_for("beacon.tracker.localhost", "/collect")

    assert result["status"] == "succeeded", result["error"]
    assert site.log_for(ADS) == []
    ads = [r for r in result["requests"] if r["host"] == ADS]
    assert [(r["failed"], r["error"], r["transfer_bytes"]) for r in ads] == [
        (True, blocked(ADS, site.port), 0)
    ]
    served = served_http(site)
    for host in ("www.example.localhost", "static.example.localhost", "beacon.tracker.localhost"):
        mine = [s for s in served if s.host == host]
        totals = result["hosts"][host]
        assert totals["requests"] == len(mine), host
        assert totals["body_bytes"] == sum(s.body_bytes for s in mine), host
        assert totals["transfer_bytes"] == sum(s.body_bytes + s.header_bytes for s in mine), host


def test_a_forbidden_page_fails_the_run_with_the_policy_reason(
    site: Any, demo_only_pool: BrowserPool
) -> None:
    url = site.url("/", host=ADS)
    result = measure(spec_for(url), demo_only_pool).result

    assert (result["status"], result["error"]) == (
        "failed",
        f"Page.goto: {blocked(ADS, site.port)}",
    )
    assert site.log == []


def test_a_name_rebound_to_loopback_after_it_was_saved_is_refused(
    site: Any, demo_only_pool: BrowserPool
) -> None:
    url = f"http://shop.test:{site.port}/blank"
    # saved while shop.test resolved to a public address: allowed then
    assert check_url(AddressPolicy(), url, lambda _: ["93.184.216.34"]) is None
    # now it resolves to loopback (the spec's DNS map plays the resolver's new answer)
    spec = spec_for(url, setup={"dns": {"shop.test": "127.0.0.1"}})
    result = measure(spec, demo_only_pool).result

    assert (result["status"], result["error"]) == (
        "failed",
        f"Page.goto: {blocked('shop.test', site.port)}",
    )
    assert site.log == []


def test_network_errors_read_as_without_the_proxy(browser_pool: BrowserPool) -> None:
    result = measure(spec_for("http://nothing-here.invalid/"), browser_pool).result

    assert (
        result["error"] == "Page.goto: net::ERR_NAME_NOT_RESOLVED at http://nothing-here.invalid/"
    )
    assert browser_pool.call(lambda: browser_pool.proxy() is not None)


def test_a_policy_allowing_everything_runs_no_proxy(site: Any) -> None:
    pool = BrowserPool(policy=AddressPolicy.parse(["*"]))
    try:
        result = measure(spec_for(site.url("/blank")), pool).result
        proxy = pool.call(pool.proxy)
    finally:
        pool.close()

    assert (result["status"], proxy) == ("succeeded", None)


def test_a_proxy_that_died_is_started_again_with_a_new_browser(
    site: Any, demo_only_pool: BrowserPool
) -> None:
    measure(spec_for(site.url("/blank")), demo_only_pool)
    first = demo_only_pool.call(demo_only_pool.proxy)
    assert first is not None and first._process is not None
    first._process.kill()
    first._process.wait()

    result = measure(spec_for(site.url("/blank")), demo_only_pool).result
    second = demo_only_pool.call(demo_only_pool.proxy)

    assert result["status"] == "succeeded", result["error"]
    assert second is not None and second is not first and second.alive()
