"""Runs measured in different browsers are never mixed on a page, as runs under different
profiles are not: the scenario page charts one browser (the scenario's, or ``?browser=``) and
offers those its runs were measured in, the named-metric picker and the host tables follow
it, the compare page refuses mixed sets, the "previous run" is one of the same browser, and
the scenario list follows each scenario's current browser. An imported run (no browser of
ours) counts as Chromium's."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from core.profiles import BUILTIN
from dashboard.buckets import Window
from dashboard.named_series import seen_names
from dashboard.overview import scenario_rows
from dashboard.series import host_buckets, scenario_series
from scenarios.conditions import Conditions
from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import req, result_doc, with_named

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # in the middle of a 6-hour bucket
READY = "user.chat_ready"
CREATE = "request.create_chat.duration_ms"
FIREFOX = Conditions("firefox", "native")


def stored(
    scenario: Scenario,
    location: Location | None,
    lcp: float,
    browser: str = "chromium",
    *,
    at: datetime | None = None,
    host: str = "",
    named: dict[str, float] | None = None,
    **fields: Any,
) -> Run:
    """A succeeded run of ``scenario`` measured in ``browser`` (``""``: imported), created at
    ``at`` (default: now), whose stored document has ``lcp``, the factory's two requests or
    one document request to ``host``, and the named metrics ``named``."""
    requests = [req(host, "/", 0.0, 40.0, kind="document", bytes=900)] if host else None
    document = with_named(result_doc(lcp, requests), named)
    profile = fields.get("profile", "native")
    run = Run.objects.create(scenario=scenario, location=location, browser=browser, **fields)
    assert store_result(run.pk, {**document, "profile": BUILTIN[profile].as_spec()}, None)
    if at is not None:
        Run.objects.filter(pk=run.pk).update(created_at=at)
    return run


def imported(scenario: Scenario, lcp: float, **fields: Any) -> Run:
    """A run imported from another tool: no location, no browser of ours."""
    return stored(scenario, None, lcp, "", kind=Run.KIND_IMPORTED, **fields)


def test_the_charts_average_one_browsers_runs_imported_ones_with_chromiums(
    scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, 100.0, at=NOW - timedelta(minutes=9))
    stored(scenario, location, 300.0, at=NOW - timedelta(minutes=8))
    fox = stored(scenario, location, 2000.0, "firefox", at=NOW - timedelta(minutes=7))
    imported(scenario, 500.0, at=NOW - timedelta(minutes=6))
    window = Window.named("24h", NOW)

    default = scenario_series(scenario, window)
    picked = scenario_series(scenario, window, conditions=FIREFOX)

    assert (default["browser"], default["locations"]) == ("chromium", ["local", "(none)"])
    assert default["metrics"]["lcp"] == [[200.0], [500.0]]
    assert (picked["browser"], picked["locations"]) == ("firefox", ["local"])
    assert (picked["metrics"]["lcp"], picked["runs"]) == ([[2000.0]], [[fox.pk]])
    scenario.browser = "firefox"
    scenario.save()
    assert scenario_series(scenario, window)["metrics"]["lcp"] == [[2000.0]]


def test_the_host_tables_sum_one_browsers_runs(scenario: Scenario, location: Location) -> None:
    stored(scenario, location, 100.0, host="www.example.com", at=NOW - timedelta(minutes=5))
    stored(scenario, location, 100.0, "firefox", host="fox.example", at=NOW - timedelta(minutes=4))
    imported(scenario, 100.0, host="www.example.com", at=NOW - timedelta(minutes=3))
    window = Window.named("24h", NOW)

    [(_, host, _, _, runs, _, transfer, _, _)] = host_buckets(scenario, window)
    [(_, fox_host, _, _, fox_runs, _, _, _, _)] = host_buckets(scenario, window, FIREFOX)

    assert (host, runs, transfer) == ("www.example.com", 2, 1800)
    assert (fox_host, fox_runs) == ("fox.example", 1)


def test_the_host_tables_fragment_takes_the_browser(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, 100.0, "firefox", host="only-in-firefox.example")

    default = viewer_client.get("/scenarios/home/?fragment=tables&range=24h").content.decode()
    fox = viewer_client.get("/scenarios/home/?fragment=tables&range=24h&browser=firefox")

    assert "only-in-firefox.example" not in default
    assert "only-in-firefox.example" in fox.content.decode()


def test_the_named_metric_picker_and_charts_take_one_browsers_runs(
    scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, 100.0, named={READY: 400.0}, at=NOW - timedelta(minutes=5))
    stored(
        scenario, location, 100.0, "firefox", named={CREATE: 215.0}, at=NOW - timedelta(minutes=4)
    )
    window = Window.named("24h", NOW)

    chromium = scenario_series(scenario, window, named=[READY, CREATE])
    firefox = scenario_series(scenario, window, named=[READY, CREATE], conditions=FIREFOX)

    assert (seen_names(scenario), seen_names(scenario, FIREFOX)) == ([READY], [CREATE])
    assert (chromium["metrics"][READY], chromium["metrics"][CREATE]) == ([[400.0]], [[None]])
    assert (firefox["metrics"][READY], firefox["metrics"][CREATE]) == ([[None]], [[215.0]])


def page(client: Client, query: str = "") -> str:
    return client.get(f"/scenarios/home/{query}").content.decode()


def chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_scenario_page_offers_the_browsers_its_runs_were_measured_in(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    imported(scenario, 100.0)  # Chromium's
    stored(scenario, location, 900.0, "chromium", profile="3g")
    scenario.browser = "firefox"
    scenario.save()
    stored(scenario, location, 300.0, "firefox")

    default = page(viewer_client)
    chromium = page(viewer_client, "?browser=chromium&range=7d")

    assert chart_data(default)["browser"] == "firefox"
    assert chart_data(default)["metrics"]["lcp"] == [[300.0]]
    assert re.findall(r'data-browser="(\w+)"', default) == ["firefox", "chromium", "firefox"]
    assert 'data-browser="firefox" aria-current="true">Firefox (current)</a>' in default
    assert 'data-browser="chromium">Chromium</a>' in default
    # the profiles offered are those of the browser charted
    assert re.findall(r'data-profile="([\w-]+)"', default) == ["native", "native"]
    assert chart_data(chromium)["browser"] == "chromium"
    assert re.findall(r'data-profile="([\w-]+)"', chromium) == ["native", "3g", "native"]
    assert 'href="?browser=chromium&amp;profile=3g&amp;range=7d" data-profile="3g">' in chromium
    assert 'href="?range=24h&amp;browser=chromium&amp;profile=native"' in chromium
    assert '<input type="hidden" name="browser" value="chromium">' in chromium
    assert 'data-browser="chromium" data-profile="native">' in chromium  # the tables' section
    assert "<td>imported</td><td>—</td><td>native</td>" in default  # the runs list


def test_a_browser_name_that_is_none_of_ours_falls_back_to_the_scenarios(
    viewer_client: Client, scenario: Scenario
) -> None:
    answer = viewer_client.get("/scenarios/home/series.json?browser=opera&range=24h")
    assert answer.json()["browser"] == "chromium"
    assert viewer_client.get("/scenarios/home/series.json?browser=webkit").json()["browser"] == (
        "webkit"
    )


def test_the_compare_page_refuses_runs_of_different_browsers(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    a = stored(scenario, location, 100.0)
    b = stored(scenario, location, 900.0, "firefox")
    c = stored(scenario, location, 950.0, "firefox")
    d = imported(scenario, 120.0)
    on_3g = stored(scenario, location, 400.0, profile="3g")

    refused = viewer_client.get(f"/compare/?base={a.pk}&branch={b.pk},{c.pk}")
    both = viewer_client.get(f"/compare/?base={a.pk}&branch={on_3g.pk},{b.pk}")
    fine = viewer_client.get(f"/compare/?base={d.pk}&branch={a.pk}")

    assert refused.status_code == both.status_code == 400
    assert (
        "runs measured in different browsers are not compared: "
        f"base chromium (run {a.pk}), branch firefox (runs {b.pk}, {c.pk})"
    ) in refused.content.decode()
    assert (
        "runs measured in different browsers are not compared: "
        f"base chromium (run {a.pk}), branch chromium (run {on_3g.pk}); firefox (run {b.pk}). "
        "runs measured under different profiles are not compared: "
        f"base native (run {a.pk}), branch 3g (run {on_3g.pk}); native (run {b.pk})"
    ) in both.content.decode()
    assert fine.status_code == 200
    assert (
        'measured in <span class="browser">chromium</span> under profile '
        '<span class="profile">native</span>'
    ) in fine.content.decode()


def test_the_previous_run_to_compare_with_is_one_of_the_same_browser(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    earlier_fox = stored(scenario, location, 500.0, "firefox")
    earlier_chromium = stored(scenario, location, 100.0)
    run = stored(scenario, location, 520.0, "firefox")

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()

    assert f"?base={earlier_fox.pk}&amp;branch={run.pk}" in html
    assert f"?base={earlier_chromium.pk}&amp;" not in html


def test_the_scenario_lists_key_metrics_follow_the_scenarios_current_browser(
    scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, 100.0, at=NOW - timedelta(minutes=30))
    stored(scenario, location, 900.0, "firefox", at=NOW - timedelta(minutes=20))
    imported(scenario, 50.0, at=NOW - timedelta(minutes=10))  # the newest: Chromium's

    [chromium] = scenario_rows(Scenario.objects.all(), "lcp", NOW)
    scenario.browser = "firefox"
    scenario.save()
    [firefox] = scenario_rows(Scenario.objects.all(), "lcp", NOW)

    assert next(m for m in chromium.metrics if m["name"] == "lcp")["value"] == 50.0
    assert [v for v in chromium.spark if v is not None] == [75.0]
    assert next(m for m in firefox.metrics if m["name"] == "lcp")["value"] == 900.0
    assert [v for v in firefox.spark if v is not None] == [900.0]
