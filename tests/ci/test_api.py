"""The REST API for CI: permissions, comparisons, runs (detail, CSV, HAR), releases, imports."""

import csv
import gzip
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from scenarios.models import Comparison, Location, Release, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import home_result

pytestmark = pytest.mark.django_db

BASE_URL = "http://www.example.localhost/?fcp=100"
SLOW_URL = "http://www.example.localhost/?fcp=420&ad=420"


@pytest.fixture
def scenario(db: None) -> Scenario:
    s = Scenario.objects.create(name="Demo", slug="demo", url=BASE_URL, paused=True)
    s.locations.add(Location.objects.create(name="local"))
    return s


def har(page: str = "http://www.example.localhost/") -> dict[str, Any]:
    def entry(url: str, kind: str, mime: str, start: str, wait: float) -> dict[str, Any]:
        return {
            "startedDateTime": start,
            "_resourceType": kind,
            "request": {
                "method": "GET",
                "url": url,
                "headers": [{"name": "Cookie", "value": "session=secret"}],
            },
            "response": {
                "status": 200,
                "content": {"size": 5000, "mimeType": mime},
                "_transferSize": 5200,
                "headers": [],
            },
            "timings": {
                "blocked": 0,
                "dns": 0,
                "connect": 0,
                "ssl": -1,
                "send": 0.5,
                "wait": wait,
                "receive": 4.5,
            },
        }

    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "lab", "version": "1"},
            "pages": [
                {
                    "startedDateTime": "2026-11-23T10:00:00.000Z",
                    "id": "p1",
                    "title": page,
                    "pageTimings": {
                        "onContentLoad": 210.5,
                        "onLoad": 380.0,
                        "_largestContentfulPaint": 333.0,
                    },
                }
            ],
            "entries": [
                entry(page, "document", "text/html", "2026-11-23T10:00:00.000Z", 95.0),
                entry(
                    "http://ads.other.localhost/ad.js",
                    "script",
                    "text/javascript",
                    "2026-11-23T10:00:00.120Z",
                    40.0,
                ),
            ],
        }
    }


def test_anonymous_requests_are_refused(scenario: Scenario) -> None:
    assert APIClient().get("/api/scenarios/").status_code == 401


def test_viewers_read_but_cannot_start_comparisons(
    scenario: Scenario, viewer_client: APIClient
) -> None:
    listed = viewer_client.get("/api/scenarios/")
    assert listed.status_code == 200
    assert [s["slug"] for s in listed.json()] == ["demo"]
    refused = viewer_client.post(
        "/api/comparisons/", {"scenario": "demo", "base_url": BASE_URL}, format="json"
    )
    assert refused.status_code == 403
    assert Comparison.objects.count() == 0


def test_staff_may_write_without_the_editor_group(scenario: Scenario, make_user: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {make_user('boss', group=None, staff=True)[1]}")
    created = client.post("/api/releases/", {"name": "v1"}, format="json")
    assert created.status_code == 201


def test_a_comparison_without_any_base_is_refused_with_the_reason(
    scenario: Scenario, editor_client: APIClient
) -> None:
    answer = editor_client.post(
        "/api/comparisons/", {"scenario": "demo", "url": SLOW_URL}, format="json"
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "non_field_errors": [
            "give base_url (paired runs) or base_branch (compare with stored runs)"
        ]
    }


def test_a_comparison_is_started_and_followed_to_its_report(
    scenario: Scenario,
    editor_client: APIClient,
    synthetic_agent: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = editor_client.post(
            "/api/comparisons/",
            {
                "scenario": "demo",
                "runs": 5,
                "url": SLOW_URL,
                "base_url": BASE_URL,
                "branch": "feature",
                "commit": "abc",
                "label": "PR 7",
            },
            format="json",
        )
    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["mode"], body["progress"]["planned"]) == ("running", "paired", 12)
    assert [r["role"] for r in body["runs"]] == ["warmup"]
    for _ in range(14):
        with django_capture_on_commit_callbacks(execute=True):
            body = editor_client.get(f"/api/comparisons/{body['id']}/").json()
    assert body["status"] == "done"
    assert body["progress"] == {"planned": 12, "finished": 12, "succeeded": 12, "failed": 0}
    assert body["verdict"] == "regression"
    assert body["report"]["gate"] == "fail"
    branch_runs = Run.objects.filter(comparison_id=body["id"], role="branch")
    assert {(r.branch, r.commit, r.label) for r in branch_runs} == {("feature", "abc", "PR 7")}


def test_runs_are_listed_filtered_and_exported_as_csv(
    scenario: Scenario, editor_client: APIClient
) -> None:
    for commit, fcp in (("aaa", 100.0), ("bbb", 200.0)):
        run = Run.objects.create(scenario=scenario, kind=Run.KIND_CI, branch="main", commit=commit)
        store_result(run.pk, home_result(fcp), har())
    listed = editor_client.get("/api/runs/", {"commit": "bbb"}).json()
    assert listed["count"] == 1
    assert listed["results"][0]["metrics"]["fcp"] == 200.0
    assert "result" not in listed["results"][0]
    detail = editor_client.get(f"/api/runs/{listed['results'][0]['id']}/").json()
    assert detail["result"]["metrics"]["lcp"] == 200.0
    exported = editor_client.get("/api/runs/csv/", {"scenario": "demo"})
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["commit"], r["fcp"]) for r in rows] == [("bbb", "200.0"), ("aaa", "100.0")]


