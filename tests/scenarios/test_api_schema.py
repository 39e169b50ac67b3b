"""The OpenAPI schema states what the API answers: its 4xx, the fields a body needs, URLs as
stored text, and pages that refuse a limit or offset that is not a whole number."""

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.roles import role


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(document)))


def test_every_operation_declares_the_errors_it_can_answer(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"401", "403"} <= declared, (method, path)
            if "{" in path:
                assert "404" in declared, (method, path)
            if operation.get("parameters") or "requestBody" in operation:
                assert "400" in declared, (method, path)
    assert "/api/schema/" not in schema["paths"]


def test_a_body_that_needs_one_of_several_fields_says_so(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    assert components["Import"]["anyOf"] == [
        {"required": ["har"], "properties": {"har": {"minLength": 1}}},
        {"required": ["har_file"], "properties": {"har_file": {"minLength": 1}}},
        {"required": ["metrics"], "properties": {"metrics": {"minLength": 1}}},
    ]
    assert components["ComparisonCreate"]["anyOf"] == [
        {"required": ["base_url"], "properties": {"base_url": {"minLength": 1}}},
        {"required": ["base_branch"], "properties": {"base_branch": {"minLength": 1}}},
    ]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Run", "target_url"),
        ("Run", "build_url"),
        ("Comparison", "branch_url"),
        ("Comparison", "base_url"),
        ("Comparison", "build_url"),
        ("Scenario", "url"),
    ],
)
def test_stored_urls_are_text_that_may_be_empty(
    schema: dict[str, Any], component: str, field: str
) -> None:
    declared = schema["components"]["schemas"][component]["properties"][field]
    assert (declared["type"], "format" in declared) == ("string", False)


def test_pages_declare_their_least_limit_and_offset(schema: dict[str, Any]) -> None:
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/runs/"]["get"]["parameters"]
    }
    assert (parameters["limit"], parameters["offset"]) == (
        {"type": "integer", "minimum": 1},
        {"type": "integer", "minimum": 0},
    )
    assert parameters["comparison"] == {"type": "integer"}


@pytest.fixture
def viewer_api(db: None) -> APIClient:
    user = User.objects.create_user("viewer1")
    user.groups.add(role("viewer"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        ({"limit": "-1"}, {"limit": "a whole number from 1"}),
        ({"limit": "0"}, {"limit": "a whole number from 1"}),
        ({"limit": "null"}, {"limit": "a whole number from 1"}),
        ({"offset": "-5"}, {"offset": "a whole number from 0"}),
        ({"limit": "10", "offset": "-5.96e-08"}, {"offset": "a whole number from 0"}),
    ],
)
def test_a_limit_or_offset_that_is_not_a_whole_number_in_range_is_a_400(
    viewer_api: APIClient, query: dict[str, str], answer: dict[str, str]
) -> None:
    response = viewer_api.get("/api/runs/", query)
    assert (response.status_code, response.json()) == (400, answer)


def test_a_limit_beyond_the_largest_page_gives_the_largest_page(viewer_api: APIClient) -> None:
    response = viewer_api.get("/api/comparisons/", {"limit": "100000", "offset": "0"})
    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("path", ["/api/runs/abc/", "/api/no-such-thing/"])
def test_an_api_url_that_matches_nothing_is_a_json_404(viewer_api: APIClient, path: str) -> None:
    response = viewer_api.get(path)
    assert (response.status_code, response["Content-Type"], response.json()) == (
        404,
        "application/json",
        {"detail": "Not found."},
    )
