"""The OpenAPI schema describes a run's result document: every page metric by name, the named
metrics' families as the documented other keys of ``metrics``, a step's own, user timings,
metric errors and backend series; a stored document answers as that schema says."""

import json
from typing import Any

import jsonschema
import pytest
from django.contrib.auth.models import User
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.metrics import PAGE
from scenarios.models import Location, Run, Scenario
from scenarios.runs.store import store_result
from tests.roles import role

# A document with every key docs/result-document.md gives for named metrics.
DOCUMENT = {
    "schema": 1,
    "scenario": "chat",
    "status": "succeeded",
    "started_at": "2026-11-23T10:00:00+00:00",
    "metrics": {
        "lcp": 95.0,
        "fcp": None,
        "user.chat_ready": 412.3,
        "request.create_chat.duration_ms": 215.0,
        "custom.cart_items": -3,
        "cpu.js_heap_used_bytes": 1843200,
        "ws.chat.reply_ms": 101.5,
        "backend.api_p95": 180.2,
    },
    "steps": [
        {
            "name": "search",
            "started_ms": 500.0,
            "duration_ms": 230.5,
            "metrics": {"user.results_shown": 610.0, "cpu.script_ms": 35.2},
        }
    ],
    "user_timings": [
        {
            "name": "chat ready",
            "metric": "user.chat_ready",
            "type": "mark",
            "page": 0,
            "started_ms": 412.3,
            "duration_ms": 0.0,
        }
    ],
    "metric_errors": {"custom.other": "TypeError: x is undefined"},
    "backend": {
        "api_p95": {
            "target": "stats.api.p95",
            "from": 1764480000,
            "until": 1764480012,
            "points": [[1764480000, 180.2], [1764480010, None]],
            "error": None,
        }
    },
    "requests": [],
}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(document)))


def result_schema(schema: dict[str, Any]) -> dict[str, Any]:
    return dict(schema["components"]["schemas"]["RunDetail"]["properties"]["result"])


def test_every_page_metric_is_a_property_and_named_families_are_the_other_keys(
    schema: dict[str, Any],
) -> None:
    metrics = result_schema(schema)["properties"]["metrics"]
    assert list(metrics["properties"]) == [m.name for m in PAGE]
    assert metrics["properties"]["cpu.script_ms"] == {
        "type": "number",
        "nullable": True,
        "description": "Script time (ms): Time the main thread spent running script",
    }
    named = metrics["additionalProperties"]["description"]
    for name in (
        "`user.<name>` — User timing (ms)",
        "`request.<name>.duration_ms` — Duration (ms)",
        "`request.<name>.failed` — Failed (count)",
        "`custom.<name>` — JS value (number)",
        "`ws.<name>.reply_ms` — Reply (ms)",
        "`backend.<name>` — Backend (number)",
    ):
        assert name in named, name
    assert "cpu." not in named  # page metrics: properties of their own
    own = result_schema(schema)["properties"]["steps"]["items"]["properties"]["metrics"]
    assert "`cpu.script_ms` — Script time (ms)" in own["additionalProperties"]["description"]
    assert "backend" not in own["additionalProperties"]["description"]


def test_the_new_keys_of_the_document_are_listed(schema: dict[str, Any]) -> None:
    listed = result_schema(schema)["properties"]
    assert {"user_timings", "metric_errors", "backend", "steps"} <= set(listed)
    assert listed["metric_errors"]["additionalProperties"] == {"type": "string"}
    assert list(listed["backend"]["additionalProperties"]["properties"]) == [
        "target",
        "from",
        "until",
        "points",
        "error",
    ]


def as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable`` as JSON Schema's null type, everywhere in ``node``."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") and "type" in node:
        out["type"] = [node["type"], "null"]
    return out


@pytest.mark.django_db
def test_a_stored_document_answers_as_the_schema_says(schema: dict[str, Any]) -> None:
    scenario = Scenario.objects.create(name="Chat", slug="chat", url="http://chat.localhost/")
    run = Run.objects.create(scenario=scenario, location=Location.objects.create(name="local"))
    assert store_result(run.pk, json.loads(json.dumps(DOCUMENT)), None)
    user = User.objects.create_user("viewer1")
    user.groups.add(role("viewer"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    answer = client.get(f"/api/runs/{run.pk}/").json()
    assert answer["result"]["metrics"]["request.create_chat.duration_ms"] == 215.0
    root = {
        "$ref": "#/components/schemas/RunDetail",
        "components": as_json_schema(schema["components"]),
    }
    jsonschema.Draft7Validator(root).validate(answer)
    answer["result"]["steps"][0]["metrics"]["cpu.script_ms"] = "fast"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(root).validate(answer)