def test_a_runs_har_is_served_gzipped_without_cookies(
    scenario: Scenario, editor_client: APIClient
) -> None:
    run = Run.objects.create(scenario=scenario, kind=Run.KIND_CI)
    store_result(run.pk, home_result(100.0), har())
    answer = editor_client.get(f"/api/runs/{run.pk}/har/")
    assert answer.status_code == 200
    stored = json.loads(gzip.decompress(b"".join(answer.streaming_content)))
    headers = stored["log"]["entries"][0]["request"]["headers"]
    assert headers == [{"name": "Cookie", "value": "[removed by perfite]"}]
    missing = Run.objects.create(scenario=scenario)
    assert editor_client.get(f"/api/runs/{missing.pk}/har/").status_code == 404


def test_a_release_is_recorded_and_reported_before_and_after(
    scenario: Scenario, editor_client: APIClient
) -> None:
    now = timezone.now()
    for minute, fcp in enumerate((100, 104, 98, 102, 101, 40, 38, 41, 37, 39)):
        run = Run.objects.create(scenario=scenario, location=scenario.locations.get())
        store_result(run.pk, home_result(float(fcp)), None)
        Run.objects.filter(pk=run.pk).update(created_at=now - timedelta(minutes=20 - minute))
    created = editor_client.post(
        "/api/releases/",
        {
            "name": "v2.0",
            "scenarios": ["demo"],
            "note": "faster ads",
            "link": "https://x.test/r",
            "time": (now - timedelta(minutes=15, seconds=30)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201
    release = Release.objects.get()
    assert [s.slug for s in release.scenarios.all()] == ["demo"]
    report = editor_client.get(f"/api/releases/{release.pk}/report/").json()
    assert report["verdict"] == "improvement"
    assert report["scenarios"][0]["verdict"] == "improvement"


def test_a_har_from_elsewhere_becomes_an_imported_run(
    scenario: Scenario, editor_client: APIClient
) -> None:
    answer = editor_client.post(
        "/api/imports/",
        {"scenario": "demo", "har": har(), "branch": "main", "commit": "c1"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    run = Run.objects.get(pk=answer.json()["id"])
    assert (run.kind, run.status, run.location, run.commit) == ("imported", "succeeded", None, "c1")
    assert (run.dom_content_loaded, run.load, run.lcp, run.requests) == (210.5, 380.0, 333.0, 2)
    assert run.ttfb == 95.5
    assert (run.result or {})["hosts"]["ads.other.localhost"]["party"] == "third"
    assert run.hosts.count() == 2
    assert run.har_size > 0


def test_a_har_holding_several_pages_is_refused_naming_them(
    scenario: Scenario, editor_client: APIClient
) -> None:
    first, second = har("http://www.example.localhost/"), har("http://www.example.localhost/b")
    second["log"]["pages"][0]["id"] = "p2"
    for entry in second["log"]["entries"]:
        entry["pageref"] = "p2"
    both = {
        "log": {
            **first["log"],
            "pages": first["log"]["pages"] + second["log"]["pages"],
            "entries": first["log"]["entries"] + second["log"]["entries"],
        }
    }
    answer = editor_client.post("/api/imports/", {"scenario": "demo", "har": both}, format="json")
    assert (answer.status_code, answer.json()) == (
        400,
        [
            "this HAR holds 2 pages (p1, p2); an imported run is one page load: "
            "import one HAR per page"
        ],
    )
    assert Run.objects.count() == 0


def test_entries_of_the_one_listed_page_are_imported(
    scenario: Scenario, editor_client: APIClient
) -> None:
    one = har()
    for entry in one["log"]["entries"]:
        entry["pageref"] = "p1"
    answer = editor_client.post("/api/imports/", {"scenario": "demo", "har": one}, format="json")
    assert answer.status_code == 201, answer.json()
    assert Run.objects.get(pk=answer.json()["id"]).requests == 2


def test_named_metrics_from_another_tool_are_stored_as_a_run(
    scenario: Scenario, editor_client: APIClient
) -> None:
    upload = SimpleUploadedFile("m.json", b"{}")
    answer = editor_client.post(
        "/api/imports/",
        {
            "scenario": "demo",
            "tool": "sitespeed.io",
            "har_file": upload,
            "metrics": json.dumps({"lcp": 1234.5, "party.third.transfer_bytes": 50000}),
        },
        format="multipart",
    )
    assert answer.status_code == 400  # an empty HAR file is not a HAR
    answer = editor_client.post(
        "/api/imports/",
        {
            "scenario": "demo",
            "tool": "sitespeed.io",
            "metrics": {"lcp": 1234.5, "party.third.transfer_bytes": 50000},
        },
        format="json",
    )
    assert answer.status_code == 201
    run = Run.objects.get(pk=answer.json()["id"])
    assert (run.lcp, run.agent_name) == (1234.5, "sitespeed.io")
    assert (run.result or {})["metrics"]["party.third.transfer_bytes"] == 50000


@pytest.mark.parametrize("bad", [{"lcp": "slow"}, {}, [1, 2]])
def test_malformed_metrics_are_refused_with_the_reason(
    scenario: Scenario, editor_client: APIClient, bad: Any
) -> None:
    answer = editor_client.post(
        "/api/imports/", {"scenario": "demo", "metrics": bad}, format="json"
    )
    assert answer.status_code == 400
    assert Run.objects.count() == 0


def test_the_openapi_schema_lists_the_ci_endpoints(editor_client: APIClient) -> None:
    schema = editor_client.get("/api/schema/", {"format": "json"}).json()
    for route in (
        "/api/comparisons/",
        "/api/comparisons/{id}/",
        "/api/runs/{id}/har/",
        "/api/runs/csv/",
        "/api/releases/{id}/report/",
        "/api/imports/",
    ):
        assert route in schema["paths"], route
    assert editor_client.get("/api/docs/").status_code == 200


def test_an_editor_cancels_a_comparison_and_its_queued_runs_are_withdrawn(
    scenario: Scenario, editor_client: APIClient, viewer_client: APIClient
) -> None:
    from unittest import mock

    with mock.patch("scenarios.runs.dispatch.app.send_task"):
        created = editor_client.post(
            "/api/comparisons/", {"scenario": "demo", "base_url": BASE_URL}, format="json"
        ).json()
    comparison = Comparison.objects.get(pk=created["id"])
    (queued,) = comparison.runs.all()
    assert queued.status == Run.QUEUED
    path = f"/api/comparisons/{comparison.pk}/cancel/"
    assert viewer_client.post(path).status_code == 403
    answer = editor_client.post(path)
    assert answer.status_code == 200
    assert (answer.json()["status"], answer.json()["error"]) == (
        "cancelled",
        "cancelled by editor1",
    )
    assert not Run.objects.filter(pk=queued.pk).exists()
    again = editor_client.post(path)
    assert (again.status_code, again.json()["error"]) == (200, "cancelled by editor1")


def test_a_run_finishing_after_its_comparison_was_cancelled_moves_nothing_on(
    scenario: Scenario, editor_client: APIClient
) -> None:
    from unittest import mock

    from scenarios.ci import workflow

    with mock.patch("scenarios.runs.dispatch.app.send_task"):
        created = editor_client.post(
            "/api/comparisons/", {"scenario": "demo", "base_url": BASE_URL}, format="json"
        ).json()
        (running,) = Run.objects.filter(comparison_id=created["id"])
        Run.objects.filter(pk=running.pk).update(status=Run.RUNNING)
        workflow.cancel(created["id"], "stop")
        assert store_result(running.pk, home_result(100.0), None)
        workflow.run_finished(running.pk)
    assert Run.objects.filter(comparison_id=created["id"]).count() == 1
    assert Comparison.objects.get(pk=created["id"]).status == Comparison.CANCELLED
