"""core.result.validate: a document that passes can be stored; one that cannot is refused."""

from typing import Any

import pytest

from core.profiles import BUILTIN
from core.result.text import without_nul
from core.result.validate import ResultError, validate_result


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "succeeded",
        "started_at": "2026-11-23T10:00:00+00:00",
        "finished_at": "2026-11-23T10:00:01Z",
        "metrics": {"load": 1234.5, "requests": 12, "transfer_bytes": 5_000_000, "cls": 0.1},
        "hosts": {"www.example.com": {"requests": 3, "transfer_bytes": 100, "time_ms": 5.0}},
        "steps": [{"name": "search", "started_ms": 10.0, "duration_ms": 250.0}],
        "requests": [],
    }
    base.update(changes)
    return base


def test_a_plain_document_passes() -> None:
    assert validate_result(doc())["status"] == "succeeded"


def test_named_metrics_and_a_split_an_import_gave_pass() -> None:
    named = {
        "user.chat.ready": 412.3,
        "request.create_chat.failed": 0,
        "custom.delta": -2.5,
        "ws.chat.received_bytes": 300,
        "backend.api_p95": 180.2,
        "cpu.dom_nodes": 1500,
        "party.third.transfer_bytes": 5000,
        "step.pay.user.paid": 30.0,
    }
    assert validate_result(doc(metrics=named))["metrics"] == named


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"metrics": {"load": float("nan")}}, "metrics.load must be a finite number, got nan"),
        ({"metrics": {"load": float("inf")}}, "metrics.load must be a finite number, got inf"),
        ({"metrics": {"transfer_bytes": 1e30}}, "metrics.transfer_bytes must be between 0 and"),
        ({"metrics": {"requests": 10**10}}, "metrics.requests must be between 0 and 2147483647"),
        ({"metrics": {"lcp": -5}}, "metrics.lcp must be between 0 and"),
        (
            {"hosts": {"h": {"requests": 10**10}}},
            "hosts.h.requests must be between 0 and 2147483647",
        ),
        ({"steps": [{"name": "a", "duration_ms": float("nan")}]}, "steps[0].duration_ms"),
        (
            {"metrics": {"user.Bad Name": 1.0}},
            "metrics.user.Bad Name: invalid metric name 'Bad Name': use lower-case letters",
        ),
        (
            {"metrics": {"step.pay.request.X.count": 1}},
            "metrics.step.pay.request.X.count: invalid metric name 'X'",
        ),
        (
            {"metrics": {"visual_progress": 9.0}},
            "metrics.visual_progress: 'visual_progress' is not a metric",
        ),
        ({"metrics": {"request.chat": 9.0}}, "metrics.request.chat: 'request.chat' is not a"),
        (
            {"metrics": {"custom.n": -1e16}},
            "metrics.custom.n must be between -1000000000000000.0 and",
        ),
        ({"started_at": "2024-13-45T00:00:00"}, "started_at must be an ISO 8601 date and time"),
        ({"error": "a\x00b"}, "result.error holds a NUL character"),
        ({"hosts": {"a\x00b": {"requests": 1}}}, "result.hosts has a key holding a NUL"),
        ({"lcp_element": "div#a\x00b"}, "result.lcp_element holds a NUL character"),
        ({"profile": "4g"}, "profile must be an object"),
        (
            {"profile": {**BUILTIN["4g"].as_spec(), "rtt_ms": -1}},
            "profile.rtt_ms must be between 0 and 10000, got -1",
        ),
        (
            {"profile": {**BUILTIN["4g"].as_spec(), "name": "4G"}},
            "profile.name: invalid profile name '4G'",
        ),
    ],
)
def test_values_the_database_cannot_hold_are_refused_naming_the_field(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ResultError) as refused:
        validate_result(doc(**changes))
    assert str(refused.value).startswith(reason)


def test_the_result_builder_never_emits_a_nul() -> None:
    cleaned = {"lcp_element": without_nul("div#a\x00b"), "error": without_nul("x\x00")}
    assert cleaned == {"lcp_element": "div#a\ufffdb", "error": "x\ufffd"}
    validate_result(doc(**cleaned))


