import gzip
import json
from typing import Any

import pytest

from core.har.files import REDACTED, HarError, gunzip_json, gzip_json, sanitize_har, validate_har

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
    assert gunzip_json(gzip_json(HAR), max_bytes=10_000) == HAR


def test_truncated_gzip_is_refused() -> None:
    data = gzip_json(HAR)
    with pytest.raises(HarError, match="truncated"):
        gunzip_json(data[: len(data) // 2], max_bytes=10_000)


def test_not_gzip_is_refused() -> None:
    with pytest.raises(HarError, match="not gzip"):
        gunzip_json(b"{}", max_bytes=10_000)


def test_decompression_bomb_is_refused() -> None:
    bomb = gzip.compress(b"[" + b"0," * 500_000 + b"0]")
    with pytest.raises(HarError, match="larger than"):
        gunzip_json(bomb, max_bytes=100_000)


def test_invalid_json_is_refused() -> None:
    with pytest.raises(HarError, match="not valid JSON"):
        gunzip_json(gzip.compress(b"{nope"), max_bytes=1000)


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
