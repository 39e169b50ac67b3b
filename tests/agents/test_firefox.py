"""Firefox (Debian's ESR over WebDriver BiDi, or Playwright's build) against the demo site.

Firefox must count the same page as Chromium does: the same requests and body bytes per host,
exactly, as the server wrote them. What it cannot measure is absent with the reason, never 0.
CI installs Debian's firefox-esr (scripts/bootstrap.sh); without a Firefox these tests fail,
saying how to get one, rather than skip.
"""

from collections import Counter
from typing import Any

import pytest

from agents.browser import measure
from agents.engines import firefox
from agents.pool import BrowserPool
from core.profiles import builtin
from core.script import parse_script

from .test_measure import served_http, spec_for


@pytest.fixture(scope="module")
def pool() -> Any:
    if not firefox.available():
        pytest.fail(firefox.MISSING, pytrace=False)
    pool = BrowserPool()
    yield pool
    pool.close()


def per_host(result: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {host: (t["requests"], t["body_bytes"]) for host, t in result["hosts"].items()}


def test_the_demo_page_has_the_same_requests_and_body_bytes_per_host_as_in_chromium(
    site: Any, pool: Any
) -> None:
    counted = {}
    for browser in ("chromium", "firefox"):
        site.reset()
        site.clear_log()
        result = measure(spec_for(site.url("/"), browser=browser), pool).result
        site.wait_for("beacon.tracker.localhost", "/collect")
        assert result["status"] == "succeeded", result["error"]
        assert result["browser"] == browser
        served = served_http(site)
        assert Counter(r["host"] for r in result["requests"]) == Counter(s.host for s in served)
        assert per_host(result) == {
            host: (
                len([s for s in served if s.host == host]),
                sum(s.body_bytes for s in served if s.host == host),
            )
            for host in {s.host for s in served}
        }
        counted[browser] = per_host(result), result["metrics"]["body_bytes"]
    assert counted["firefox"] == counted["chromium"]


def test_what_firefox_cannot_measure_is_absent_with_the_reason_never_zero(
    site: Any, pool: Any
) -> None:
    result = measure(spec_for(site.url("/"), browser="firefox"), pool).result
    assert result["status"] == "succeeded", result["error"]
    assert result["browser_version"].split(".")[0].isdigit()
    assert set(result["unavailable"]) == {
        "wire_bytes",
        "long_tasks",
        "layout_shift",
        "counters",
        "filmstrip",
    }
    metrics, errors = result["metrics"], result["metric_errors"]
    for name in ("tbt", "cls", "transfer_bytes", "first_party_bytes", "third_party_bytes"):
        assert metrics[name] is None, name
        assert errors[name].startswith("Firefox cannot measure"), name
    assert all(host["transfer_bytes"] is None for host in result["hosts"].values())
    assert all(r["transfer_bytes"] is None for r in result["requests"])
    assert not [m for m in metrics if m.startswith(("cpu.", "visual."))]
    assert "filmstrip" not in result
    # What it does measure is there, and ordered as a page loads.
    assert 0 < metrics["ttfb"] <= metrics["fcp"] <= metrics["load"] <= metrics["fully_loaded"]
    assert metrics["requests"] == len(served_http(site))


def test_a_value_is_evaluated_in_firefox_and_a_profile_is_refused(site: Any, pool: Any) -> None:
    script = parse_script(
        """
- wait_for: 'body[data-state="done"]'
- evaluate: {name: headings, expression: "document.querySelectorAll('h1').length"}
- evaluate: {name: title, expression: "document.title"}
- evaluate: {name: never, expression: "new Promise(() => {})"}
"""
    )
    result = measure(spec_for(site.url("/timings?wait=10"), script, browser="firefox"), pool)
    assert result.result["status"] == "succeeded", result.result["error"]
    assert result.result["metrics"]["custom.headings"] == 1
    errors = result.result["metric_errors"]
    assert errors["custom.title"] == 'not a number: string "Perfite demo: user timings"'
    assert errors["custom.never"] == "no value: the promise did not settle within 1000 ms"

    profile = builtin("3g")
    assert profile is not None
    slow = profile.as_spec()
    site.clear_log()
    refused = measure(spec_for(site.url("/"), browser="firefox", profile=slow), pool).result
    assert refused["status"] == "failed"
    assert refused["error"] == (
        "Firefox cannot apply the profile '3g': connection and CPU profiles need Chromium's "
        "emulation"
    )
    assert site.log_for("www.example.localhost") == []  # nothing was loaded


def test_firefox_maps_a_host_through_the_address_policy_proxy(site: Any, pool: Any) -> None:
    steps = parse_script('Given "shop.test" resolves to "127.0.0.1"')
    url = f"http://shop.test:{site.port}/blank"
    result = measure(spec_for(url, steps, browser="firefox"), pool).result
    # the demo site knows no shop.test, but the request reached it: the map worked
    assert result["error"] == f"HTTP 404 for {url}"
    assert {s.host for s in site.log} == {"shop.test"}
