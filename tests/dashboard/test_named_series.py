"""Named metrics on the scenario page: the picker offers exactly the names the latest runs carry,
and each chosen one is charted from the result documents, averaged per bucket and location,
a bucket where no run measured it a gap (None), never 0."""

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from dashboard.buckets import Window
from dashboard.named_series import MAX_CHOSEN, SEEN_RUNS, chosen_names, seen_names
from dashboard.series import scenario_series
from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import result_doc, with_named

from .conftest import HOSTILE

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # a multiple of every bucket width used
READY = "user.chat_ready"
CREATE = "request.create_chat.duration_ms"
SEARCH = "step.send.request.search.duration_ms"


def stored(
    scenario: Scenario,
    location: Location | None,
    at: datetime,
    metrics: dict[str, Any] | None = None,
    *,
    steps: dict[str, dict[str, Any]] | None = None,
    **fields: Any,
) -> Run:
    """A run of ``scenario`` created at ``at`` whose stored document (the builder's, with a
    measured step ``send``) carries ``metrics`` and the steps' own ``steps``."""
    status = fields.pop("status", Run.SUCCEEDED)
    doc = with_named(
        result_doc(steps=[("send", 500.0, 230.0)], status=status), metrics, steps=steps
    )
    run = Run.objects.create(scenario=scenario, location=location, **fields)
    store_result(run.pk, doc, None)
    Run.objects.filter(pk=run.pk).update(created_at=at)
    return run


def test_a_named_metric_is_averaged_per_bucket_and_location_and_absent_is_a_gap(
    scenario: Scenario, location: Location
) -> None:
    other = Location.objects.create(name="us")
    a = stored(scenario, location, NOW - timedelta(minutes=9), {READY: 400.0, CREATE: 200.0})
    b = stored(scenario, location, NOW - timedelta(minutes=6), {CREATE: 100.0})
    c = stored(scenario, location, NOW - timedelta(minutes=2), {READY: 250.5})
    d = stored(scenario, other, NOW - timedelta(minutes=7))
    stored(scenario, location, NOW - timedelta(minutes=8), {READY: 9999.0}, status="failed")
    stored(scenario, location, NOW - timedelta(minutes=1), {READY: 5555.0}, kind=Run.KIND_CI)
    stored(scenario, location, NOW - timedelta(minutes=3), {READY: None})  # null: not measured

    data = scenario_series(scenario, Window.named("24h", NOW), named=[READY, CREATE])

    start = int(NOW.timestamp()) - 600
    assert data["x"] == [start, start + 300]
    assert data["locations"] == ["local", "us"]
    assert data["runs"][1] == [d.pk, None]
    assert a.pk < b.pk < c.pk
    # The first bucket: 400 and a run without it → 400, not 200; "us" measured none → None.
    assert data["metrics"][READY] == [[400.0, 250.5], [None, None]]
    assert data["metrics"][CREATE] == [[150.0, None], [None, None]]
    assert data["units"][READY] == "ms"
    assert data["metrics"]["lcp"] == [[100.0, 100.0], [100.0, None]]


def test_a_steps_own_metric_is_read_from_that_step(scenario: Scenario, location: Location) -> None:
    stored(scenario, location, NOW - timedelta(minutes=9), steps={"send": {SEARCH[10:]: 180.0}})
    stored(scenario, location, NOW - timedelta(minutes=8), steps={"send": {SEARCH[10:]: 120.0}})
    stored(scenario, location, NOW - timedelta(minutes=7), {SEARCH[10:]: 5000.0})  # not a step's
    stored(scenario, location, NOW - timedelta(minutes=2), steps={"send": {"cpu.script_ms": 9.0}})

    script = "step.send.cpu.script_ms"

    data = scenario_series(scenario, Window.named("24h", NOW), named=[SEARCH, script])

    assert data["metrics"][SEARCH] == [[150.0, None]]
    assert data["metrics"][script] == [[None, 9.0]]


def test_plain_numbers_keep_three_decimals_and_any_sign(
    scenario: Scenario, location: Location
) -> None:
    for value in (-0.125, 0.5, 2.0):
        stored(scenario, location, NOW - timedelta(minutes=4), {"custom.delta": value})
    stored(scenario, location, NOW - timedelta(minutes=3), {"backend.p95": 180.2004})

    data = scenario_series(
        scenario, Window.named("24h", NOW), named=["custom.delta", "backend.p95"]
    )

    assert data["metrics"]["custom.delta"] == [[0.792]]  # (−0.125 + 0.5 + 2) / 3 = 0.7916…
    assert data["metrics"]["backend.p95"] == [[180.2]]
    assert (data["units"]["custom.delta"], data["units"]["backend.p95"]) == ("number", "number")


def test_the_picker_offers_exactly_the_names_the_latest_runs_carry(
    scenario: Scenario, location: Location
) -> None:
    stored(
        scenario,
        location,
        NOW - timedelta(minutes=9),
        {READY: 1.0, "ws.chat.reply_ms": 2.0, "cpu.dom_nodes": 300},
        steps={"send": {"user.sent": 3.0, "custom.n": 1}},
    )
    stored(scenario, location, NOW - timedelta(minutes=8), {CREATE: 1.0, "backend.p95": 2.0})
    stored(scenario, location, NOW - timedelta(minutes=7), {"user.ci_only": 1.0}, kind=Run.KIND_CI)
    stored(scenario, location, NOW - timedelta(minutes=6), {"user.lost": 1.0}, status="failed")
    other = Scenario.objects.create(name="Other", slug="other", url="http://o.example.com/")
    stored(other, location, NOW - timedelta(minutes=5), {"user.theirs": 1.0})

    assert seen_names(scenario) == [
        READY,
        CREATE,
        "cpu.dom_nodes",
        "ws.chat.reply_ms",
        "backend.p95",
        "step.send.duration_ms",
        "step.send.user.sent",
        "step.send.custom.n",
    ]


