"""Correlation over run histories stored in the database, with a known culprit."""

from typing import Any

import pytest

from scenarios.alerts.evaluate import evaluate_after_run
from scenarios.alerts.insights import correlation_report, load_history
from scenarios.conditions import Conditions
from scenarios.models import EntityMapping, Incident, Location, Run, Scenario, Threshold

from .conftest import T0, MakeRun

CULPRIT = "securepubads.g.doubleclick.net"
CHANGE = 30  # index of the first slow run; runs are five minutes apart, so 14:30
NATIVE = Conditions("chromium", "native")


def history(make_run: MakeRun, n: int = 60, ci_noise: bool = False) -> list[Run]:
    """n runs: at CHANGE the ad host gets +500 ms and LCP +480 ms; the rest only jitters."""
    runs = []
    for r in range(n):
        slow = r >= CHANGE
        jitter = (r * 37) % 50
        hosts = {
            "www.shop.example.com": {
                "party": "first",
                "entity": "example.com",
                "time_ms": 200.0 + (r * 17) % 30,
                "transfer_bytes": 50_000,
            },
            CULPRIT: {
                "time_ms": 100.0 + (r * 13) % 20 + (500 if slow else 0),
                "transfer_bytes": 8000,
                "entity": "doubleclick.net",
            },
            "www.google-analytics.com": {
                "time_ms": 40.0 + (r * 7) % 25,
                "transfer_bytes": 300 + (r * 11) % 40,
            },
            "cdn.jsdelivr.net": {"time_ms": 60.0 + (r * 29) % 15, "transfer_bytes": 20_000},
        }
        runs.append(make_run(r * 5, lcp=1000.0 + jitter + (480 if slow else 0), hosts=hosts))
    return runs


def test_the_slowed_host_ranks_first_and_is_named_in_the_regression(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    runs = history(make_run)
    report = correlation_report(scenario, location, since=T0, metric="lcp")
    assert report["runs"] == 60
    top = report["hosts"][0]
    assert (top["key"], top["measure"], top["party"]) == (CULPRIT, "time_ms", "third")
    assert (top["entity"], top["category"]) == ("Google Ads", "ads")
    assert top["coefficient"] > 0.7 > abs(report["hosts"][1]["coefficient"]) + 0.4
    assert report["entities"][0]["key"] == "Google Ads"
    [regression] = report["regressions"]
    assert regression["run_id"] == runs[CHANGE].pk
    assert regression["t"] == "2026-11-20T14:30:00+00:00"
    culprit = regression["culprits"][0]
    assert (culprit["key"], culprit["kind"], culprit["category"]) == (CULPRIT, "host", "ads")
    assert culprit["share"] == 1.0
    assert regression["summary"].startswith(
        f"lcp +{regression['delta']:.0f} ms since 2026-11-20 14:30; {CULPRIT} time_ms +"
    )


def test_the_report_reads_the_runs_of_the_scenarios_current_profile(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    history(make_run, n=10)
    for r in range(4):
        make_run(60 + r, lcp=5000.0, profile="3g")

    native = correlation_report(scenario, location, since=T0)
    scenario.profile = "3g"
    scenario.save()
    on_3g = correlation_report(scenario.pk, location.pk, since=T0)

    assert (native["runs"], on_3g["runs"]) == (10, 4)


def test_the_report_reads_the_runs_of_the_scenarios_current_browser(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    history(make_run, n=10)
    for r in range(4):
        make_run(60 + r, lcp=5000.0, browser="firefox")
    make_run(70, lcp=1000.0, browser="", kind=Run.KIND_IMPORTED)  # counts as Chromium's

    chromium = correlation_report(scenario, location, since=T0)
    scenario.browser = "firefox"
    scenario.save()
    firefox = correlation_report(scenario.pk, location.pk, since=T0)

    assert (chromium["runs"], firefox["runs"]) == (11, 4)


def test_a_user_mapping_renames_the_entity(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    EntityMapping.objects.create(
        pattern="*.g.doubleclick.net", entity="Our ad server", category="ads"
    )
    history(make_run)
    report = correlation_report(scenario.pk, location.pk, since=T0)
    assert report["entities"][0]["key"] == "Our ad server"
    assert report["hosts"][0]["entity"] == "Our ad server"


def test_history_loads_in_three_queries_whatever_its_length(
    scenario: Scenario, location: Location, make_run: MakeRun, django_assert_num_queries: Any
) -> None:
    history(make_run, n=40)
    with django_assert_num_queries(3):  # runs, entity mappings, host rows
        runs = load_history(scenario.pk, location.pk, since=T0, conditions=NATIVE)
    assert len(runs) == 40
    assert runs[0]["hosts"]["www.google-analytics.com"] == {
        "time_ms": 40.0,
        "transfer_bytes": 300,
        "blocking_ms": 0.0,
        "requests": 1,
        "entity": "Google Analytics",
        "party": "third",
    }
    assert runs[0]["hosts"]["www.shop.example.com"]["entity"] == "example.com"


def test_the_window_excludes_other_runs(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    history(make_run, n=20)
    make_run(200, lcp=5000, kind=Run.KIND_CI)
    make_run(205, status=Run.FAILED)
    make_run(30, lcp=9000, profile="3g")  # another profile's run, inside the window
    make_run(35, lcp=9000, browser="webkit")  # another browser's run, inside the window
    runs = load_history(
        scenario.pk,
        location.pk,
        since=T0.replace(minute=25),
        until=T0.replace(hour=13),
        conditions=NATIVE,
    )
    assert [r["metric"] for r in runs][:2] == [1000.0 + (5 * 37) % 50, 1000.0 + (6 * 37) % 50]
    assert len(runs) == 8  # minutes 25..60


def test_an_unknown_metric_is_refused(scenario: Scenario, location: Location) -> None:
    with pytest.raises(ValueError, match="metric must be one of"):
        correlation_report(scenario, location, since=T0, metric="speed")


def test_an_lcp_incident_names_the_culprit_once_the_change_is_detectable(
    scenario: Scenario, make_run: MakeRun
) -> None:
    Threshold.objects.create(scenario=scenario, metric="lcp", value=1300, window_runs=3)
    runs = history(make_run, n=CHANGE + 8)
    for run in runs[: CHANGE + 2]:
        evaluate_after_run(run.pk, now=run.created_at)
    incident = Incident.objects.get()
    assert incident.opened_run == runs[CHANGE + 1]  # two slow runs: too few to locate it
    assert (
        incident.message
        == "Shop home @ eu: lcp 1,490 ms is above 1,300 ms (median of the last 3 runs)"
    )
    for run in runs[CHANGE + 2 :]:
        evaluate_after_run(run.pk, now=run.created_at)
    incident.refresh_from_db()
    summary = incident.details["culprits"]
    assert summary.startswith("lcp +")
    assert f"since 2026-11-20 14:30; {CULPRIT} time_ms +" in summary
    assert incident.message == (
        "Shop home @ eu: lcp 1,490 ms is above 1,300 ms (median of the last 3 runs); " + summary
    )
