"""The measuring core against a real Chromium loading the multi-host demo site.

The site controls every byte and every delay; the assertions compare Perfite's numbers with
what the server really wrote.
"""

from collections import Counter
from typing import Any

import pytest

from agents.browser import measure
from agents.pool import BrowserPool
from core.script import parse_script, split_setup

QUIET_MS = 400


def spec_for(url: str, steps: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    setup, actions = split_setup(steps or [])
    return {
        "url": url,
        "setup": setup,
        "steps": actions,
        "first_party": [],
        "quiet_ms": QUIET_MS,
        "step_timeout_ms": 10_000,
        "run_timeout_ms": 30_000,
        **extra,
    }


def served_http(site: Any) -> list[Any]:
    """What the server answered over HTTP (the WebSocket upgrade is not a HAR entry)."""
    return [s for s in site.log if s.path != "/ws"]


def test_request_counts_and_bytes_per_host_equal_what_the_server_sent(site, browser_pool) -> None:
    result = measure(spec_for(site.url("/")), browser_pool).result
    site.wait_for("beacon.tracker.localhost", "/collect")
    assert result["status"] == "succeeded", result["error"]
    served = served_http(site)
    assert Counter(r["host"] for r in result["requests"]) == Counter(s.host for s in served)
    for host, totals in result["hosts"].items():
        mine = [s for s in served if s.host == host]
        assert totals["requests"] == len(mine)
        assert totals["body_bytes"] == sum(s.body_bytes for s in mine), host
        assert totals["transfer_bytes"] == sum(s.body_bytes + s.header_bytes for s in mine), host
    assert result["metrics"]["requests"] == len(served)
    assert result["metrics"]["body_bytes"] == sum(s.body_bytes for s in served)


def test_every_subresource_of_the_page_is_recorded_with_its_exact_body(site, browser_pool) -> None:
    result = measure(spec_for(site.url("/")), browser_pool).result
    recorded = Counter(
        (r["host"], r["url"].split(f":{site.port}")[1].split("?")[0], r["body_bytes"])
        for r in result["requests"]
    )
    for expected in site.expected("/"):
        assert recorded[expected] == 1, expected


def test_parties_and_entities_split_first_from_third(site, browser_pool) -> None:
    result = measure(spec_for(site.url("/")), browser_pool).result
    hosts = result["hosts"]
    assert {h: t["party"] for h, t in hosts.items()} == {
        "www.example.localhost": "first",
        "static.example.localhost": "first",
        "ads.other.localhost": "third",
        "beacon.tracker.localhost": "third",
    }
    assert set(result["entities"]) == {"example.localhost", "other.localhost", "tracker.localhost"}
    third = result["parties"]["third"]
    assert (
        third["requests"]
        == hosts["ads.other.localhost"]["requests"] + hosts["beacon.tracker.localhost"]["requests"]
    )
    assert result["metrics"]["third_party_bytes"] == third["transfer_bytes"]
    classes = {
        r["url"].split("?")[0].rsplit("/", 1)[1]: r["content_class"] for r in result["requests"]
    }
    assert classes == {
        "": "html",
        "app.css": "css",
        "ad.js": "js",
        "t.js": "js",
        "hero.png": "image",
        "app.js": "js",
        "font.woff2": "font",
        "collect": "other",
    }


def test_first_party_patterns_override_the_default(site, browser_pool) -> None:
    spec = spec_for(site.url("/"), first_party=["www.example.localhost", "*.other.localhost"])
    result = measure(spec, browser_pool).result
    assert result["hosts"]["ads.other.localhost"]["party"] == "first"
    assert result["hosts"]["static.example.localhost"]["party"] == "third"


def test_html_header_delay_shows_in_ttfb(site, browser_pool) -> None:
    def ttfb() -> float:
        # a busy machine only ever adds time: the least of three loads is the page's own
        return min(
            measure(spec_for(site.url("/")), browser_pool).result["metrics"]["ttfb"]
            for _ in range(3)
        )

    fast = ttfb()
    site.delays["www.example.localhost/"] = 300
    slow = ttfb()
    assert fast < 60
    assert 300 <= slow <= 360, (fast, slow)


def test_a_third_party_delay_shows_on_that_host_only(site, browser_pool) -> None:
    site.delays["beacon.tracker.localhost"] = 300
    # noise only ever adds time: the least of three runs shows what the delay alone does
    runs = [measure(spec_for(site.url("/")), browser_pool).result for _ in range(3)]

    def wait(host: str) -> float:
        return min(
            max(r["timings"]["wait"] for r in result["requests"] if r["host"] == host)
            for result in runs
        )

    assert wait("beacon.tracker.localhost") >= 300
    for host in ("www.example.localhost", "static.example.localhost", "ads.other.localhost"):
        assert wait(host) < 150, host


def test_a_slow_render_blocking_third_party_script_moves_fcp(site, browser_pool) -> None:
    # noise only ever adds time: the least of three quiet loads is the page's own FCP
    base_fcp = min(
        measure(spec_for(site.url("/")), browser_pool).result["metrics"]["fcp"] for _ in range(3)
    )
    slow = measure(spec_for(site.url("/?ads_delay=300")), browser_pool).result
    ad = next(r for r in slow["requests"] if r["host"] == "ads.other.localhost")
    assert ad["render_blocking"] is True
    assert ad["timings"]["wait"] >= 300
    # nothing paints before the blocking script arrives, at least the delay after it was asked
    assert slow["metrics"]["fcp"] >= ad["started_ms"] + 300
    # and later than the quiet page by most of the delay (the script's own ~20-50 ms of a
    # quiet load overlaps it; under a loaded CI machine that share grows, hence not 300)
    assert slow["metrics"]["fcp"] - base_fcp >= 200


def test_long_tasks_count_as_blocking_time_of_the_script_that_ran(site, browser_pool) -> None:
    quiet = measure(spec_for(site.url("/")), browser_pool).result
    assert quiet["metrics"]["tbt"] == 0.0
    result = measure(spec_for(site.url("/?ads_busy=250")), browser_pool).result
    # one ~250 ms task just after load: up to 200 ms beyond the 50 ms budget (less when a slow
    # machine paints FCP while it runs: TBT counts from FCP), all of it the ad script's
    [task] = [t for t in result["long_tasks"] if t["duration_ms"] >= 250]
    assert task["started_ms"] >= result["metrics"]["load"]
    assert 120 <= result["metrics"]["tbt"] <= 260, result["long_tasks"]
    ads = result["hosts"]["ads.other.localhost"]
    assert ads["blocking_ms"] == result["metrics"]["tbt"]
    assert result["entities"]["other.localhost"]["blocking_ms"] == ads["blocking_ms"]
    assert result["metrics"]["third_party_blocking_ms"] == ads["blocking_ms"]
    assert result["hosts"]["static.example.localhost"]["blocking_ms"] == 0.0


def test_paint_and_navigation_metrics_are_consistent(site, browser_pool) -> None:
    result = measure(spec_for(site.url("/")), browser_pool).result
    m = result["metrics"]
    assert 0 < m["ttfb"] <= m["fcp"] <= m["lcp"]
    assert m["dom_content_loaded"] <= m["load"] <= m["fully_loaded"]
    assert result["lcp_element"] == "IMG#hero"
    assert m["cls"] == 0


SEARCH_YAML = """
steps:
  - navigate: /search
  - fill: {selector: "#q", value: shoes}
  - measure_start: search
  - click: "#search"
  - wait_for: "#results li"
  - measure_stop: search
"""
SEARCH_GHERKIN = """
Given I open "/search"
When I fill "#q" with "shoes"
And I start measuring "search"
And I click "#search"
Then I wait for "#results li"
And I stop measuring "search"
"""


def strip_lines(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in step.items() if k != "line"} for step in steps]


