"""perfite.middleware.RefuseNulCharacters: a NUL in the path or a query parameter is a 400
naming it, on the API and on pages, before any lookup can fail on it."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scenarios.models import Location, Scenario
from tests.roles import role

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_api(db: None) -> APIClient:
    user = User.objects.create_user("editor1")
    user.groups.add(role("editor"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def scenario(db: None) -> Scenario:
    scenario = Scenario.objects.create(name="Home", slug="home", url="http://a.test/", paused=True)
    scenario.locations.add(Location.objects.create(name="local"))
    return scenario


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/runs/?location=%00", "location"),
        ("/api/runs/csv/?kind=a%00b", "kind"),
        ("/api/incidents/?scenario=%00", "scenario"),
        ("/api/scenarios/home/correlation/?location=%00", "location"),
        ("/api/comparisons/?%00=1", "\\x00"),
    ],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(
    editor_api: APIClient, scenario: Scenario, path: str, name: str
) -> None:
    answer = editor_api.get(path)
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": f"query parameter {name!r} holds a NUL character"},
    )


def test_a_nul_in_the_path_is_a_400(editor_api: APIClient) -> None:
    answer = editor_api.get("/api/scenarios/%00/")
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "the path holds a NUL character"},
    )


def test_a_page_answers_a_nul_in_plain_text(db: None) -> None:
    answer = Client().get("/accounts/login/?next=%00")
    assert (answer.status_code, answer["Content-Type"]) == (400, "text/plain; charset=utf-8")
    assert answer.content.decode() == "query parameter 'next' holds a NUL character"


def test_parameters_without_nul_pass_through(editor_api: APIClient, scenario: Any) -> None:
    assert editor_api.get("/api/runs/?location=local&scenario=home").status_code == 200
