import gzip
import io
import json
from typing import Any

import pytest

from core.har.files import HarError, gzip_json, validate_har
from core.har.redact import REDACTED, sanitize_har
from core.har.stream import HarLimits, HarStream


def gunzip_har(data: bytes, *, max_bytes: int) -> Any:
    """The document a gzipped upload holds, read as the server reads it (a stream)."""
    limits = HarLimits(max_bytes=max_bytes, max_entries=100, max_value_bytes=max_bytes)
    stream = HarStream(io.BytesIO(data), limits, gzipped=True)
    entries = list(stream.entries())
    if isinstance(stream.skeleton, dict) and isinstance(stream.skeleton.get("log"), dict):
        stream.skeleton["log"]["entries"] = entries
    return stream.skeleton


HAR: dict[str, Any] = {
    "log": {
        "entries": [
            {
                "startedDateTime": "2026-11-23T10:00:00.000Z",
                "request": {
                    "url": "http://www.example.localhost/",
                    "headers": [
                        {"name": "Cookie", "value": "session=s3cr3t"},
                        {"name": "Authorization", "value": "Bearer tok3n"},
                        {"name": "Accept", "value": "text/html"},
                    ],
                    "cookies": [{"name": "session", "value": "s3cr3t"}],
                },
                "response": {
                    "status": 200,
                    "headers": [
                        {"name": "set-cookie", "value": "session=n3w; HttpOnly"},
                        {"name": "X-CSRFToken", "value": "csrfv4lue"},
                        {"name": "Content-Type", "value": "text/html"},
                    ],
                    "cookies": [{"name": "session", "value": "n3w"}],
                },
            }
        ]
    }
}


def test_sanitize_removes_every_cookie_and_credential_value() -> None:
    text = json.dumps(sanitize_har(HAR))
    for secret in ("s3cr3t", "tok3n", "n3w", "csrfv4lue"):
        assert secret not in text
    clean = sanitize_har(HAR)["log"]["entries"][0]
    assert clean["request"]["headers"][2] == {"name": "Accept", "value": "text/html"}
    assert clean["request"]["headers"][0] == {"name": "Cookie", "value": REDACTED}
    assert clean["response"]["cookies"] == []


def test_sanitize_leaves_the_input_untouched() -> None:
    sanitize_har(HAR)
    assert HAR["log"]["entries"][0]["request"]["cookies"][0]["value"] == "s3cr3t"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "top level"),
        ({"log": {}}, "log.entries"),
        ({"log": {"entries": [1]}}, "entry 0 is not an object"),
        (
            {"log": {"entries": [{"request": {}, "response": {}, "startedDateTime": "x"}]}},
            "request.url",
        ),
        ({"log": {"entries": [{"request": {"url": "u"}, "startedDateTime": "x"}]}}, "'response'"),
    ],
)
def test_validate_names_what_is_wrong(document: object, reason: str) -> None:
    with pytest.raises(HarError, match=reason):
        validate_har(document)


def test_gzip_round_trip() -> None:
    assert gunzip_har(gzip_json(HAR), max_bytes=10_000) == HAR


