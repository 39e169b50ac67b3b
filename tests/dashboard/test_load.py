"""The dashboard's load test pages: the start form with its guard rails, refusals saying why,
a test's stage table, answer, degradation curve data and comparison, and cancelling."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from scenarios.load import stages
from scenarios.models import (
    Agent,
    LoadIteration,
    LoadSample,
    LoadShare,
    LoadTest,
    Location,
    Scenario,
)

pytestmark = pytest.mark.django_db

FORM = {
    "location": "local",
    "kind": "continuous",
    "stages": "1-4/3",
    "length": "30",
    "per": "seconds",
    "metric": "ttfb",
    "statistic": "median",
    "limit": "250",
}


def finished(scenario: Scenario, ttfbs: dict[int, list[float]], **fields: Any) -> LoadTest:
    """A load test of ``scenario`` that ran a stage per number of users in ``ttfbs`` (their
    journeys' TTFBs), each 30 s long, on agent local-1 at 50% CPU, then settled done."""
    test = LoadTest.objects.create(
        scenario=scenario,
        location=scenario.locations.get(),
        stages=list(ttfbs),
        seconds=30,
        metric="ttfb",
        statistic="median",
        limit=250.0,
        spec={},
        stage=len(ttfbs) - 1,
        status=LoadTest.RUNNING,
        **fields,
    )
    start = timezone.now() - timedelta(minutes=5)
    for index, (users, values) in enumerate(ttfbs.items()):
        share = LoadShare.objects.create(
            load_test=test,
            stage=index,
            agent_name="local-1",
            users=users,
            status=LoadShare.DONE,
            baseline_pss_bytes=100_000_000,
            started_at=start,
            finished_at=start + timedelta(seconds=30),
        )
        for user, ttfb in enumerate(values):
            LoadIteration.objects.create(
                load_test=test,
                share=share,
                stage=index,
                user=user,
                started_at=start,
                duration_ms=1000.0,
                status="succeeded",
                values={"ttfb": ttfb},
            )
        LoadSample.objects.create(
            load_test=test,
            share=share,
            stage=index,
            at=start,
            cpu_percent=50.0,
            pss_bytes=100_000_000 + users * 20_000_000,
            users=users,
        )
    stages.settle(test, LoadTest.DONE)
    return test


@pytest.fixture
def live(location: Location) -> Agent:
    return Agent.objects.create(
        name="local-1",
        location=location,
        last_seen=timezone.now(),
        browsers={"chromium": ""},
        load_users=4,
    )


def test_an_editor_sees_the_guard_rails_and_starts_a_load_test(
    editor_client: Client,
    scenario: Scenario,
    live: Agent,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[Any] = []
    monkeypatch.setattr(stages.app, "send_task", lambda *a, **k: sent.append(a))
    page = editor_client.get("/scenarios/home/load/").content.decode()
    assert '<tr data-location="local"><td>local</td><td class="num">4</td>' in page
    assert "local-1 (4)" in page
    assert "not allowed: www.example.com" in page
    refused = editor_client.post("/scenarios/home/load/", FORM)
    assert refused.status_code == 400
    assert "load tests may not target www.example.com: an admin allows a host" in (
        refused.content.decode()
    )
    settings.PERFITE_LOAD_ALLOWED_HOSTS = ["*.example.com"]
    too_many = editor_client.post("/scenarios/home/load/", {**FORM, "stages": "2, 5"})
    assert "5 virtual users are more than the live agents of local with chromium hold" in (
        too_many.content.decode()
    )
    started = editor_client.post("/scenarios/home/load/", FORM)
    test = LoadTest.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/load/{test.pk}/"
    assert (test.stages, test.seconds, test.metric, test.limit) == ([1, 4], 30, "ttfb", 250.0)


def test_a_viewer_reads_load_tests_but_gets_no_form_and_may_not_start_or_cancel(
    viewer_client: Client, scenario: Scenario
) -> None:
    test = finished(scenario, {1: [100.0]})
    page = viewer_client.get("/scenarios/home/load/").content.decode()
    assert "Start a load test" not in page and f'href="/load/{test.pk}/"' in page
    assert viewer_client.post("/scenarios/home/load/", FORM).status_code == 403
    assert viewer_client.post(f"/load/{test.pk}/cancel/").status_code == 403
    assert Client().get(f"/load/{test.pk}/").status_code == 302  # to the login page


def test_the_report_page_shows_each_stage_the_answer_and_the_earlier_test(
    viewer_client: Client, scenario: Scenario
) -> None:
    earlier = finished(scenario, {1: [120.0], 4: [200.0, 240.0, 260.0, 280.0]})
    test = finished(scenario, {1: [100.0], 4: [300.0, 320.0, 340.0, 360.0]})
    page = viewer_client.get(f"/load/{test.pk}/").content.decode()
    assert (
        '<tr data-users="4"><td class="num">4</td><td class="num">4</td><td class="num">0</td>'
        in page
    )
    assert '<td class="num">330 ms</td>' in page  # the median TTFB of 4 users
    assert '<td class="num">20.0 MB</td>' in page  # memory per user above the agent's own
    assert "crosses 250 ms at <strong>4 users</strong> (330 ms)" in page
    assert f'Compared with load test <a href="/load/{earlier.pk}/">#{earlier.pk}</a>' in page
    assert '<td class="num">+80 ms</td>' in page  # 330 - 250
    chart = viewer_client.get(f"/load/{test.pk}/chart.json").json()
    assert chart == {
        "status": "done",
        "metric": "ttfb",
        "label": "TTFB",
        "unit": "ms",
        "statistic": "median",
        "limit": 250.0,
        "users": [1, 4],
        "median": [100.0, 330.0],
        "p95": [100.0, 357.0],
        "earlier": [120.0, 250.0],
        "earlier_id": earlier.pk,
        "cpu": [50.0, 50.0],
        "errors": [0.0, 0.0],
    }


def test_an_editor_cancels_a_running_load_test(editor_client: Client, scenario: Scenario) -> None:
    test = LoadTest.objects.create(
        scenario=scenario,
        location=scenario.locations.get(),
        stages=[2],
        seconds=30,
        spec={},
        stage=0,
        status=LoadTest.RUNNING,
    )
    page = editor_client.get(f"/load/{test.pk}/").content.decode()
    assert "Cancel this load test" in page
    editor_client.post(f"/load/{test.pk}/cancel/")
    test.refresh_from_db()
    assert (test.status, test.error) == ("cancelled", "cancelled by eddie in the dashboard")
    assert "Cancel this load test" not in editor_client.get(f"/load/{test.pk}/").content.decode()
