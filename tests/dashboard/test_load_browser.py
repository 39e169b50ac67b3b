"""The load test page in a real browser: the degradation curve and the agents' chart are
drawn (uPlot, served locally), and while the test runs the page fetches its stages again
until the test is over (then with the comparison to the earlier test)."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page

from scenarios.load import stages
from scenarios.models import LoadShare, LoadTest, Scenario

from .test_browser import in_thread, shot
from .test_load import finished

pytestmark = pytest.mark.system  # starts Chromium


def test_the_curves_are_drawn_and_a_running_test_refreshes_until_it_ends(
    live_server: Any, scenario: Scenario, viewer: User
) -> None:
    earlier = finished(scenario, {1: [120.0], 4: [200.0, 240.0]})
    test = finished(scenario, {1: [100.0], 4: [300.0, 320.0]})
    LoadTest.objects.filter(pk=test.pk).update(status=LoadTest.RUNNING)
    running = test.shares.filter(stage=1)
    running.update(status=LoadShare.RUNNING, reported_at=timezone.now())
    client = Client()
    client.force_login(viewer)
    session = client.cookies["sessionid"].value
    base = live_server.url

    def look(page: Page) -> dict[str, Any]:
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page.goto(f"{base}/load/{test.pk}/")
        page.wait_for_selector("#load-charts .uplot")
        with page.expect_response(lambda r: "chart.json" in r.url, timeout=15_000) as answer:
            pass  # the page refreshes every 2 s while the test runs
        refreshed = answer.value.status

        def end() -> str:  # the ORM, off the Playwright thread
            running.update(status=LoadShare.DONE)
            return stages.advance(test.pk).status

        with ThreadPoolExecutor(max_workers=1) as orm:
            assert orm.submit(end).result() == LoadTest.DONE
        page.wait_for_selector('#load-stages[data-status="done"]', timeout=15_000)
        shot(page, "load-test")
        return {
            "charts": page.locator("#load-charts .uplot").count(),
            "legend": page.locator('[data-chart="metric"] .u-legend').inner_text(),
            "refreshed": refreshed,
            "compared": page.locator("#load-live table.compared").count(),
            "errors": errors,
        }

    out = in_thread(look)
    # once done, the refresh shows the comparison with the earlier test too
    assert (out["charts"], out["refreshed"], out["compared"], out["errors"]) == (2, 200, 1, [])
    assert "median" in out["legend"] and "p95" in out["legend"]
    assert earlier.pk != test.pk
