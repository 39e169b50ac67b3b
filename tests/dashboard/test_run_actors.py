"""A run with actors, measured for real (the demo site's support chat in Chromium), stored and
shown: its columns and host rows are the whole run's, each actor's page metrics are named
metrics pushed to Graphite, its one HAR gives each actor's part, and its run page draws a
waterfall per actor with the measured steps across them."""

import gzip
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Page
from rest_framework.test import APIClient

from agents.measuring import measure
from scenarios.models import GraphitePoint, Location, Run, RunHost, Scenario
from scenarios.runs.store import store_result

from .test_browser import in_thread, shot

CHAT = """
actors:
  operator: /support/operator?room=stored&relay_delay=200
  visitor: /support/visitor?room=stored&relay_delay=200
steps:
  - operator: wait_for '#chat[data-peer="present"]'
  - visitor: wait_for '#chat[data-peer="present"]'
  - visitor:
      fill: {selector: "#message", value: "hi there"}
  - visitor: measure_start to_operator
  - visitor: click "#send"
  - operator:
      measure_stop: {name: to_operator, text: "hi there"}
"""


@pytest.fixture
def stored(site: Any, browser_pool: Any, location: Location, settings: Any) -> Run:
    settings.GRAPHITE_HOST = "127.0.0.1"
    settings.GRAPHITE_PREFIX = "perfite"
    settings.PERFITE_QUIET_MS = 400
    scenario = Scenario(
        name="Support", slug="support", url=site.url("/"), script_format="yaml", script=CHAT
    )
    scenario.full_clean()
    scenario.save()
    run = Run.objects.create(scenario=scenario, location=location)
    measurement = measure(run.spec(), browser_pool)
    assert measurement.result["status"] == "succeeded", measurement.result["error"]
    assert store_result(
        run.pk,
        measurement.result,
        measurement.har,
        screenshot=measurement.screenshot,
        filmstrip=measurement.filmstrip,
    )
    run.refresh_from_db()
    return run


def har_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    return json.loads(gzip.decompress(b"".join(response.streaming_content)))


def test_the_run_keeps_its_totals_each_actors_metrics_and_steps(stored: Run) -> None:
    result = stored.result
    assert result is not None
    assert (stored.requests, stored.lcp) == (4, result["metrics"]["actor.operator.lcp"])
    assert stored.transfer_bytes == sum(a["metrics"]["transfer_bytes"] for a in result["actors"])
    [host] = RunHost.objects.filter(run=stored)
    assert (host.host, host.requests) == ("www.example.localhost", 4)
    paths = set(GraphitePoint.objects.values_list("path", flat=True))
    base = "perfite.support.local.chromium.native"
    for actor in ("operator", "visitor"):
        assert f"{base}.actor.{actor}.requests" in paths
        assert f"{base}.actor.{actor}.fcp" in paths
    assert f"{base}.step.to_operator.duration_ms" in paths
    assert f"{base}.requests" in paths
    [step] = result["steps"]
    assert step["actors"] == ["visitor", "operator"] and step["duration_ms"] >= 200


def test_the_har_gives_each_actors_part(stored: Run, viewer_client: Client, viewer: Any) -> None:
    url = f"/runs/{stored.pk}/har/"
    whole = har_of(viewer_client.get(url))
    assert [p["_actor"] for p in whole["log"]["pages"]] == ["operator", "visitor"]
    assert len(whole["log"]["entries"]) == 4
    api = APIClient()
    api.force_authenticate(viewer)
    for actor in ("operator", "visitor"):
        part = har_of(viewer_client.get(url, {"actor": actor}))
        assert [p["_actor"] for p in part["log"]["pages"]] == [actor]
        entries = part["log"]["entries"]
        assert {e["_actor"] for e in entries} == {actor} and len(entries) == 2
        assert sorted(e["request"]["url"] for e in entries) == sorted(
            r["url"] for r in (stored.result or {})["requests"] if r["actor"] == actor
        )
        assert har_of(api.get(f"/api/runs/{stored.pk}/har/", {"actor": actor})) == part
    assert viewer_client.get(url, {"actor": "nobody"}).status_code == 404
    assert api.get(f"/api/runs/{stored.pk}/har/", {"actor": "nobody"}).status_code == 404


def test_the_run_page_draws_a_waterfall_per_actor_with_the_step_across_them(
    stored: Run, viewer_client: Client
) -> None:
    html = viewer_client.get(f"/runs/{stored.pk}/").content.decode()
    for actor in ("operator", "visitor"):
        assert f'id="waterfall-{actor}"' in html
        assert f'href="/runs/{stored.pk}/har/?actor={actor}"' in html
        assert f'<tr data-actor="{actor}">' in html
    # The step's bar: once over each actor's waterfall, at the same place on both.
    bars = re.findall(r'<tr class="wf-step" data-step="to_operator">.*?style="([^"]+)"', html, re.S)
    assert len(bars) == 2 and bars[0] == bars[1]
    assert "visitor → operator" in html
    # Why the visitor has no Speed Index is said in its row; the metrics that are not columns
    # keep their reasons with the page's other metric errors.
    reason = "the filmstrip is the first actor&#x27;s only"
    row = re.search(r'<tr data-actor="visitor">.*?</tr>', html, re.S)
    assert row is not None and reason in row.group(0)
    assert "<code>actor.visitor.speed_index</code>" not in html
    assert "actor.visitor.last_visual_change" in html


def test_in_a_browser_the_step_lines_up_across_the_actors_waterfalls(
    stored: Run, live_server: Any, viewer: User
) -> None:
    client = Client()
    client.force_login(viewer)
    session = client.cookies["sessionid"].value

    def look(page: Page) -> list[Any]:
        page.context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
        page.goto(f"{live_server.url}/runs/{stored.pk}/")
        bars = []
        for actor in ("operator", "visitor"):
            bar = page.locator(f"#waterfall-{actor} + .waterfall tr.wf-step .bar.step")
            box = bar.bounding_box()
            assert box is not None, actor
            bars.append(box)
        shot(page, "run-actors")
        return bars

    operator, visitor = in_thread(look)
    assert operator["width"] > 1
    assert (operator["x"], operator["width"]) == (visitor["x"], visitor["width"])
    assert visitor["y"] > operator["y"]  # the visitor's waterfall under the operator's
