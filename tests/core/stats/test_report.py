"""The CI comparison report on named metrics (core/stats/report.py): a named request that got
slower is a regression on its metric, attributed to the requests its declaration matches."""

from typing import Any

from core.stats.report import compare_runs
from tests.factories import home_result, req

API = "api.example.localhost"
# The scenario's declaration: ``request_metric: {name: create_chat, match: POST */api/chats}``
# as the spec carries it (core.script.declarations).
CREATE_CHAT = {"name": "create_chat", "method": "POST", "pattern": "*/api/chats"}
JITTER = (0.0, 4.0, -2.0, 2.0, 1.0)
METRIC = "request.create_chat.duration_ms"


def chat_run(chat_ms: float, list_ms: float = 40.0, **named: float) -> dict[str, Any]:
    """A home-page run (FCP 100 ms) that also posts to /api/chats (``chat_ms``) and lists the
    chats with a GET of the same URL (``list_ms``), which the declaration does not match.
    ``metrics`` carries the named request as the agent measures it: the first POST's
    duration (docs/result-document.md), plus ``named`` (metric → value)."""
    post = req(API, "/api/chats", 30.0, chat_ms, kind="fetch", method="POST", bytes=400)
    listing = req(API, "/api/chats", 35.0, list_ms, kind="fetch", bytes=900)
    document = home_result(100.0, extra=[post, listing])
    document["metrics"].update({METRIC: chat_ms, **named})
    return document


def test_a_named_request_200_ms_slower_is_a_regression_named_in_the_attribution() -> None:
    base = [chat_run(100.0 + j, list_ms=40.0) for j in JITTER]
    # The unmatched GET of the same URL gets slower too: it is not the named request.
    branch = [chat_run(300.0 + j, list_ms=190.0) for j in JITTER]
    report = compare_runs(
        base, branch, options={"metrics": [METRIC, "lcp"]}, requests=[CREATE_CHAT]
    )
    assert (report["verdict"], report["gate"]) == ("regression", "fail")
    row = next(m for m in report["metrics"] if m["metric"] == METRIC)
    assert (row["gated"], row["verdict"], row["base_median"], row["branch_median"]) == (
        True,
        "regression",
        101.0,
        301.0,
    )
    assert report["options"]["constant"] == ["lcp"]
    (attributed,) = report["attribution"]
    assert attributed["metric"] == METRIC
    assert attributed["request"] == CREATE_CHAT
    assert attributed["change"] == 200.0
    assert [(h["name"], h["change"], h["detail"]) for h in attributed["hosts"]] == [
        (API, 200.0, "create_chat POST /api/chats +200 ms")
    ]
    assert attributed["message"] == (
        "Request create_chat Duration +200 ms — api.example.localhost: "
        "create_chat POST /api/chats +200 ms"
    )


def test_named_metrics_and_steps_get_rows_and_absent_values_are_not_zero() -> None:
    base = [chat_run(100.0 + j, **{"user.chat_ready": 400.0 + j}) for j in JITTER]
    branch = [chat_run(100.0 + j) for j in JITTER[:3]]
    branch += [chat_run(100.0 + j, **{"user.chat_ready": 405.0 + j}) for j in JITTER[3:]]
    for document in (*base, *branch):
        document["steps"] = [
            {
                "name": "send",
                "started_ms": 20.0,
                "duration_ms": 250.0,
                "metrics": {"cpu.script_ms": 9.5},
            }
        ]
    report = compare_runs(base, branch)
    rows = {m["metric"]: m for m in report["metrics"]}
    assert {METRIC, "user.chat_ready", "step.send.duration_ms", "step.send.cpu.script_ms"} <= set(
        rows
    )
    ready = rows["user.chat_ready"]
    assert (ready["base_n"], ready["branch_n"], ready["verdict"]) == (5, 2, "inconclusive")
    assert (rows["step.send.cpu.script_ms"]["base_median"], rows[METRIC]["gated"]) == (9.5, False)