def test_the_picker_reads_only_the_latest_runs(scenario: Scenario, location: Location) -> None:
    stored(scenario, location, NOW - timedelta(days=2), {"user.old": 1.0})
    doc = with_named(result_doc(), {READY: 1.0})
    recent = Run.objects.bulk_create(
        Run(scenario=scenario, location=location, status=Run.SUCCEEDED, result=doc)
        for _ in range(SEEN_RUNS)
    )

    assert seen_names(scenario) == [READY]
    Run.objects.filter(pk=recent[0].pk).delete()
    assert seen_names(scenario) == [READY, "user.old", "step.send.duration_ms"]


def test_only_named_metrics_and_step_durations_are_charted_each_once_and_a_few_at_most() -> None:
    asked = [READY, "lcp", "bogus", READY, "step.send.duration_ms", "request.x", CREATE]
    asked += ["step.send.started_ms", "actor.operator.lcp"]
    assert chosen_names(asked) == [READY, "step.send.duration_ms", CREATE, "actor.operator.lcp"]
    many = [f"user.m{i}" for i in range(MAX_CHOSEN + 3)]
    assert chosen_names(many) == many[:MAX_CHOSEN]


def chart_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_the_scenario_page_charts_the_metrics_picked_in_its_address(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    now = datetime.now(UTC)
    stored(scenario, location, now - timedelta(minutes=1), {READY: 412.0, CREATE: 215.0})

    page = viewer_client.get("/scenarios/home/", {"range": "24h", "chart": [CREATE, "lcp"]})
    html = page.content.decode()

    options = re.findall(r'<option value="([^"]+)"( selected)?>([^<]+)</option>', html)
    assert options == [
        (READY, "", "User timing chat_ready"),
        (CREATE, " selected", "Request create_chat Duration"),
        ("step.send.duration_ms", "", "send duration"),
    ]
    assert re.findall(r'<figure class="chart" data-metric="([^"]+\.[^"]+)">', html) == [CREATE]
    assert f'href="?range=7d&amp;browser=chromium&amp;profile=native&amp;chart={CREATE}"' in html
    data = chart_data(html)
    assert [v for v in data["metrics"][CREATE][0] if v is not None] == [215.0]
    assert READY not in data["metrics"]


def test_the_json_endpoint_carries_the_picked_metrics(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, datetime.now(UTC) - timedelta(minutes=1), {READY: 412.0})

    data = viewer_client.get(f"/scenarios/home/series.json?range=24h&chart={READY}").json()

    assert [v for v in data["metrics"][READY][0] if v is not None] == [412.0]
    assert data["units"][READY] == "ms"


def test_a_page_without_steps_or_named_metrics_says_so(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    run = Run.objects.create(scenario=scenario, location=location)
    store_result(run.pk, result_doc(), None)

    html = viewer_client.get("/scenarios/home/").content.decode()

    assert "<select" not in html
    assert "The latest runs carry no measured steps or named metrics to chart" in html


def test_without_a_pick_the_page_charts_each_steps_duration(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    stored(scenario, location, datetime.now(UTC) - timedelta(minutes=1), {READY: 412.0})

    html = viewer_client.get("/scenarios/home/", {"range": "24h"}).content.decode()

    name = "step.send.duration_ms"
    assert re.findall(r'<figure class="chart" data-metric="([^"]+\.[^"]+)">', html) == [name]
    assert f'<option value="{name}" selected>send duration</option>' in html
    assert [v for v in chart_data(html)["metrics"][name][0] if v is not None] == [230.0]


def test_each_actors_page_metrics_are_offered_under_its_name(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    stored(
        scenario,
        location,
        datetime.now(UTC) - timedelta(minutes=1),
        {"actor.operator.lcp": 300.0, "actor.visitor.lcp": 120.0},
    )

    html = viewer_client.get("/scenarios/home/", {"chart": "actor.visitor.lcp"}).content.decode()

    assert '<optgroup label="Actor operator"><option value="actor.operator.lcp">' in html
    assert '<option value="actor.visitor.lcp" selected>Actor visitor LCP</option>' in html
    data = chart_data(html)
    assert [v for v in data["metrics"]["actor.visitor.lcp"][0] if v is not None] == [120.0]


def test_a_hostile_step_name_is_escaped_in_the_picker(
    viewer_client: Client, scenario: Scenario, location: Location
) -> None:
    run = stored(scenario, location, datetime.now(UTC) - timedelta(minutes=1))
    doc = run.result or {}
    doc["steps"] = [{"name": HOSTILE, "started_ms": 1.0, "metrics": {READY: 5.0}}]
    Run.objects.filter(pk=run.pk).update(result=doc)
    name = f"step.{HOSTILE}.{READY}"

    html = viewer_client.get("/scenarios/home/", {"chart": name}).content.decode()

    assert HOSTILE not in html
    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"
    assert f'<optgroup label="Step {escaped}">' in html
    assert f'<option value="step.{escaped}.{READY}" selected>' in html
    assert [v for v in chart_data(html)["metrics"][name][0] if v is not None] == [5.0]
