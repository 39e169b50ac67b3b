"""/api/imports/ refuses what is not a HAR, or is over a limit, with a 400 naming the reason,
reading no more of the upload than the limit."""

import gzip
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.har import stream as har_stream
from scenarios.models import Run, Scenario
from tests.roles import role

pytestmark = pytest.mark.django_db


def har() -> dict[str, Any]:
    """A page and its script, the page's request carrying a cookie."""

    def entry(url: str, kind: str, start: str, wait: float) -> dict[str, Any]:
        return {
            "startedDateTime": start,
            "_resourceType": kind,
            "request": {"url": url, "headers": [{"name": "Cookie", "value": "sid=secret"}]},
            "response": {"status": 200, "content": {"size": 50, "mimeType": "text/html"}},
            "timings": {"send": 0.5, "wait": wait, "receive": 4.5},
        }

    return {
        "log": {
            "entries": [
                entry("http://www.example.localhost/", "document", "2026-11-23T10:00:00Z", 95),
                entry("http://www.example.localhost/a.js", "script", "2026-11-23T10:00:01Z", 9),
            ]
        }
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
        name="Demo", slug="demo", url="http://www.example.localhost/", paused=True
    )


@pytest.fixture
def json_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of every piece of JSON text the HAR reader took, in order."""
    taken: list[int] = []
    read = har_stream._Source.read

    def counted(self: Any, size: int = har_stream.CHUNK) -> bytes:
        data = read(self, size)
        taken.append(len(data))
        return data

    monkeypatch.setattr(har_stream._Source, "read", counted)
    return taken


def upload(client: APIClient, name: str, content: bytes) -> Any:
    return client.post(
        "/api/imports/",
        {"scenario": "demo", "har_file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def test_a_gzip_bomb_is_refused_after_reading_no_more_than_the_limit(
    scenario: Scenario, editor_client: APIClient, settings: Any, json_read: list[int]
) -> None:
    settings.PERFITE_MAX_HAR_BYTES = 1_000_000
    bomb = gzip.compress(b'{"log": {"entries": [' + b" " * 20_000_000 + b"]}}")
    answer = upload(editor_client, "bomb.har.gz", bomb)
    assert (answer.status_code, answer.json()) == (
        400,
        ["HAR larger than 1000000 bytes once decompressed"],
    )
    assert sum(json_read) <= 1_000_000 + har_stream.CHUNK  # of 20 MB
    assert Run.objects.count() == 0


def test_a_plain_har_over_the_limit_is_refused_unread(
    scenario: Scenario, editor_client: APIClient, settings: Any, json_read: list[int]
) -> None:
    settings.PERFITE_MAX_HAR_BYTES = 1_000_000
    big = json.dumps({**har(), "padding": "x" * 1_500_000}).encode()
    answer = upload(editor_client, "big.har", big)
    assert (answer.status_code, answer.json()) == (400, ["HAR larger than 1000000 bytes"])
    assert json_read == []
    assert Run.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"[1,2]", "not a HAR: the top level must be an object with a 'log' object"),
        (b'"abc"', "not a HAR: the top level must be an object with a 'log' object"),
        (
            b'{"log": "\xff\xfe"}',
            "HAR is not valid JSON: lexical error: invalid bytes in UTF8 string.",
        ),
        (b"{nope", "HAR is not valid JSON: lexical error: invalid string in json text."),
    ],
    ids=["list", "string", "invalid-utf8", "not-json"],
)
def test_a_har_file_that_is_not_a_har_is_refused_with_the_reason(
    scenario: Scenario, editor_client: APIClient, content: bytes, reason: str
) -> None:
    answer = upload(editor_client, "x.har", content)
    assert (answer.status_code, answer.json()) == (400, [reason])
    assert Run.objects.count() == 0


def test_too_many_entries_in_a_json_body_are_refused_while_it_is_read(
    scenario: Scenario, editor_client: APIClient, settings: Any
) -> None:
    settings.PERFITE_MAX_HAR_ENTRIES = 1
    answer = editor_client.post("/api/imports/", {"scenario": "demo", "har": har()}, format="json")
    assert (answer.status_code, answer.json()) == (
        400,
        {"detail": "the HAR has more than 1 entries"},
    )
    assert Run.objects.count() == 0


def test_a_har_sent_as_json_text_in_a_form_is_imported(
    scenario: Scenario, editor_client: APIClient
) -> None:
    answer = editor_client.post(
        "/api/imports/", {"scenario": "demo", "har": json.dumps(har())}, format="multipart"
    )
    assert answer.status_code == 201, answer.json()
    assert Run.objects.get().requests == 2


def test_a_gzipped_har_file_is_imported_and_stored_sanitised(
    scenario: Scenario, editor_client: APIClient
) -> None:
    answer = upload(editor_client, "a.har.gz", gzip.compress(json.dumps(har()).encode()))
    assert answer.status_code == 201, answer.json()
    run = Run.objects.get()
    stored = json.loads(gzip.decompress(run.har.read()))
    assert stored["log"]["entries"][0]["request"]["headers"] == [
        {"name": "Cookie", "value": "[removed by perfite]"}
    ]
    assert (run.requests, run.ttfb) == (2, 95.5)


@pytest.mark.parametrize("form", ["json", "multipart"])
def test_a_har_without_entries_is_imported_as_a_page_that_loaded_nothing(
    scenario: Scenario, editor_client: APIClient, form: str
) -> None:
    empty: dict[str, Any] = {"log": {"entries": []}}
    har = empty if form == "json" else json.dumps(empty)
    answer = editor_client.post("/api/imports/", {"scenario": "demo", "har": har}, format=form)
    assert answer.status_code == 201, answer.json()
    run = Run.objects.get()
    assert (run.requests, json.loads(gzip.decompress(run.har.read()))) == (0, empty)
