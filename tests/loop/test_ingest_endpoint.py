"""The agents' ingest endpoint: each bad input is a clear 4xx that stores nothing; a repeated
delivery is stored once."""

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from scenarios.models import Agent, GraphitePoint, Location, Run, RunHost, Scenario
from scenarios.models.run import claim_run
from tests.factories import page

HAR: dict[str, Any] = {
    "log": {
        "version": "1.2",
        "creator": {"name": "t", "version": "1"},
        "entries": [
            {
                "startedDateTime": "2026-11-23T10:00:00.000Z",
                "time": 5.0,
                "request": {
                    "method": "GET",
                    "url": "http://www.example.localhost/",
                    "headers": [{"name": "Cookie", "value": "session=secret"}],
                },
                "response": {"status": 200, "headers": [], "content": {"size": 10}},
            },
        ],
    }
}
RESULT = page(
    scenario="shop", location="eu-west", ttfb=12.0, fcp=80.0, lcp=95.0, dcl=70.0, load=120.0
)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    settings.GRAPHITE_HOST = "127.0.0.1"  # so a stored result would also fill the outbox
    return tmp_path


@pytest.fixture
def agent_run(db: None, media: Path) -> tuple[Run, str]:
    """A queued run in eu-west and the token of an eu-west agent."""
    location = Location.objects.create(name="eu-west")
    scenario = Scenario.objects.create(
        name="Shop", slug="shop", url="http://www.example.localhost/", paused=True
    )
    agent = Agent.objects.create(name="eu-west-1", location=location)
    run = Run.objects.create(scenario=scenario, location=location)
    assert claim_run(run.pk, agent.name) is not None
    return run, agent.issue_token()


def post(
    run: Run,
    token: str | None,
    result: str | None = None,
    har: bytes | None = None,
    screenshot: bytes | None = None,
    **extra: Any,
) -> Any:
    data: dict[str, Any] = {"result": json.dumps(RESULT) if result is None else result}
    if har is not None:
        data["har"] = SimpleUploadedFile("run.har.gz", har, "application/gzip")
    if screenshot is not None:
        data["screenshot"] = SimpleUploadedFile("screenshot.jpg", screenshot, "image/jpeg")
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(f"/api/ingest/runs/{run.pk}/", data, **headers, **extra)


def assert_nothing_stored(run: Run, media: Path) -> None:
    run.refresh_from_db()
    assert (run.result, run.status, run.har.name, run.har_size) == (None, Run.RUNNING, "", 0)
    assert run.screenshot.name == ""
    assert not RunHost.objects.exists()
    assert not GraphitePoint.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


GOOD_HAR = gzip.compress(json.dumps(HAR).encode())


