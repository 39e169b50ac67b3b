"""Load tests through the REST API: who may start, read and cancel them; refusals with the
reason; and the agents' ingest endpoints with their tokens."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.metrics import metric_problem
from scenarios.models import Agent, LoadShare, LoadTest, Location, Scenario
from tests.roles import role

from .conftest import live_agent

pytestmark = pytest.mark.django_db

BODY = {
    "scenario": "crowded",
    "stages": [1, 4, 8],
    "seconds": 20,
    "metric": "ttfb",
    "statistic": "median",
    "limit": 500,
}


def client_of(name: str, group: str | None) -> APIClient:
    user = User.objects.create_user(name, password="pw-not-used-1")
    if group:
        user.groups.add(role(group))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def agent(lab: Location) -> Agent:
    return live_agent(lab, "lab-1", 8)


def test_an_editor_starts_follows_and_cancels_a_load_test(
    scenario: Scenario, agent: Agent, sent: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    editor = client_of("ed", "editor")
    with django_capture_on_commit_callbacks(execute=True):
        created = editor.post("/api/load-tests/", BODY, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("scenario", "location", "stages", "status", "progress")} == {
        "scenario": "crowded",
        "location": "lab",
        "stages": [1, 4, 8],
        "status": "running",
        "progress": {
            "stage": 1,
            "stages": 3,
            "users": 1,
            "shares": [{"agent": "lab-1", "users": 1, "status": "planned"}],
        },
    }
    assert body["report"]["stages"][0]["users"] == 1 and body["compared"] is None
    assert len(sent) == 1
    read = client_of("vi", "viewer")
    listed = read.get("/api/load-tests/?scenario=crowded").json()
    assert [t["id"] for t in listed["results"]] == [body["id"]]
    assert "report" not in listed["results"][0]
    assert read.get(f"/api/load-tests/{body['id']}/").json()["status"] == "running"
    cancelled = editor.post(f"/api/load-tests/{body['id']}/cancel/")
    assert (cancelled.status_code, cancelled.json()["status"], cancelled.json()["error"]) == (
        200,
        "cancelled",
        "cancelled by ed",
    )


def test_viewers_read_but_may_not_start_or_cancel_and_others_get_nothing(
    scenario: Scenario, agent: Agent, sent: list[Any]
) -> None:
    viewer = client_of("vi", "viewer")
    assert viewer.post("/api/load-tests/", BODY, format="json").status_code == 403
    assert viewer.get("/api/load-tests/").status_code == 200
    test = LoadTest.objects.create(
        scenario=scenario, location=scenario.locations.get(), stages=[1], seconds=5, spec={}
    )
    assert viewer.post(f"/api/load-tests/{test.pk}/cancel/").status_code == 403
    assert client_of("nobody", None).get("/api/load-tests/").status_code == 403
    assert APIClient().get("/api/load-tests/").status_code == 401
    assert LoadTest.objects.get().status == LoadTest.QUEUED


@pytest.mark.parametrize(
    ("change", "answer"),
    [
        (
            {"stages": [9]},
            [
                "9 virtual users are more than the live agents of lab with chromium hold: "
                "lab-1 holds 8 (8 in all); lower the largest stage to 8 or start more agents"
            ],
        ),
        (
            {"iterations": 2},
            {
                "non_field_errors": [
                    "give each stage a duration in seconds or a number of iterations"
                ]
            },
        ),
        (
            {"ramp": {"start": 1, "stop": 4, "step": 1}},
            {"non_field_errors": ["give stages or a ramp"]},
        ),
        ({"metric": "speed"}, {"metric": [metric_problem("speed")]}),
    ],
)
def test_a_refused_load_test_is_a_400_saying_why(
    scenario: Scenario, agent: Agent, sent: list[Any], change: dict[str, Any], answer: Any
) -> None:
    response = client_of("ed", "editor").post("/api/load-tests/", {**BODY, **change}, format="json")
    assert (response.status_code, response.json()) == (400, answer)
    assert LoadTest.objects.count() == 0


def test_a_ramp_becomes_its_stages(scenario: Scenario, agent: Agent, sent: list[Any]) -> None:
    body = {**BODY, "ramp": {"start": 2, "stop": 8, "step": 3}}
    del body["stages"]
    response = client_of("ed", "editor").post("/api/load-tests/", body, format="json")
    assert (response.status_code, response.json()["stages"]) == (201, [2, 5, 8])


def test_agents_claim_and_report_their_shares_with_their_tokens(
    scenario: Scenario, lab: Location, agent: Agent, sent: list[Any]
) -> None:
    other = live_agent(lab, "lab-2", 0)
    created = client_of("ed", "editor").post("/api/load-tests/", BODY, format="json").json()
    share = LoadShare.objects.get(load_test_id=created["id"])
    mine, theirs = agent.issue_token(), other.issue_token()

    def post(token: str, path: str, body: Any = None) -> Any:
        return Client().post(
            f"/api/ingest/load/shares/{share.pk}/{path}/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert post(theirs, "claim").status_code == 409
    claimed = post(mine, "claim")
    assert (claimed.status_code, claimed.json()["users"]) == (200, 1)
    assert post(mine, "claim").status_code == 410
    ready = post(mine, "report", {"batch": 1, "phase": "ready"})
    assert (ready.status_code, ready.json()) == (200, {"go": True, "stop": False, "reason": ""})
    refused = post(theirs, "report", {"batch": 2, "phase": "running"})
    assert refused.status_code == 400
    assert refused.json() == {"error": f"share {share.pk} is not one of agent lab-2's"}
    assert post(mine, "report", "[1]").status_code == 400
    elsewhere = Agent.objects.create(name="far", location=Location.objects.create(name="far"))
    assert post(elsewhere.issue_token(), "claim").status_code == 404
    assert post("pfa_wrong", "claim").status_code == 403
