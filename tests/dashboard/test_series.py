"""Chart series: SQL buckets, averages, bounded point counts, party split, host tables."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from dashboard.buckets import MAX_POINTS, RANGES, Window, bucket_seconds
from dashboard.series import host_buckets, host_tables, scenario_series
from scenarios.models import Location, Release, Run, RunHost, Scenario

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a multiple of every bucket width used


def add_run(scenario: Scenario, location: Location | None, at: datetime, **values: Any) -> Run:
    values.setdefault("status", Run.SUCCEEDED)
    run = Run.objects.create(scenario=scenario, location=location, **values)
    Run.objects.filter(pk=run.pk).update(created_at=at)
    return run


def test_every_range_fits_in_the_point_budget() -> None:
    for span in RANGES.values():
        assert span.total_seconds() / bucket_seconds(span) <= MAX_POINTS
    assert bucket_seconds(RANGES["24h"]) == 300


def test_runs_in_one_bucket_are_averaged_per_location(
    scenario: Scenario, location: Location
) -> None:
    other = Location.objects.create(name="us")
    a = add_run(scenario, location, NOW - timedelta(minutes=9), lcp=100.0)
    b = add_run(scenario, location, NOW - timedelta(minutes=6), lcp=200.0)
    c = add_run(scenario, location, NOW - timedelta(minutes=2), lcp=50.0)
    d = add_run(scenario, other, NOW - timedelta(minutes=7), lcp=80.0)
    add_run(scenario, location, NOW - timedelta(minutes=8), status=Run.FAILED, lcp=9999.0)
    add_run(scenario, location, NOW - timedelta(hours=25), lcp=7777.0)  # before the range
    add_run(scenario, location, NOW - timedelta(minutes=1), kind=Run.KIND_CI, lcp=5555.0)

    data = scenario_series(scenario, Window.named("24h", NOW))

    start = int(NOW.timestamp()) - 600
    assert data["x"] == [start, start + 300]
    assert data["locations"] == ["local", "us"]
    assert data["metrics"]["lcp"] == [[150.0, 50.0], [80.0, None]]
    assert data["runs"] == [[b.pk, c.pk], [d.pk, None]]
    assert a.pk < b.pk
    assert (data["start"], data["end"]) == (int(NOW.timestamp()) - 86400, int(NOW.timestamp()))


def test_a_year_of_runs_is_downsampled_to_the_budget(
    scenario: Scenario, location: Location
) -> None:
    runs = [
        Run(scenario=scenario, location=location, status=Run.SUCCEEDED, lcp=float(i % 10))
        for i in range(4 * 365)
    ]
    created = Run.objects.bulk_create(runs)
    for i, run in enumerate(created):  # created_at is auto_now_add: set it afterwards
        run.created_at = NOW - timedelta(hours=6 * i + 1)
    Run.objects.bulk_update(created, ["created_at"], batch_size=500)

    data = scenario_series(scenario, Window.named("1y", NOW))

    width = bucket_seconds(RANGES["1y"])
    stamps = [int(run.created_at.timestamp()) for run in created]
    assert data["x"] == sorted({stamp // width * width for stamp in stamps})
    assert len(data["x"]) == MAX_POINTS + 1  # partial buckets at both ends of the range


def test_party_series_average_bytes_and_time_per_run(
    scenario: Scenario, location: Location
) -> None:
    for first, third, at in ((1000, 500, 5), (3000, 1500, 4)):
        run = add_run(
            scenario,
            location,
            NOW - timedelta(minutes=at),
            first_party_bytes=first,
            third_party_bytes=third,
        )
        RunHost.objects.create(
            run=run, host="www.a.com", entity="a.com", party="first", time_ms=first / 10
        )
        RunHost.objects.create(
            run=run, host="ads.b.com", entity="b.com", party="third", time_ms=third / 10
        )

    ci = add_run(scenario, location, NOW - timedelta(minutes=3), kind=Run.KIND_CI)
    RunHost.objects.create(run=ci, host="ads.b.com", entity="b.com", party="third", time_ms=9e5)

    data = scenario_series(scenario, Window.named("24h", NOW))

    assert data["party_bytes"] == {"first": [2000], "third": [1000]}
    assert data["party_time"] == {"first": [200.0], "third": [100.0]}


def test_releases_for_this_scenario_or_all_are_marked(scenario: Scenario) -> None:
    other = Scenario.objects.create(name="Other", slug="other", url="http://o.com/")
    Release.objects.create(name="global", time=NOW - timedelta(hours=1))
    Release.objects.create(name="mine", time=NOW - timedelta(hours=2)).scenarios.add(scenario)
    Release.objects.create(name="theirs", time=NOW - timedelta(hours=3)).scenarios.add(other)
    Release.objects.create(name="old", time=NOW - timedelta(days=3))

    data = scenario_series(scenario, Window.named("24h", NOW))

    assert sorted(r["name"] for r in data["releases"]) == ["global", "mine"]


def test_host_tables_average_per_run_and_trend_by_half(
    scenario: Scenario, location: Location
) -> None:
    for hours_ago, size in ((20, 1000), (18, 1000), (3, 1500)):
        run = add_run(scenario, location, NOW - timedelta(hours=hours_ago))
        RunHost.objects.create(
            run=run,
            host="www.a.com",
            entity="a.com",
            party="first",
            requests=2,
            transfer_bytes=size,
            time_ms=10.0,
        )
        RunHost.objects.create(
            run=run,
            host="img.a.com",
            entity="a.com",
            party="first",
            requests=1,
            transfer_bytes=100,
            time_ms=5.0,
        )
    window = Window.named("24h", NOW)

    hosts, entities = host_tables(window, host_buckets(scenario, window))

    assert [(h["name"], h["runs"], h["requests"]) for h in hosts] == [
        ("www.a.com", 3, 2.0),
        ("img.a.com", 3, 1.0),
    ]
    assert hosts[0]["transfer_bytes"] == pytest.approx(3500 / 3)
    assert hosts[0]["trend_bytes"] == 50.0
    assert hosts[1]["trend_bytes"] == 0.0
    # 24 hourly slices of the 24 h range: runs 20, 18 and 3 hours ago.
    expected: list[float | None] = [None] * 24
    expected[4] = expected[6] = expected[21] = 10.0
    assert hosts[0]["spark_time"] == expected
    assert [(e["name"], e["runs"], e["transfer_bytes"]) for e in entities] == [
        ("a.com", 3, pytest.approx(3800 / 3))
    ]
    assert entities[0]["trend_bytes"] == pytest.approx((1600 - 1100) / 1100 * 100, abs=0.05)


def test_the_json_endpoint_falls_back_to_the_default_range(
    viewer_client: Client, scenario: Scenario
) -> None:
    data = viewer_client.get("/scenarios/home/series.json?range=forever").json()

    assert data["range"] == "7d"
    assert data["x"] == []
    assert set(data["metrics"]) == {
        "ttfb",
        "fcp",
        "lcp",
        "cls",
        "tbt",
        "load",
        "requests",
        "transfer_bytes",
        "speed_index",
    }


def test_closed_buckets_are_cached_and_the_current_one_is_fresh(
    scenario: Scenario, location: Location
) -> None:
    window = Window.named("24h", NOW + timedelta(minutes=2))
    add_run(scenario, location, NOW - timedelta(minutes=3), lcp=100.0)
    assert scenario_series(scenario, window)["metrics"]["lcp"] == [[100.0]]

    add_run(scenario, location, NOW + timedelta(minutes=1), lcp=30.0)  # current bucket
    add_run(scenario, location, NOW - timedelta(minutes=4), lcp=300.0)  # a closed bucket

    assert scenario_series(scenario, window)["metrics"]["lcp"] == [[100.0, 30.0]]
    cache.clear()  # what the cache's expiry does
    assert scenario_series(scenario, window)["metrics"]["lcp"] == [[200.0, 30.0]]