NAMED: dict[str, Any] = {
    "steps": [
        {
            "name": "send",
            "started_ms": 700.0,
            "duration_ms": 870.7,
            "metrics": {"user.reply": 306.6, "custom.n": -2, "cpu.js_heap_used_bytes": 3244152},
        }
    ],
    "user_timings": [
        {
            "name": "reply",
            "metric": "user.reply",
            "type": "measure",
            "page": 0,
            "started_ms": 765.3,
            "duration_ms": -1.5,
        }
    ],
    "metric_errors": {"custom.boom": "TypeError: x is undefined"},
}


def test_a_document_with_named_metrics_passes() -> None:
    assert validate_result(doc(**NAMED))["metric_errors"] == NAMED["metric_errors"]


def step_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    return {"steps": [{"name": "s", "started_ms": 1.0, "duration_ms": 2.0, "metrics": metrics}]}


def timing(**changes: Any) -> dict[str, Any]:
    return {"user_timings": [{**NAMED["user_timings"][0], **changes}]}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (step_metrics({"user.reply": -1.0}), "steps[0].metrics.user.reply must be between 0 and"),
        (step_metrics({"cpu.dom_nodes": 2**40}), "steps[0].metrics.cpu.dom_nodes must be between"),
        (step_metrics({"backend.x": 1}), "steps[0].metrics.backend.x is not a metric a step"),
        (step_metrics({"duration_ms": 1}), "steps[0].metrics.duration_ms is not a metric a step"),
        (step_metrics({"custom.n": "3"}), "steps[0].metrics.custom.n must be a number or null"),
        ({"steps": [{"name": "s", "metrics": []}]}, "steps[0].metrics must be an object"),
        ({"metric_errors": {"custom.x": 3}}, "metric_errors.custom.x must be a reason (text)"),
        ({"metric_errors": []}, "metric_errors must be an object"),
        ({"user_timings": {}}, "user_timings must be a list of objects"),
        (timing(type="paint"), "user_timings[0] needs a name and a type"),
        (timing(metric="custom.reply"), "user_timings[0].metric must be a user.* metric or null"),
        (timing(page=-1), "user_timings[0].page must be a page's index"),
        (timing(started_ms=None), "user_timings[0].started_ms must be a number"),
        (timing(duration_ms=float("inf")), "user_timings[0].duration_ms must be a finite"),
    ],
)
def test_named_metrics_the_database_cannot_hold_are_refused(
    changes: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ResultError) as refused:
        validate_result(doc(**changes))
    assert str(refused.value).startswith(reason)


def test_a_profile_with_its_numbers_or_null_or_none_at_all_passes() -> None:
    assert validate_result(doc(profile=BUILTIN["3g"].as_spec()))["profile"]["rtt_ms"] == 300
    assert validate_result(doc(profile=None))["profile"] is None
    assert "profile" not in validate_result(doc())


def test_a_filmstrip_with_its_frames_in_time_order_passes() -> None:
    film = {"frames": [{"ms": 0, "progress": 0.0}, {"ms": 80.5, "progress": None}], "error": None}
    assert validate_result(doc(filmstrip=film))["filmstrip"] == film


@pytest.mark.parametrize(
    ("film", "reason"),
    [
        ([], "filmstrip: must be an object with a list of frames"),
        ({"frames": [], "error": 3}, "filmstrip: error must be a text or null"),
        ({"frames": ["x"]}, r"filmstrip: frames\[0\] must be an object"),
        ({"frames": [{"ms": -1.0}]}, r"frames\[0\].ms must be a number from 0.0"),
        ({"frames": [{"ms": 5}, {"ms": 4}]}, r"frames\[1\].ms must be a number from 5.0"),
        ({"frames": [{"ms": float("nan")}]}, r"frames\[0\].ms must be a number"),
        ({"frames": [{"ms": 1, "progress": 1.5}]}, r"frames\[0\].progress must be a number"),
        ({"frames": [{"ms": 1, "progress": True}]}, r"frames\[0\].progress must be a number"),
    ],
)
def test_a_malformed_filmstrip_is_refused_naming_it(film: Any, reason: str) -> None:
    with pytest.raises(ResultError, match=reason):
        validate_result(doc(filmstrip=film))
