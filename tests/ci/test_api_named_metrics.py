"""Named metrics through the CI API: gated by name, refused when no metric has that name, and a
named request that got slower is a regression attributed to the requests it names."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from core.script import parse_script
from scenarios.models import Comparison, Location, Scenario

pytestmark = pytest.mark.django_db

SCRIPT = "- request_metric: {name: create_chat, match: POST */api/chats}\n- navigate: /\n"
BASE_URL = "http://www.example.localhost/?fcp=100&chat=100"
SLOW_URL = "http://www.example.localhost/?fcp=100&chat=300"
METRIC = "request.create_chat.duration_ms"


@pytest.fixture
def scenario(db: None) -> Scenario:
    s = Scenario.objects.create(
        name="Chat",
        slug="chat",
        url="http://www.example.localhost/",
        script_format=Scenario.FORMAT_YAML,
        script=SCRIPT,
        steps=parse_script(SCRIPT, Scenario.FORMAT_YAML),
        paused=True,
    )
    s.locations.add(Location.objects.create(name="local"))
    return s


def test_a_named_request_200_ms_slower_fails_the_gate_with_its_attribution(
    scenario: Scenario,
    editor_client: APIClient,
    synthetic_agent: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    body = {"scenario": "chat", "url": SLOW_URL, "base_url": BASE_URL, "metrics": [METRIC]}
    with django_capture_on_commit_callbacks(execute=True):
        created = editor_client.post("/api/comparisons/", body, format="json")
    assert created.status_code == 201, created.json()
    answer = created.json()
    for _ in range(14):
        with django_capture_on_commit_callbacks(execute=True):
            answer = editor_client.get(f"/api/comparisons/{answer['id']}/").json()
    assert (answer["status"], answer["verdict"]) == ("done", "regression")
    report = answer["report"]
    assert (report["gate"], report["options"]["metrics"]) == ("fail", [METRIC])
    row = next(m for m in report["metrics"] if m["metric"] == METRIC)
    assert (row["verdict"], row["base_median"], row["branch_median"]) == (
        "regression",
        101.0,
        301.0,
    )
    (attributed,) = report["attribution"]
    assert attributed["request"] == {
        "name": "create_chat",
        "method": "POST",
        "pattern": "*/api/chats",
    }
    assert attributed["message"] == (
        "Request create_chat Duration +200 ms — api.example.localhost: "
        "create_chat POST /api/chats +200 ms"
    )


def test_a_gated_metric_no_registry_entry_has_is_refused_naming_it(
    scenario: Scenario, editor_client: APIClient
) -> None:
    body = {
        "scenario": "chat",
        "base_url": BASE_URL,
        "metrics": ["lcp", "request.create_chat.duration", "user.Ready", "user.checkout_ready"],
    }
    answer = editor_client.post("/api/comparisons/", body, format="json")
    assert answer.status_code == 400
    assert answer.json() == {
        "metrics": [
            "request.create_chat.duration: 'request.create_chat.duration' is not a metric "
            "Perfite knows",
            "user.Ready: invalid metric name 'Ready': use lower-case letters, digits, '_', '-' "
            "and '.' between them",
        ]
    }
    assert Comparison.objects.count() == 0