def test_truncated_gzip_is_refused() -> None:
    data = gzip_json(HAR)
    with pytest.raises(HarError, match="truncated"):
        gunzip_har(data[: len(data) // 2], max_bytes=10_000)


def test_not_gzip_is_refused() -> None:
    with pytest.raises(HarError, match="not gzip"):
        gunzip_har(b"{}", max_bytes=10_000)


def test_decompression_bomb_is_refused() -> None:
    bomb = gzip.compress(b"[" + b"0," * 500_000 + b"0]")
    with pytest.raises(HarError, match="larger than"):
        gunzip_har(bomb, max_bytes=100_000)


def test_invalid_json_is_refused() -> None:
    with pytest.raises(HarError, match="not valid JSON"):
        gunzip_har(gzip.compress(b"{nope"), max_bytes=1000)


def test_gc_is_paused_while_any_pauser_runs_and_restored_after() -> None:
    import gc
    import threading

    from scenarios.runs.memory import gc_paused

    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other)
    with gc_paused():
        assert not gc.isenabled()
        thread.start()
        inside.wait(5)
    assert not gc.isenabled()  # the other thread still parses its HAR
    release.set()
    thread.join()
    assert gc.isenabled()

    gc.disable()  # someone else turned it off: a pauser leaves it off
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


LOGIN: dict[str, Any] = {
    "log": {
        "pages": [{"id": "p", "title": "http://www.example.localhost/login?token=QUERYSECRET"}],
        "entries": [
            {
                "startedDateTime": "2026-11-23T10:00:00.000Z",
                "request": {
                    "method": "POST",
                    "url": "http://u:pw@www.example.localhost/login?token=QUERYSECRET&q=shoes",
                    "headers": [
                        {"name": "X-Custom-Token", "value": "CUSTOMSECRET"},
                        {"name": "X-Tenant", "value": "TENANTSECRET"},
                        {"name": "Referer", "value": "http://www.example.localhost/?sig=SIGSECRET"},
                        {"name": "X-Keyword", "value": "visible"},
                    ],
                    "queryString": [
                        {"name": "token", "value": "QUERYSECRET"},
                        {"name": "q", "value": "shoes"},
                    ],
                    "postData": {
                        "mimeType": "application/x-www-form-urlencoded",
                        "text": "user=ann&password=hunter2-PASSWORD",
                        "params": [
                            {"name": "user", "value": "ann"},
                            {"name": "password", "value": "hunter2-PASSWORD"},
                        ],
                    },
                },
                "response": {
                    "status": 302,
                    "redirectURL": "/home?session_id=SESSIONSECRET",
                    "headers": [{"name": "Location", "value": "/home?session_id=SESSIONSECRET"}],
                },
            },
            {
                "startedDateTime": "2026-11-23T10:00:01.000Z",
                "request": {
                    "method": "POST",
                    "url": "http://www.example.localhost/api",
                    "headers": [],
                    "postData": {
                        "mimeType": "application/json",
                        "text": '{"user": "ann", "auth": {"apiKey": "JSONSECRET"}, "n": 1}',
                    },
                },
                "response": {"status": 200, "headers": []},
            },
        ],
    }
}


def test_secret_values_go_by_name_in_headers_queries_forms_json_and_urls() -> None:
    clean = sanitize_har(LOGIN, ["x-tenant"])
    text = json.dumps(clean)
    for secret in (
        "QUERYSECRET",
        "CUSTOMSECRET",
        "TENANTSECRET",
        "SIGSECRET",
        "hunter2-PASSWORD",
        "SESSIONSECRET",
        "JSONSECRET",
        "pw@",
    ):
        assert secret not in text, secret
    request = clean["log"]["entries"][0]["request"]
    assert request["queryString"][1] == {"name": "q", "value": "shoes"}
    assert request["headers"][3] == {"name": "X-Keyword", "value": "visible"}
    assert request["postData"]["params"][0] == {"name": "user", "value": "ann"}
    assert "q=shoes" in request["url"] and "user=ann" in request["postData"]["text"]
    body = json.loads(clean["log"]["entries"][1]["request"]["postData"]["text"])
    assert body == {"user": "ann", "auth": REDACTED, "n": 1}


def test_a_scenarios_extra_names_are_secret_only_for_it() -> None:
    assert "TENANTSECRET" in json.dumps(sanitize_har(LOGIN))
    assert "TENANTSECRET" not in json.dumps(sanitize_har(LOGIN, ["X-Tenant"]))


def test_the_result_documents_urls_lose_their_secret_query_values() -> None:
    from core.har.redact import sanitize_result

    result = {
        "url": "http://www.example.localhost/?token=A",
        "requests": [{"url": "http://www.example.localhost/login?password=B&q=1"}],
        "pages": [{"url": "http://www.example.localhost/x?apikey=C"}],
        "websockets": [{"url": "ws://www.example.localhost/ws?sig=D"}],
    }
    text = json.dumps(sanitize_result(result))
    assert not any(secret in text for secret in ("=A", "=B", "=C", "=D"))
    assert "q=1" in text