def test_both_script_forms_give_the_same_steps() -> None:
    assert strip_lines(parse_script(SEARCH_YAML, "yaml")) == strip_lines(
        parse_script(SEARCH_GHERKIN, "gherkin")
    )


@pytest.mark.parametrize("script", [SEARCH_YAML, SEARCH_GHERKIN], ids=["yaml", "gherkin"])
def test_the_journey_records_its_xhr_socket_frames_and_step_timings(
    site, browser_pool, script: str
) -> None:
    steps = parse_script(script)
    result = measure(spec_for(site.url("/"), steps), browser_pool).result
    assert result["status"] == "succeeded", result["error"]
    xhr = [r for r in result["requests"] if "/api/search" in r["url"]]
    assert len(xhr) == 1 and xhr[0]["content_class"] == "json" and xhr[0]["status"] == 200
    api = site.log_for("www.example.localhost")
    api_served = [s for s in api if s.path == "/api/search"]
    assert xhr[0]["body_bytes"] == api_served[0].body_bytes
    [step] = result["steps"]
    assert step["name"] == "search" and step["duration_ms"] > 0
    assert step["started_ms"] > result["metrics"]["load"]
    [socket] = [ws for ws in result["websockets"] if ws["url"].endswith("/ws")]
    assert socket["connect_ms"] is not None and socket["connect_ms"] >= 0
    sent = [f for f in socket["frames"] if f["direction"] == "sent"]
    received = [f for f in socket["frames"] if f["direction"] == "received"]
    assert len(sent) == len(site.ws_messages) == len(received)
    assert [f["bytes"] for f in sent] == [len(m.encode()) for m in site.ws_messages]
    assert [a["action"] for a in result["actions"]] == [
        "navigate",
        "fill",
        "measure_start",
        "click",
        "wait_for",
        "measure_stop",
    ]
    assert len(result["pages"]) == 2


