"""/api/runs/ filters: a comparison id that is not a number is a 400, never a server error;
a profile's or a browser's runs apart from the others'."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from scenarios.models import Run, Scenario
from tests.roles import role

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer_api(db: None) -> APIClient:
    user = User.objects.create_user("viewer1")
    user.groups.add(role("viewer"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.mark.parametrize("path", ["/api/runs/", "/api/runs/csv/"])
@pytest.mark.parametrize("value", ["abc", "1 OR 1=1", "-1", "1e3", "99999999999999999999"])
def test_a_comparison_filter_that_is_not_an_id_is_a_400(
    viewer_api: APIClient, path: str, value: str
) -> None:
    answer = viewer_api.get(path, {"comparison": value})
    assert (answer.status_code, answer.json()) == (
        400,
        {"comparison": "a comparison id: a whole number"},
    )


def test_a_comparison_id_filters_runs(viewer_api: APIClient) -> None:
    answer = viewer_api.get("/api/runs/", {"comparison": "42"})
    assert (answer.status_code, answer.json()["count"]) == (200, 0)


def test_runs_filter_by_profile_and_say_theirs(viewer_api: APIClient) -> None:
    scenario = Scenario.objects.create(name="Shop", slug="shop", url="http://www.example.com/")
    native = Run.objects.create(scenario=scenario)
    on_3g = Run.objects.create(scenario=scenario, profile="3g")

    listed = viewer_api.get("/api/runs/", {"profile": "3g"}).json()
    every = viewer_api.get("/api/runs/", {"scenario": "shop"}).json()
    rows = list(csv.DictReader(io.StringIO(viewer_api.get("/api/runs/csv/").content.decode())))

    assert [(r["id"], r["profile"]) for r in listed["results"]] == [(on_3g.pk, "3g")]
    assert sorted((r["id"], r["profile"]) for r in every["results"]) == [
        (native.pk, "native"),
        (on_3g.pk, "3g"),
    ]
    assert sorted((int(r["id"]), r["profile"]) for r in rows) == [
        (native.pk, "native"),
        (on_3g.pk, "3g"),
    ]
    assert viewer_api.get("/api/scenarios/shop/").json()["profile"] == "native"


def test_runs_filter_by_browser_and_scenarios_say_theirs(viewer_api: APIClient) -> None:
    scenario = Scenario.objects.create(
        name="Shop", slug="shop", url="http://www.example.com/", browser="firefox"
    )
    chromium = Run.objects.create(scenario=scenario)
    firefox = Run.objects.create(scenario=scenario, browser="firefox")

    listed = viewer_api.get("/api/runs/", {"browser": "firefox"}).json()
    rows = list(csv.DictReader(io.StringIO(viewer_api.get("/api/runs/csv/").content.decode())))

    assert [(r["id"], r["browser"]) for r in listed["results"]] == [(firefox.pk, "firefox")]
    assert sorted((int(r["id"]), r["browser"]) for r in rows) == [
        (chromium.pk, "chromium"),
        (firefox.pk, "firefox"),
    ]
    assert viewer_api.get("/api/scenarios/shop/").json()["browser"] == "firefox"
