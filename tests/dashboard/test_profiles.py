"""Runs under different profiles are never mixed on a page: the scenario page charts one
profile (the scenario's, or ``?profile=``), lists say each run's, the compare page refuses
mixed sets, the scenario list's key metrics follow each scenario's current profile."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from core.profiles import BUILTIN
from dashboard.buckets import Window
from dashboard.overview import scenario_rows
from dashboard.series import host_buckets, scenario_series
from scenarios.conditions import Conditions
from scenarios.models import Location, Run, RunHost, Scenario
from scenarios.runs.store import store_result
from tests.factories import result_doc

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    cache.clear()  # closed buckets are cached by key: each test starts without


def add_run(scenario: Scenario, location: Location, minutes_ago: int, **values: Any) -> Run:
    values.setdefault("status", Run.SUCCEEDED)
    run = Run.objects.create(scenario=scenario, location=location, **values)
    Run.objects.filter(pk=run.pk).update(created_at=NOW - timedelta(minutes=minutes_ago))
    return run


def test_the_charts_average_one_profiles_runs_the_scenarios_by_default(
    scenario: Scenario, location: Location
) -> None:
    native = add_run(scenario, location, 9, lcp=100.0)
    add_run(scenario, location, 8, lcp=300.0)
    on_3g = add_run(scenario, location, 7, lcp=2000.0, profile="3g")
    window = Window.named("24h", NOW)

    default = scenario_series(scenario, window)
    picked = scenario_series(scenario, window, conditions=Conditions("chromium", "3g"))

    assert (default["profile"], default["metrics"]["lcp"]) == ("native", [[200.0]])
    assert (picked["profile"], picked["metrics"]["lcp"]) == ("3g", [[2000.0]])
    assert picked["runs"] == [[on_3g.pk]]
    assert native.pk < on_3g.pk
    scenario.profile = "3g"
    scenario.save()
    assert scenario_series(scenario, window)["metrics"]["lcp"] == [[2000.0]]


def test_the_host_tables_sum_one_profiles_runs(scenario: Scenario, location: Location) -> None:
    for profile, time_ms in (("native", 40.0), ("native", 60.0), ("4g", 900.0)):
        run = add_run(scenario, location, 5, profile=profile)
        RunHost.objects.create(
            run=run, host="cdn.example.com", entity="example.com", party="first", time_ms=time_ms
        )
    window = Window.named("24h", NOW)

    [(_, host, _, _, runs, _, _, native_ms, _)] = host_buckets(scenario, window)
    [(_, _, _, _, runs_4g, _, _, ms_4g, _)] = host_buckets(
        scenario, window, Conditions("chromium", "4g")
    )

    assert (host, runs, native_ms) == ("cdn.example.com", 2, 100.0)
    assert (runs_4g, ms_4g) == (1, 900.0)


def page(client: Client, query: str = "") -> str:
    return client.get(f"/scenarios/home/{query}").content.decode()


def chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html)
    assert found is not None
    return json.loads(found.group(1))


def test_the_scenario_page_charts_the_profile_asked_for_and_offers_the_others(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    scenario.profile = "4g"
    scenario.save()
    add_run(scenario, location, 60 * 24 * 2, lcp=100.0)  # native, before the change
    add_run(scenario, location, 5, lcp=800.0, profile="4g")

    default = page(viewer_client)
    native = page(viewer_client, "?profile=native&range=7d")

    assert chart_data(default)["profile"] == "4g"
    assert chart_data(native)["profile"] == "native"
    assert re.findall(
        r'<a href="\?browser=chromium&amp;profile=([^&]+)&amp;range=7d" data-profile', default
    ) == ["4g", "native"]
    assert (
        '<a href="?browser=chromium&amp;profile=4g&amp;range=7d" data-profile="4g" '
        'aria-current="true">'
    ) in default
    assert 'data-profile="native" aria-current="true">native</a>' in native
    assert 'href="?range=24h&amp;browser=chromium&amp;profile=native"' in native  # kept
    assert '<input type="hidden" name="profile" value="native">' in native
    assert re.findall(r"<td>(native|4g)</td>", default) == ["4g", "native"]  # the runs list


def test_a_profile_name_that_cannot_be_one_falls_back_to_the_scenarios(
    viewer_client: Client, scenario: Scenario
) -> None:
    answer = viewer_client.get("/scenarios/home/series.json?profile=%27%3B--&range=24h")
    assert answer.json()["profile"] == "native"
    assert viewer_client.get("/scenarios/home/series.json?profile=3g").json()["profile"] == "3g"


def test_the_host_tables_fragment_takes_the_profile(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    run = Run.objects.create(
        scenario=scenario, location=location, status=Run.SUCCEEDED, profile="3g"
    )  # created now: the page's range ends now
    RunHost.objects.create(run=run, host="only-on-3g.example", entity="e", party="third")

    native = viewer_client.get("/scenarios/home/?fragment=tables&range=24h").content.decode()
    on_3g = viewer_client.get("/scenarios/home/?fragment=tables&range=24h&profile=3g")

    assert "only-on-3g.example" not in native
    assert "only-on-3g.example" in on_3g.content.decode()


def stored(scenario: Scenario, location: Location, profile: str, lcp: float) -> Run:
    run = Run.objects.create(scenario=scenario, location=location, profile=profile)
    document = result_doc()
    document["metrics"]["lcp"] = lcp
    assert store_result(run.pk, {**document, "profile": BUILTIN[profile].as_spec()}, None)
    return run


def test_the_compare_page_refuses_runs_of_different_profiles(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    a = stored(scenario, location, "native", 100.0)
    b = stored(scenario, location, "3g", 900.0)
    c = stored(scenario, location, "3g", 950.0)

    refused = viewer_client.get(f"/compare/?base={a.pk}&branch={b.pk},{c.pk}")
    mixed = viewer_client.get(f"/compare/?base={a.pk},{b.pk}&branch={c.pk}")
    fine = viewer_client.get(f"/compare/?base={b.pk}&branch={c.pk}")

    assert refused.status_code == mixed.status_code == 400
    assert (
        "runs measured under different profiles are not compared: "
        f"base native (run {a.pk}), branch 3g (runs {b.pk}, {c.pk})"
    ) in refused.content.decode()
    assert (
        f"base 3g (run {b.pk}); native (run {a.pk}), branch 3g (run {c.pk})"
    ) in mixed.content.decode()
    assert fine.status_code == 200
    assert (
        'measured in <span class="browser">chromium</span> under profile '
        '<span class="profile">3g</span>'
    ) in fine.content.decode()


def test_the_run_page_says_its_profile_with_the_numbers_it_recorded(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    earlier_native = stored(scenario, location, "native", 100.0)
    earlier_4g = stored(scenario, location, "4g", 500.0)
    run = stored(scenario, location, "4g", 520.0)

    html = viewer_client.get(f"/runs/{run.pk}/").content.decode()

    assert (
        'profile <span class="profile">4g: 9 Mbps down, 9 Mbps up, 170 ms RTT, CPU ×1</span>'
        in html
    )
    # "the previous run" to compare with is the previous one of the same profile
    assert f"?base={earlier_4g.pk}&amp;branch={run.pk}" in html
    assert f"?base={earlier_native.pk}&amp;" not in html


def test_the_scenario_lists_key_metrics_follow_the_scenarios_current_profile(
    scenario: Scenario, location: Location
) -> None:
    now = datetime.now(UTC)
    stored(scenario, location, "native", 100.0)
    stored(scenario, location, "4g", 900.0)
    [row] = scenario_rows(Scenario.objects.all(), "lcp", now)
    assert next(m for m in row.metrics if m["name"] == "lcp")["value"] == 100.0
    assert [v for v in row.spark if v is not None] == [100.0]

    cache.clear()
    scenario.profile = "4g"
    scenario.save()
    [row] = scenario_rows(Scenario.objects.all(), "lcp", now)

    assert next(m for m in row.metrics if m["name"] == "lcp")["value"] == 900.0
    assert [v for v in row.spark if v is not None] == [900.0]
