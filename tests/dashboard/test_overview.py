"""The scenario list: latest runs, state, key metrics, weekly change, sparkline, filters."""

from datetime import UTC, datetime, timedelta

from django.test import Client

from dashboard.overview import SPARK_POINTS, filter_scenarios, scenario_rows
from scenarios.models import Incident, Location, Run, Scenario, Threshold

from .test_series import add_run

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a 6-hour bucket boundary


def row_for(scenario: Scenario, **kwargs: str):  # type: ignore[no-untyped-def]
    (row,) = [
        r
        for r in scenario_rows(Scenario.objects.all(), now=NOW, **kwargs)
        if r.scenario == scenario
    ]
    return row


def test_the_latest_run_and_latest_success_come_from_any_location(
    scenario: Scenario, location: Location
) -> None:
    other = Location.objects.create(name="us")
    scenario.locations.add(other)
    ok = add_run(scenario, location, NOW - timedelta(minutes=30), lcp=100.0)
    add_run(scenario, other, NOW - timedelta(minutes=50), lcp=999.0)
    failed = add_run(scenario, other, NOW - timedelta(minutes=10), status=Run.FAILED)
    # a CI comparison's branch build is not the monitored page: neither latest nor in metrics
    add_run(scenario, location, NOW - timedelta(minutes=5), kind=Run.KIND_CI, lcp=5.0)

    row = row_for(scenario)

    assert (row.last_run, row.last_ok) == (failed, ok)
    assert row.state == "failing"
    assert row.locations == ["local", "us"]
    assert row.metrics[1] == {
        "name": "lcp",
        "label": "LCP",
        "value": 100.0,
        "change": None,
    }


def test_trial_runs_without_a_location_count_as_latest(scenario: Scenario) -> None:
    trial = add_run(scenario, None, NOW - timedelta(minutes=1), lcp=42.0)

    assert row_for(scenario).last_run == trial


def test_a_paused_scenario_is_paused_whatever_its_runs(scenario: Scenario) -> None:
    scenario.paused = True
    scenario.save()

    assert row_for(scenario).state == "paused"


def test_change_compares_the_last_day_with_the_same_day_a_week_ago(
    scenario: Scenario, location: Location
) -> None:
    add_run(scenario, location, NOW - timedelta(days=7, hours=3), lcp=100.0, ttfb=10.0)
    add_run(scenario, location, NOW - timedelta(days=7, hours=10), lcp=300.0)
    add_run(scenario, location, NOW - timedelta(days=7, hours=19), lcp=900.0)  # 6 h too early
    add_run(scenario, location, NOW - timedelta(days=3), lcp=5000.0)  # neither window
    add_run(scenario, location, NOW - timedelta(hours=2), lcp=240.0, ttfb=10.0)
    add_run(scenario, location, NOW - timedelta(hours=5), lcp=260.0)

    changes = {m["name"]: m["change"] for m in row_for(scenario).metrics}

    assert changes == {"ttfb": 0.0, "lcp": 25.0, "transfer_bytes": None, "third_party_bytes": None}


def test_the_sparkline_has_one_point_per_six_hours(scenario: Scenario, location: Location) -> None:
    add_run(scenario, location, NOW - timedelta(hours=1), lcp=10.0)
    add_run(scenario, location, NOW - timedelta(hours=2), lcp=20.0)
    add_run(scenario, location, NOW - timedelta(hours=7), lcp=40.0)
    add_run(scenario, location, NOW - timedelta(days=6, hours=23), lcp=70.0)
    add_run(scenario, location, NOW + timedelta(hours=1), lcp=80.0)  # the current bucket
    add_run(scenario, location, NOW - timedelta(hours=3), kind=Run.KIND_CI, lcp=900.0)

    spark = row_for(scenario, spark_metric="lcp").spark

    assert len(spark) == SPARK_POINTS
    assert spark[0] == 70.0
    assert spark[-3:] == [40.0, 15.0, 80.0]
    assert spark.count(None) == SPARK_POINTS - 4


def test_open_incidents_are_counted(scenario: Scenario) -> None:
    threshold = Threshold.objects.create(scenario=scenario, metric="lcp", value=1)
    Incident.objects.create(threshold=threshold)
    other = Threshold.objects.create(scenario=scenario, metric="ttfb", value=1)
    Incident.objects.create(threshold=other, resolved_at=NOW)

    assert row_for(scenario).open_alerts == 1


def test_search_matches_name_slug_or_url(scenario: Scenario) -> None:
    Scenario.objects.create(name="Checkout", slug="checkout", url="http://shop.example.org/")

    assert [s.slug for s in filter_scenarios({"q": "SHOP"})] == ["checkout"]
    assert [s.slug for s in filter_scenarios({"q": "hom"})] == ["home"]
    assert [s.slug for s in filter_scenarios({"location": "local"})] == ["home"]


def test_the_list_filters_by_state(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    broken = Scenario.objects.create(name="Broken", slug="broken", url="http://b.com/")
    broken.locations.add(location)
    add_run(broken, location, NOW, status=Run.TIMED_OUT)

    html = viewer_client.get("/?state=failing").content.decode()

    assert 'href="/scenarios/broken/"' in html
    assert 'href="/scenarios/home/"' not in html


def test_the_list_uses_a_fixed_number_of_queries(
    viewer_client: Client, location: Location, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for i in range(30):
        scenario = Scenario.objects.create(name=f"S{i}", slug=f"s{i}", url="http://a.com/")
        scenario.locations.add(location)
        add_run(scenario, location, NOW - timedelta(hours=1), lcp=1.0)
    viewer_client.get("/")

    with django_assert_max_num_queries(12):
        response = viewer_client.get("/")

    assert response.content.decode().count('<td><a href="/scenarios/s') == 30