def test_an_unreachable_host_is_a_failed_run_with_the_browser_error(browser_pool) -> None:
    result = measure(spec_for("http://nothing-here.invalid/"), browser_pool).result
    assert result["status"] == "failed"
    assert "net::ERR_NAME_NOT_RESOLVED" in result["error"]
    assert result["metrics"]["fully_loaded"] is None


def test_an_http_error_page_is_a_failed_run(site, browser_pool) -> None:
    result = measure(spec_for(site.url("/does-not-exist")), browser_pool).result
    assert result["status"] == "failed"
    assert result["error"].startswith("HTTP 404")


def test_a_selector_that_never_appears_times_out_the_run(site, browser_pool) -> None:
    steps = parse_script('Given I open "/"\nThen I wait for "#never"')
    spec = spec_for(site.url("/"), steps, step_timeout_ms=1500)
    result = measure(spec, browser_pool).result
    assert result["status"] == "timed_out"
    assert result["error"].startswith("line 2: wait_for #never: ")
    assert "Timeout 1500ms exceeded" in result["error"]


def test_blocked_domains_are_not_fetched(site, browser_pool) -> None:
    steps = parse_script("- block: other.localhost")
    result = measure(spec_for(site.url("/"), steps), browser_pool).result
    assert site.log_for("ads.other.localhost") == []
    ads = [r for r in result["requests"] if r["host"] == "ads.other.localhost"]
    assert all(r["failed"] for r in ads)


def test_dns_overrides_use_a_separate_warm_browser(site) -> None:
    pool = BrowserPool()
    try:
        steps = parse_script('Given "shop.test" resolves to "127.0.0.1"')
        url = f"http://shop.test:{site.port}/blank"
        result = measure(spec_for(url, steps), pool).result
        # the demo site knows no shop.test, but the request reached it: the override worked
        assert result["error"] == f"HTTP 404 for {url}"
        assert {s.host for s in site.log} == {"shop.test"}
        assert result["requests"][0]["host"] == "shop.test"
        assert len(pool._browsers) == 1 and "MAP shop.test 127.0.0.1" in next(iter(pool._browsers))
    finally:
        pool.close()


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame segment."""
    assert data[:3] == b"\xff\xd8\xff"
    at = 2
    while at < len(data):
        marker, length = data[at + 1], int.from_bytes(data[at + 2 : at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(data[at + 5 : at + 7], "big")
            return int.from_bytes(data[at + 7 : at + 9], "big"), height
        at += 2 + length
    raise AssertionError("no start-of-frame segment")


def test_the_run_ends_with_a_jpeg_screenshot_of_the_viewport(site, browser_pool) -> None:
    ok = measure(spec_for(site.url("/")), browser_pool)
    assert ok.screenshot is not None
    assert jpeg_size(ok.screenshot) == (1280, 720)  # Playwright's default viewport
    steps = [{"action": "set_viewport", "width": 400, "height": 300, "line": 1}]
    small = measure(spec_for(site.url("/"), steps), browser_pool)
    assert small.screenshot is not None and jpeg_size(small.screenshot) == (400, 300)
    # a failed run keeps what the browser showed; a spec can turn screenshots off
    failed = measure(spec_for("http://nothing-here.invalid/"), browser_pool)
    assert failed.result["status"] == "failed" and failed.screenshot is not None
    off = measure(spec_for(site.url("/"), screenshot=False), browser_pool)
    assert off.screenshot is None