@pytest.mark.parametrize(
    ("token", "result", "har", "status", "reason"),
    [
        (None, None, GOOD_HAR, 401, "missing agent token"),
        ("pfa_not-a-real-token", None, GOOD_HAR, 403, "invalid or revoked agent token"),
        ("good", "{not json", GOOD_HAR, 400, "result is not valid JSON"),
        ("good", json.dumps({**RESULT, "status": "great"}), GOOD_HAR, 400, "status must be"),
        ("good", None, GOOD_HAR[: len(GOOD_HAR) // 2], 400, "truncated gzip data"),
        ("good", None, gzip.compress(b'{"entries": []}'), 400, "not a HAR"),
        ("good", None, b"plain text, not gzip", 400, "not gzip data"),
        ("good", json.dumps({**RESULT, "metrics": {"load": float("nan")}}), None, 400, "finite"),
        ("good", json.dumps({**RESULT, "metrics": {"transfer_bytes": 1e30}}), None, 400, "between"),
        ("good", json.dumps({**RESULT, "started_at": "2024-13-45T00:00:00"}), None, 400, "ISO"),
        ("good", json.dumps({**RESULT, "error": "a\x00b"}), None, 400, "NUL"),
    ],
    ids=[
        "no-token",
        "bad-token",
        "malformed-json",
        "invalid-result",
        "truncated-gzip",
        "har-not-a-har",
        "har-not-gzip",
        "nan",
        "beyond-bigint",
        "impossible-date",
        "nul",
    ],
)
def test_a_bad_delivery_is_refused_and_stores_nothing(
    agent_run: tuple[Run, str],
    media: Path,
    token: str | None,
    result: str | None,
    har: bytes,
    status: int,
    reason: str,
) -> None:
    run, good_token = agent_run
    response = post(run, good_token if token == "good" else token, result, har)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert_nothing_stored(run, media)


def test_an_oversized_upload_is_refused_with_413(
    agent_run: tuple[Run, str], media: Path, settings: Any
) -> None:
    run, token = agent_run
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = post(
        run, token, har=gzip.compress(json.dumps(HAR).encode() + b" " * 5000, compresslevel=0)
    )
    assert (response.status_code, response.json()) == (413, {"error": "upload too large"})
    assert_nothing_stored(run, media)


def test_a_revoked_token_is_refused(agent_run: tuple[Run, str], media: Path) -> None:
    run, token = agent_run
    Agent.objects.update(revoked=True)
    assert post(run, token, har=GOOD_HAR).status_code == 403
    assert_nothing_stored(run, media)


def test_an_agent_cannot_deliver_a_run_of_another_location(
    agent_run: tuple[Run, str], media: Path
) -> None:
    run, _ = agent_run
    other = Agent.objects.create(name="us-east-1", location=Location.objects.create(name="us-east"))
    response = post(run, other.issue_token(), har=GOOD_HAR)
    assert response.status_code == 404
    assert_nothing_stored(run, media)


def test_the_same_delivery_twice_is_stored_once(agent_run: tuple[Run, str], media: Path) -> None:
    run, token = agent_run
    first = post(run, token, har=GOOD_HAR)
    second = post(run, token, har=GOOD_HAR)
    assert (first.status_code, first.json()) == (201, {"stored": True, "run": run.pk})
    assert (second.status_code, second.json()) == (200, {"stored": False, "run": run.pk})
    run.refresh_from_db()
    assert (run.status, run.agent_name, run.ttfb) == (Run.SUCCEEDED, "eu-west-1", 12.0)
    assert list(RunHost.objects.values_list("host", "requests")) == [("www.example.localhost", 1)]
    assert len([p for p in media.rglob("*.har.gz")]) == 1
    stored = json.loads(gzip.decompress(run.har.read()))
    assert stored["log"]["entries"][0]["request"]["headers"] == [
        {"name": "Cookie", "value": "[removed by perfite]"}
    ]
    # Every page metric; the five totals of both parties, the one host and the one type.
    assert GraphitePoint.objects.count() == 13 + 4 * 5


JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (b"GIF89a" + b"\x00" * 100, "screenshot is not a JPEG or PNG image"),
        (b"<svg onload=alert(1)>", "screenshot is not a JPEG or PNG image"),
        (JPEG + b"\x00" * 2048, "screenshot larger than 2048 bytes"),
    ],
    ids=["gif", "svg", "too-large"],
)
def test_a_bad_screenshot_is_refused_and_stores_nothing(
    agent_run: tuple[Run, str], media: Path, settings: Any, image: bytes, reason: str
) -> None:
    settings.PERFITE_MAX_SCREENSHOT_BYTES = 2048
    run, token = agent_run
    response = post(run, token, har=GOOD_HAR, screenshot=image)
    assert (response.status_code, response.json()["error"]) == (400, reason)
    assert_nothing_stored(run, media)


