"""scenarios.api.parsers: a NUL in a form field is a 400 naming it, read only once the
caller is known (an anonymous request is a 401 whatever its body)."""

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scenarios.models import Scenario
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
    return Scenario.objects.create(name="Home", slug="home", url="http://a.test/", paused=True)


def test_a_nul_in_a_form_field_is_a_400_naming_it(
    editor_api: APIClient, scenario: Scenario
) -> None:
    answer = editor_api.post(
        "/api/imports/",
        "scenario=%00x&metrics=%7B%22load%22%3A1%7D",
        content_type="application/x-www-form-urlencoded",
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "form field 'scenario' holds a NUL character"},
    )


def test_a_nul_in_a_multipart_field_is_a_400_too(editor_api: APIClient, scenario: Scenario) -> None:
    answer = editor_api.post(
        "/api/imports/", {"scenario": "home", "tool": "a\x00b"}, format="multipart"
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "form field 'tool' holds a NUL character"},
    )


def test_an_anonymous_form_is_refused_for_who_sends_it_not_for_its_nul(db: None) -> None:
    answer = APIClient().post(
        "/api/imports/", "scenario=%00x", content_type="application/x-www-form-urlencoded"
    )
    assert (answer.status_code, answer.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
