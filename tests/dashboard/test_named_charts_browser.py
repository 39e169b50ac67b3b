"""The named-metric chart picker in a real browser: picked metrics get their own charts, and
switching the range in place keeps them (the series request, the address and the picker's
range all carry the choice)."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page

from dashboard.series import CHART_METRICS
from scenarios.models import Location, Scenario

from .test_browser import in_thread, shot
from .test_named_series import CREATE, READY, stored

pytestmark = pytest.mark.system  # starts Chromium


def test_picked_named_metrics_are_charted_and_kept_across_ranges(
    live_server: Any, scenario: Scenario, location: Location, viewer: User
) -> None:
    for minutes, ready in ((50, 400.0), (20, 250.0)):
        stored(scenario, location, timezone.now() - timedelta(minutes=minutes), {READY: ready})
    stored(scenario, location, timezone.now() - timedelta(minutes=10), {CREATE: 215.0})
    client = Client()
    client.force_login(viewer)
    session = client.cookies["sessionid"].value
    base = live_server.url

    def pick(page: Page) -> dict[str, Any]:
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
        page.goto(base + "/scenarios/home/")
        page.wait_for_selector("#charts .uplot")
        before = page.locator("#charts .uplot").count()
        page.get_by_label("Steps and named metrics to chart").select_option([READY, CREATE])
        page.get_by_role("button", name="Chart them").click()
        page.wait_for_url("**chart=*")
        page.wait_for_selector(f'figure[data-metric="{CREATE}"] .uplot')
        picked = page.locator("#charts .uplot").count()
        with page.expect_response(lambda r: "series.json" in r.url) as response:
            page.get_by_role("link", name="24h").click()
        page.wait_for_function("document.getElementById('charts').dataset.range === '24h'")
        shot(page, "named-charts")
        return {
            "charts": (before, picked, page.locator("#charts .uplot").count()),
            "series_url": response.value.url,
            "status": response.value.status,
            "page_url": page.url,
            "picker_range": page.locator("#chart-picker input[name=range]").input_value(),
            "legend": page.locator(f'figure[data-metric="{READY}"] .u-legend').inner_text(),
        }

    out = in_thread(pick)

    charts = len(CHART_METRICS) + 2  # the page metrics and the two stacked party charts
    # Before a pick, the runs' measured step ("send") has its duration charted.
    assert out["charts"] == (charts + 1, charts + 2, charts + 2)
    # The picker's form keeps the browser and profile charted (the scenario's) with the names.
    query = f"browser=chromium&profile=native&chart={READY}&chart={CREATE}"
    assert out["series_url"].endswith(f"/scenarios/home/series.json?range=24h&{query}")
    assert out["status"] == 200
    assert out["page_url"].endswith(f"/scenarios/home/?range=24h&{query}")
    assert out["picker_range"] == "24h"
    assert "local" in out["legend"]
