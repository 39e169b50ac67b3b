"""Graphite names by run kind and profile: scheduled runs are the monitoring series under
``<prefix>.<scenario>…``; the other kinds go under ``<prefix>.<kind>.<scenario>…``, or
nowhere with PERFITE_GRAPHITE_OTHER_KINDS=off; the profile is the level after the browser."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from core.metrics import NAMED_FAMILIES, STEP_SCOPED
from core.profiles import BUILTIN
from scenarios.models import GraphitePoint, Location, Run, Scenario
from scenarios.runs import graphite
from scenarios.runs.store import store_result

DASHBOARD = Path(__file__).parents[3] / "deploy/grafana/dashboards/perfite.json"


@pytest.fixture
def pushed(settings: Any) -> Any:
    settings.GRAPHITE_HOST = "127.0.0.1"
    settings.GRAPHITE_PREFIX = "perfite"
    settings.PERFITE_GRAPHITE_OTHER_KINDS = "separate"
    return settings


def stored(
    kind: str, profile: str = "native", browser: str = "chromium", named: str = "chromium"
) -> tuple[Run, int]:
    """A run of scenario ``shop`` in eu-west of ``kind`` under ``profile`` in ``browser``,
    stored with page metrics ttfb and requests and a document naming browser ``named``;
    (run, the unix second it started)."""
    location = Location.objects.get_or_create(name="eu-west")[0]
    scenario = Scenario.objects.get_or_create(
        slug="shop", defaults={"name": "Shop", "url": "http://www.example.localhost/"}
    )[0]
    started = timezone.now().replace(microsecond=0)
    run = Run.objects.create(
        scenario=scenario, location=location, kind=kind, profile=profile, browser=browser
    )
    result = {
        "status": "succeeded",
        "browser": named,
        "profile": BUILTIN[profile].as_spec(),
        "started_at": started.isoformat(),
        "metrics": {"ttfb": 12.5, "requests": 4},
    }
    assert store_result(run.pk, result, None)
    return run, int(started.timestamp())


def outbox() -> set[tuple[str, float, int]]:
    return set(GraphitePoint.objects.values_list("path", "value", "timestamp"))


@pytest.mark.parametrize(
    ("kind", "prefix", "base"),
    [
        (Run.KIND_SCHEDULED, "perfite", "perfite.shop.eu-west.chromium.native"),
        (Run.KIND_CI, "perfite", "perfite.ci.shop.eu-west.chromium.native"),
        (Run.KIND_MANUAL, "perfite", "perfite.manual.shop.eu-west.chromium.native"),
        (Run.KIND_IMPORTED, "perfite", "perfite.imported.shop.eu-west.chromium.native"),
        (Run.KIND_SCHEDULED, "", "shop.eu-west.chromium.native"),
        (Run.KIND_CI, "", "ci.shop.eu-west.chromium.native"),
    ],
)
def test_each_kind_has_its_own_root_under_the_prefix(
    pushed: Any, kind: str, prefix: str, base: str
) -> None:
    pushed.GRAPHITE_PREFIX = prefix
    assert graphite.base_path("shop", "eu-west", "chromium", kind=kind) == base


@pytest.mark.parametrize(
    ("profile", "base"),
    [
        ("4g", "perfite.shop.eu-west.chromium.4g"),
        ("lighthouse-mobile", "perfite.shop.eu-west.chromium.lighthouse-mobile"),
        ("3g-slow", "perfite.shop.eu-west.chromium.3g-slow"),
        ("", "perfite.shop.eu-west.chromium.native"),
    ],
)
def test_the_profile_is_the_level_after_the_browser_native_when_none(
    pushed: Any, profile: str, base: str
) -> None:
    assert graphite.base_path("shop", "eu-west", "chromium", profile) == base
    assert graphite.base_path("shop", "eu-west", "chromium", profile, Run.KIND_CI) == (
        base.replace("perfite.", "perfite.ci.", 1)
    )


def test_with_other_kinds_off_only_scheduled_runs_have_names(pushed: Any) -> None:
    pushed.PERFITE_GRAPHITE_OTHER_KINDS = "off"
    assert graphite.base_path("shop", "eu-west", "chromium") == (
        "perfite.shop.eu-west.chromium.native"
    )
    for kind in (Run.KIND_CI, Run.KIND_MANUAL, Run.KIND_IMPORTED):
        assert graphite.base_path("shop", "eu-west", "chromium", kind=kind) is None


@pytest.mark.django_db
def test_a_scheduled_run_fills_the_monitoring_series(
    pushed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        _, stamp = stored(Run.KIND_SCHEDULED)
    assert outbox() == {
        ("perfite.shop.eu-west.chromium.native.ttfb", 12.5, stamp),
        ("perfite.shop.eu-west.chromium.native.requests", 4.0, stamp),
    }
    assert len(callbacks) == 2  # the Graphite push and alert evaluation


@pytest.mark.django_db
def test_a_firefox_run_fills_the_firefox_series_whatever_its_document_says(pushed: Any) -> None:
    _, stamp = stored(Run.KIND_SCHEDULED, browser="firefox", named="chromium")
    assert outbox() == {
        ("perfite.shop.eu-west.firefox.native.ttfb", 12.5, stamp),
        ("perfite.shop.eu-west.firefox.native.requests", 4.0, stamp),
    }


@pytest.mark.django_db
def test_an_imported_run_is_named_by_the_tool_its_document_names(pushed: Any) -> None:
    _, stamp = stored(Run.KIND_IMPORTED, browser="", named="Firefox 128.0")
    assert outbox() == {
        ("perfite.imported.shop.eu-west.Firefox_128_0.native.ttfb", 12.5, stamp),
        ("perfite.imported.shop.eu-west.Firefox_128_0.native.requests", 4.0, stamp),
    }


@pytest.mark.django_db
def test_a_run_under_a_profile_fills_that_profiles_series_only(pushed: Any) -> None:
    _, stamp = stored(Run.KIND_SCHEDULED, profile="3g-fast")
    assert outbox() == {
        ("perfite.shop.eu-west.chromium.3g-fast.ttfb", 12.5, stamp),
        ("perfite.shop.eu-west.chromium.3g-fast.requests", 4.0, stamp),
    }


@pytest.mark.django_db
def test_a_ci_run_goes_under_the_ci_root_and_never_into_the_monitoring_series(
    pushed: Any,
) -> None:
    _, stamp = stored(Run.KIND_CI)
    assert outbox() == {
        ("perfite.ci.shop.eu-west.chromium.native.ttfb", 12.5, stamp),
        ("perfite.ci.shop.eu-west.chromium.native.requests", 4.0, stamp),
    }
    assert not GraphitePoint.objects.filter(path__startswith="perfite.shop.").exists()


@pytest.mark.django_db
def test_with_other_kinds_off_a_ci_run_queues_no_point_and_no_push(
    pushed: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pushed.PERFITE_GRAPHITE_OTHER_KINDS = "off"
    with django_capture_on_commit_callbacks() as callbacks:
        stored(Run.KIND_CI)
        stored(Run.KIND_MANUAL)
    assert outbox() == set()
    assert len(callbacks) == 2  # alert evaluation of each run, no Graphite push


def test_the_grafana_scenario_list_leaves_out_the_kind_roots_and_release_events() -> None:
    """``perfite.*`` lists the kind roots beside the scenarios; the dashboard's scenario
    variable filters them out with its regex (a JavaScript one: lookaheads are the same)."""
    variables = json.loads(DASHBOARD.read_text())["templating"]["list"]
    (scenario,) = [v for v in variables if v["name"] == "scenario"]
    pattern = re.compile(scenario["regex"].strip("/"))
    others = [kind for kind, _ in Run.KINDS if kind != Run.KIND_SCHEDULED]
    assert [node for node in [*others, "events"] if pattern.search(node)] == []
    listed = ["shop", "checkout", "ci-smoke", "manual_login", "eventsx"]
    assert [node for node in listed if pattern.search(node)] == listed


# A run's named metrics and CPU counters, and a measured step's own (docs/result-document.md).
NAMED = {
    "user.chat_ready": 412.3,
    "user.chat.init": 90.5,
    "request.create_chat.duration_ms": 215.0,
    "request.create_chat.count": 2,
    "custom.cart_items": -3,
    "ws.chat.reply_ms": 101.5,
    "backend.api.p95": 180.2,
    "cpu.js_heap_used_bytes": 1843200,
    "cpu.script_ms": 35.25,
}
STEP_OWN = {
    "user.results_shown": 610.0,
    "request.search.ttfb_ms": 80.0,
    "cpu.script_ms": 12.5,
    "custom.results": 20,
}


@pytest.mark.django_db
def test_named_metrics_and_a_steps_own_go_under_their_names(pushed: Any) -> None:
    location = Location.objects.create(name="eu-west")
    scenario = Scenario.objects.create(slug="chat", name="Chat", url="http://chat.localhost/")
    run = Run.objects.create(scenario=scenario, location=location)
    started = timezone.now().replace(microsecond=0)
    result = {
        "status": "succeeded",
        "browser": "chromium",
        "started_at": started.isoformat(),
        "metrics": {"ttfb": 12.5, **NAMED},
        "steps": [
            {"name": "search box", "started_ms": 500.0, "duration_ms": 230.5, "metrics": STEP_OWN},
            {"name": "quiet", "started_ms": 800.0, "duration_ms": 10.0},
        ],
    }
    assert store_result(run.pk, result, None)
    base, stamp = "perfite.chat.eu-west.chromium.native", int(started.timestamp())
    assert outbox() == {
        (f"{base}.ttfb", 12.5, stamp),
        (f"{base}.user.chat_ready", 412.3, stamp),
        (f"{base}.user.chat.init", 90.5, stamp),
        (f"{base}.request.create_chat.duration_ms", 215.0, stamp),
        (f"{base}.request.create_chat.count", 2.0, stamp),
        (f"{base}.custom.cart_items", -3.0, stamp),
        (f"{base}.ws.chat.reply_ms", 101.5, stamp),
        (f"{base}.backend.api.p95", 180.2, stamp),
        (f"{base}.cpu.js_heap_used_bytes", 1843200.0, stamp),
        (f"{base}.cpu.script_ms", 35.25, stamp),
        (f"{base}.step.search_box.duration_ms", 230.5, stamp),
        (f"{base}.step.search_box.user.results_shown", 610.0, stamp),
        (f"{base}.step.search_box.request.search.ttfb_ms", 80.0, stamp),
        (f"{base}.step.search_box.cpu.script_ms", 12.5, stamp),
        (f"{base}.step.search_box.custom.results", 20.0, stamp),
        (f"{base}.step.quiet.duration_ms", 10.0, stamp),
    }
    assert GraphitePoint.objects.count() == 16


def test_only_named_members_and_a_steps_cpu_metrics_are_taken_from_metrics() -> None:
    """Keys of ``metrics`` that are no pushed named metric (a page metric, a split an import
    gave, a step's backend series, a name the registry cannot place) and values that are not
    numbers are left out; a stored name with unsafe characters is cleaned part by part."""
    run_level = {
        "lcp": 1.0,
        "party.third.transfer_bytes": 5.0,
        "request.x": 1.0,
        "user.old Name": 7.0,
        "user.flag": True,
        "custom.n": None,
        "cpu.script_ms": 3.0,
    }
    named = list(graphite.named_paths("b", run_level, NAMED_FAMILIES))
    assert named == [("b.user.old_Name", 7.0)]
    step_level = {"backend.api": 1.0, "cpu.dom_nodes": 40, "ws.s.sent": 2}
    own = list(graphite.named_paths("s", step_level, STEP_SCOPED, cpu=True))
    assert own == [("s.cpu.dom_nodes", 40.0), ("s.ws.s.sent", 2.0)]


def test_a_run_with_actors_adds_each_actors_page_metrics_and_keeps_every_other_name() -> None:
    from tests.core.result.test_actors import document

    doc = document()
    paths = dict(graphite.metric_paths("b", doc))
    base_names = {p for p in paths if not p.startswith("b.actor.")}
    # The names a one-page run has: page metrics, splits and the step, at the same places.
    assert {"b.lcp", "b.requests", "b.party.third.transfer_bytes", "b.step.sent.duration_ms"} <= (
        base_names
    )
    assert paths["b.lcp"] == 220.0 and paths["b.requests"] == 5.0
    assert paths["b.actor.operator.lcp"] == 220.0
    assert paths["b.actor.visitor.lcp"] == 95.0
    assert paths["b.actor.visitor.transfer_bytes"] == 1500.0
    # Pushed like page metrics: those the registry pushes only (third_party_bytes is a column,
    # not a Graphite metric, of the page and so of an actor).
    assert "b.third_party_bytes" not in paths and "b.actor.operator.third_party_bytes" not in paths
    pushed_page = set(graphite.PAGE_METRICS)
    assert {p.split(".", 3)[3] for p in paths if p.startswith("b.actor.")} <= pushed_page
    single = dict(
        graphite.metric_paths("b", {**doc, "actors": [], "metrics": doc["actors"][0]["metrics"]})
    )
    assert not [p for p in single if ".actor." in p]