def test_the_screenshot_is_stored_with_the_run_and_shown_on_its_page(
    agent_run: tuple[Run, str], media: Path, admin_client: Client
) -> None:
    run, token = agent_run
    assert post(run, token, har=GOOD_HAR, screenshot=JPEG).status_code == 201
    run.refresh_from_db()
    assert (run.screenshot.name or "").endswith(f"run-{run.pk}.jpg")
    assert run.screenshot.read() == JPEG
    page = admin_client.get(f"/runs/{run.pk}/").content.decode()
    assert f'<img src="/runs/{run.pk}/screenshot/"' in page
    image = admin_client.get(f"/runs/{run.pk}/screenshot/")
    assert (image.status_code, image["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(image.streaming_content) == JPEG  # type: ignore[attr-defined]


def _claim(run: Run, token: str) -> Any:
    return Client().post(f"/api/ingest/runs/{run.pk}/claim/", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_an_agent_delivers_only_the_runs_it_holds(agent_run: tuple[Run, str], media: Path) -> None:
    run, token = agent_run
    other = Agent.objects.create(
        name="eu-west-2", location=Location.objects.get(name="eu-west")
    ).issue_token()
    queued = Run.objects.create(scenario=run.scenario, location=run.location)
    assert post(queued, token).json() == {"error": "this agent has not claimed this run"}
    refused = post(run, other)
    assert (refused.status_code, refused.json()) == (
        409,
        {"error": "this agent has not claimed this run"},
    )
    assert_nothing_stored(run, media)
    Run.objects.filter(pk=run.pk).update(status=Run.LOST)
    lost = post(run, token)
    assert (lost.status_code, lost.json()) == (
        409,
        {"error": "the run is lost: it takes no result any more"},
    )


def test_claiming_a_run_again_and_again_neither_wears_it_out_nor_adds_attempts(
    agent_run: tuple[Run, str], media: Path
) -> None:
    run, token = agent_run
    statuses = [_claim(run, token).status_code for _ in range(5)]
    run.refresh_from_db()
    assert statuses == [200] * 5
    assert (run.status, run.attempts, run.agent_name) == (Run.RUNNING, 1, "eu-west-1")
    assert post(run, token).status_code == 201


def test_a_run_taken_over_by_another_agent_takes_only_the_new_agents_result(
    agent_run: tuple[Run, str], media: Path
) -> None:
    run, token = agent_run
    other = Agent.objects.create(
        name="eu-west-2", location=Location.objects.get(name="eu-west")
    ).issue_token()
    assert _claim(run, other).status_code == 200  # the first agent died: re-delivered
    run.refresh_from_db()
    assert (run.attempts, run.agent_name) == (2, "eu-west-2")
    assert post(run, token).status_code == 409
    assert post(run, other).status_code == 201


@pytest.mark.parametrize(
    ("har", "longest", "reason"),
    [
        (
            gzip.compress(b'{"log": {"entries": [' + b" " * 20_000_000 + b"]}}"),
            5_000_000,
            "HAR larger than 1000000 bytes once decompressed",
        ),
        (
            gzip.compress(json.dumps({"log": {"entries": HAR["log"]["entries"] * 3}}).encode()),
            500_000,
            "the HAR has more than 2 entries",
        ),
        (
            gzip.compress(
                json.dumps(
                    {"log": {"entries": [{**HAR["log"]["entries"][0], "x": "y" * 600_000}]}}
                ).encode()
            ),
            500_000,
            "a value in the HAR is longer than 500000 bytes",
        ),
    ],
    ids=["gzip-bomb", "too-many-entries", "value-too-long"],
)
def test_a_har_over_a_limit_is_refused_with_the_limit_and_stores_nothing(
    agent_run: tuple[Run, str],
    media: Path,
    settings: Any,
    har: bytes,
    longest: int,
    reason: str,
) -> None:
    settings.PERFITE_MAX_HAR_BYTES = 1_000_000
    settings.PERFITE_MAX_HAR_ENTRIES = 2
    settings.PERFITE_MAX_HAR_VALUE_BYTES = longest
    run, token = agent_run
    response = post(run, token, har=har)
    assert (response.status_code, response.json()) == (400, {"error": reason})
    assert_nothing_stored(run, media)


def _beat(token: str, body: dict[str, Any]) -> Any:
    return Client().post(
        "/api/ingest/heartbeat/",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.mark.parametrize("concurrency", [10**12, 0, -1, 2.5, True, "4"])
def test_a_heartbeat_with_an_impossible_concurrency_is_a_400(
    agent_run: tuple[Run, str], concurrency: Any
) -> None:
    _, token = agent_run
    answer = _beat(token, {"concurrency": concurrency})
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "concurrency must be a whole number from 1 to 1000"},
    )
    assert Agent.objects.get().concurrency == 1


@pytest.mark.parametrize("load_users", [1001, -1, 2.5, False, "8"])
def test_a_heartbeat_with_impossible_load_users_is_a_400(
    agent_run: tuple[Run, str], load_users: Any
) -> None:
    _, token = agent_run
    answer = _beat(token, {"load_users": load_users})
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "load_users must be a whole number from 0 to 1000"},
    )
    assert Agent.objects.get().load_users == 0
    assert _beat(token, {"load_users": 7}).status_code == 200
    assert Agent.objects.get().load_users == 7


def test_a_heartbeats_versions_are_cut_to_their_columns(agent_run: tuple[Run, str]) -> None:
    _, token = agent_run
    version = "<b>9.9</b>\x00" + "x" * 10_000
    answer = _beat(token, {"version": version, "browser_version": "1" * 500, "concurrency": 3})
    assert answer.status_code == 200
    agent = Agent.objects.get()
    assert (agent.version, agent.browser_version, agent.concurrency) == (
        ("<b>9.9</b>" + "x" * 10_000)[:50],
        "1" * 100,
        3,
    )


def test_a_heartbeat_stores_the_browsers_its_agent_announces(agent_run: tuple[Run, str]) -> None:
    _, token = agent_run
    assert Agent.objects.get().browsers is None  # never announced: Chromium only
    announced = {"chromium": "156.0.8078.108", "firefox": "153.8.0\x00", "opera": "120"}
    assert _beat(token, {"browsers": announced, "concurrency": 2}).status_code == 200
    agent = Agent.objects.get()
    assert agent.browsers == {"chromium": "156.0.8078.108", "firefox": "153.8.0"}
    assert (agent.serves("firefox"), agent.serves("webkit")) == (True, False)

    # A child's report of Chromium's version says nothing of the browsers: they stay.
    assert _beat(token, {"browser_version": "156.0.8078.108"}).status_code == 200
    assert Agent.objects.get().browsers == {"chromium": "156.0.8078.108", "firefox": "153.8.0"}
    assert _beat(token, {"browsers": {"webkit": "26.0"}}).status_code == 200
    assert Agent.objects.get().browsers == {"webkit": "26.0"}


@pytest.mark.parametrize("browsers", [["chromium"], "chromium", {"chromium": 156}, {"": None}])
def test_a_heartbeat_with_browsers_that_are_not_name_to_version_is_a_400(
    agent_run: tuple[Run, str], browsers: Any
) -> None:
    _, token = agent_run
    answer = _beat(token, {"browsers": browsers})
    assert (answer.status_code, answer.json()) == (
        400,
        {"error": "browsers must be an object of browser name → version"},
    )
    agent = Agent.objects.get()
    assert (agent.browsers, agent.last_seen) == (None, None)
