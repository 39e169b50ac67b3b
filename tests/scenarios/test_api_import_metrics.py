"""/api/imports/ stores named metrics (user timings, named requests, JS values, CPU counters,
WebSockets, backend series) like page metrics, and refuses with a 400 naming the metric, and
storing nothing, what no result document may hold."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scenarios.models import GraphitePoint, Run, Scenario
from tests.roles import role

pytestmark = pytest.mark.django_db

NAMED = {
    "lcp": 1234.5,
    "user.checkout_ready": 412.3,
    "request.create_chat.duration_ms": 215.0,
    "request.create_chat.count": 2,
    "custom.cart_items": -3,
    "cpu.js_heap_used_bytes": 1843200,
    "ws.chat.reply_ms": 101.5,
    "backend.api.p95": 180.2,
    "step.checkout.request.pay.ttfb_ms": 80.0,
}


@pytest.fixture
def editor_client(db: None) -> APIClient:
    user = User.objects.create_user("editor1")
    user.groups.add(role("editor"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def scenario(db: None) -> Scenario:
    return Scenario.objects.create(
        name="Chat", slug="chat", url="http://chat.example.localhost/", paused=True
    )


def post(client: APIClient, metrics: Any) -> Any:
    return client.post("/api/imports/", {"scenario": "chat", "metrics": metrics}, format="json")


def test_named_metrics_are_stored_in_the_result_document(
    scenario: Scenario, editor_client: APIClient, settings: Any
) -> None:
    settings.GRAPHITE_HOST, settings.GRAPHITE_PREFIX = "127.0.0.1", "perfite"
    answer = post(editor_client, NAMED)
    assert answer.status_code == 201, answer.json()
    run = Run.objects.get(pk=answer.json()["id"])
    assert (run.result or {})["metrics"] == {name: float(v) for name, v in NAMED.items()}
    assert run.lcp == 1234.5
    # Imported runs are pushed under <prefix>.imported: the page metric and 7 named ones
    # (the step's own metric is a key of ``metrics`` here, not a step of the run).
    paths = set(GraphitePoint.objects.values_list("path", flat=True))
    assert len(paths) == 8
    assert "perfite.imported.chat.local.imported.native.request.create_chat.duration_ms" in paths


@pytest.mark.parametrize(
    ("metrics", "reason"),
    [
        (
            {"lcp": 1.0, "user.Bad Name": 5.0},
            "metrics.user.Bad Name: invalid metric name 'Bad Name': use lower-case letters, "
            "digits, '_', '-' and '.' between them",
        ),
        (
            {"request.create_chat.duration": 5.0},
            "metrics.request.create_chat.duration: 'request.create_chat.duration' is not a "
            "metric Perfite knows",
        ),
        (
            {"visual_progress": 900.0},
            "metrics.visual_progress: 'visual_progress' is not a metric Perfite knows",
        ),
        ({"user.checkout_ready": "fast"}, "metric 'user.checkout_ready' must be a finite number"),
        ({"custom.cart_items": True}, "metric 'custom.cart_items' must be a finite number"),
        (
            {"cpu.js_heap_used_bytes": -1},
            "metrics.cpu.js_heap_used_bytes must be between 0 and 9223372036854775807, got -1.0",
        ),
    ],
)
def test_what_no_result_document_may_hold_is_refused_naming_it(
    scenario: Scenario, editor_client: APIClient, metrics: dict[str, Any], reason: str
) -> None:
    answer = post(editor_client, metrics)
    assert (answer.status_code, answer.json()) == (400, [reason])
    assert Run.objects.count() == 0


def test_nan_in_a_json_body_is_refused_and_nothing_is_stored(
    scenario: Scenario, editor_client: APIClient
) -> None:
    body = '{"scenario": "chat", "metrics": {"user.checkout_ready": NaN}}'
    answer = editor_client.post("/api/imports/", body, content_type="application/json")
    assert answer.status_code == 400
    assert Run.objects.count() == 0
