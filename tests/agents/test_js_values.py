"""agents.js_values: what an evaluate step's DevTools reply means (the real browser's replies
are in tests/agents/test_named_metrics.py)."""

from typing import Any

import pytest

from agents.cdp import CdpError
from agents.js_values import evaluate, read_reply, wrap


@pytest.mark.parametrize(
    ("reply", "found"),
    [
        ({"result": {"type": "number", "value": 7, "description": "7"}}, {"value": 7}),
        ({"result": {"type": "number", "value": -0.5}}, {"value": -0.5}),
        ({"result": {"type": "number", "unserializableValue": "-0"}}, {"value": 0.0}),
        (
            {"result": {"type": "number", "unserializableValue": "NaN", "description": "NaN"}},
            {"error": "not a finite number: NaN"},
        ),
        (
            {"result": {"type": "number", "unserializableValue": "Infinity"}},
            {"error": "not a finite number: Infinity"},
        ),
        ({"result": {"type": "string", "value": "3"}}, {"error": 'not a number: string "3"'}),
        ({"result": {"type": "boolean", "value": True}}, {"error": "not a number: boolean true"}),
        ({"result": {"type": "undefined"}}, {"error": "not a number: undefined"}),
        (
            {"result": {"type": "bigint", "unserializableValue": "5n", "description": "5n"}},
            {"error": "not a number: bigint 5n"},
        ),
        (
            {
                "result": {"type": "object", "value": {}},
                "exceptionDetails": {
                    "text": "Uncaught",
                    "exception": {"description": "TypeError: x is undefined\n    at <anonymous>"},
                },
            },
            {"error": "TypeError: x is undefined"},
        ),
        (
            {
                "result": {"type": "object"},
                "exceptionDetails": {
                    "text": "Uncaught (in promise)",
                    "exception": {"type": "string", "value": "__perfite_no_value_in_time__"},
                },
            },
            {"error": "no value: the promise did not settle within 1000 ms"},
        ),
    ],
)
def test_a_reply_is_a_number_or_the_reason_there_is_none(
    reply: dict[str, Any], found: dict[str, Any]
) -> None:
    assert read_reply(reply) == found


def test_the_expression_stands_on_its_own_lines_inside_the_wrapper() -> None:
    script = wrap("1 + 1 // a comment", 250)
    assert script.splitlines()[1] == "1 + 1 // a comment"
    assert 'setTimeout(() => reject("__perfite_no_value_in_time__"), 250)' in script


class RefusingSession:
    """A DevTools session that refuses every command with ``message``."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.sent: list[tuple[str, dict[str, Any] | None]] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append((method, params))
        raise CdpError(self.message)


def test_a_refused_evaluation_is_that_metrics_error() -> None:
    session = RefusingSession("Cannot find default execution context")
    found = evaluate(session, "1", timeout_ms=1000)
    assert found == {"error": "not evaluated: Cannot find default execution context"}
    [(method, params)] = session.sent
    assert method == "Runtime.evaluate" and params is not None
    assert (params["timeout"], params["returnByValue"], params["awaitPromise"]) == (
        1000,
        True,
        True,
    )
