"""Connection and CPU profiles applied by a real Chromium to the demo site.

The bounds are what the emulation promises, not how fast this machine is: latency and
bandwidth only make things slower, so every network assertion is a lower bound, which a
busy machine cannot break. The CPU factor is a ratio of two in-page timings of the same work.
"""

from typing import Any

from agents.browser import measure
from agents.emulation import apply_profile
from agents.pool import BrowserPool
from core.profiles import Profile
from tests.agents.test_measure import spec_for

PHOTO_BYTES = 500_000
DOWNLOAD_KBPS = 1600
# 500,000 bytes × 8 / 1,600,000 bit/s = 2.5 s: the least time the bandwidth allows.
PHOTO_LEAST_MS = PHOTO_BYTES * 8 / (DOWNLOAD_KBPS * 1000) * 1000
# Chromium's throttle releases the body in chunks and hands the first one over at once, so
# a transfer may beat the exact rate by a chunk: 1% (25 ms, about 5 kB at this rate) covers
# it. Lower bound asserted: 2,475 ms.
PHOTO_TOLERANCE = 0.01


def test_a_400_ms_round_trip_delays_the_first_byte_by_at_least_400_ms(site, browser_pool) -> None:
    profile = Profile("rtt-400", rtt_ms=400)

    result = measure(spec_for(site.url("/blank"), profile=profile.as_spec()), browser_pool).result

    assert result["status"] == "succeeded", result["error"]
    assert result["profile"] == profile.as_spec()
    assert result["metrics"]["ttfb"] >= 400
    assert result["pages"][0]["metrics"]["ttfb"] >= 400
    (document,) = result["requests"]
    assert document["timings"]["wait"] >= 400 - document["timings"]["send"]


def test_a_1_6_mbps_download_takes_at_least_2_5_s_for_a_500_kb_photo(site, browser_pool) -> None:
    profile = Profile("down-1600", download_kbps=DOWNLOAD_KBPS)
    url = site.url(f"/photo?bytes={PHOTO_BYTES}")

    result = measure(spec_for(url, profile=profile.as_spec()), browser_pool).result

    assert result["status"] == "succeeded", result["error"]
    (photo,) = [r for r in result["requests"] if "/photo.jpg" in r["url"]]
    assert photo["body_bytes"] == PHOTO_BYTES
    assert photo["duration_ms"] >= PHOTO_LEAST_MS * (1 - PHOTO_TOLERANCE) == 2475.0


def busy_ms(pool: BrowserPool, url: str, cpu_slowdown: float) -> float:
    """The in-page duration (performance.now) of the demo site's busy loop at ``url``, in a
    fresh context of the pool's browser with ``cpu_slowdown`` applied as the agent does."""

    def run() -> float:
        context = pool.browser({}).new_context()
        try:
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            apply_profile(cdp, Profile("cpu", cpu_slowdown=cpu_slowdown).as_spec())
            page.goto(url)
            return float(page.evaluate("window.__demoBusy.ms"))
        finally:
            context.close()

    return pool.call(run)


def test_a_cpu_factor_of_4_makes_the_same_work_about_4_times_longer(site, browser_pool) -> None:
    url = site.url("/busy?rounds=20000000")  # about 100 ms of arithmetic unthrottled
    plain: list[float] = []
    slowed: list[float] = []
    for _ in range(5):  # alternated, so a burst of load elsewhere hits both sides
        plain.append(busy_ms(browser_pool, url, 1))
        slowed.append(busy_ms(browser_pool, url, 4))

    ratio = min(slowed) / min(plain)

    # Chromium throttles by suspending the main thread for 3 of every 4 wall-clock slices;
    # the fastest of five runs each is the least disturbed by other processes. The range is
    # wide on the low side because a loaded machine wakes the throttling thread late, so
    # the main thread runs longer than its slice (README: about 3× on a saturated 2-core
    # machine); no factor (1×) or a factor of 2 or 8 falls outside it.
    assert 2.5 <= ratio <= 6.0, (plain, slowed)


def test_native_runs_record_the_native_profile(site, browser_pool: Any) -> None:
    result = measure(spec_for(site.url("/blank")), browser_pool).result

    assert result["status"] == "succeeded", result["error"]
    assert result["profile"] == {
        "name": "native",
        "download_kbps": 0.0,
        "upload_kbps": 0.0,
        "rtt_ms": 0.0,
        "cpu_slowdown": 1.0,
    }
