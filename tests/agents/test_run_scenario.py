"""The agent's task measures with the process's shared pool and resets it after a crash."""

from typing import Any
from unittest.mock import Mock

import pytest

from agents import tasks
from agents.engines import InfrastructureError


def test_a_crashed_browser_is_reset_for_the_retry(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = Mock()
    delivery = Mock()
    delivery.claim.return_value = {"url": "http://www.example.localhost/"}
    measured: list[tuple[dict[str, Any], Any]] = []

    def crash(spec: dict[str, Any], used: Any) -> Any:
        measured.append((spec, used))
        raise InfrastructureError("browser died during the run")

    monkeypatch.setattr(tasks, "shared_pool", lambda: pool)
    monkeypatch.setattr(tasks, "default_delivery", lambda: delivery)
    monkeypatch.setattr(tasks, "measure", crash)

    # Called directly (not by a worker), the task raises what a worker would retry on.
    with pytest.raises(InfrastructureError, match="browser died during the run"):
        tasks.run_scenario(7)

    assert measured == [({"url": "http://www.example.localhost/"}, pool)]
    assert pool.reset.call_count == 1
    assert delivery.deliver.call_count == 0


def test_a_run_the_agent_cannot_measure_is_delivered_failed_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivery = Mock()
    spec = {"url": "http://www.example.localhost/", "scenario": "s", "first_party": ["re:([a"]}
    delivery.claim.return_value = spec
    monkeypatch.setattr(tasks, "shared_pool", Mock)
    monkeypatch.setattr(tasks, "default_delivery", lambda: delivery)

    def broken(spec: dict[str, Any], used: Any) -> Any:
        raise ValueError("missing ), unterminated subpattern at position 0")

    monkeypatch.setattr(tasks, "measure", broken)

    assert tasks.run_scenario(7) == "failed"

    (run_id, result, har, _name, screenshot), _ = delivery.deliver.call_args
    assert (run_id, har, screenshot, result["status"]) == (7, None, None, "failed")
    assert result["error"] == (
        "the agent could not measure this run: ValueError: "
        "missing ), unterminated subpattern at position 0"
    )
    assert result["metrics"]["requests"] is None and result["metrics"]["lcp"] is None
    from core.result.validate import validate_result

    assert validate_result(result) is result


def test_a_browser_failing_on_every_attempt_ends_in_a_failed_run_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    delivery = Mock()
    delivery.claim.return_value = {"url": "http://www.example.localhost/", "scenario": "s"}
    monkeypatch.setattr(tasks, "shared_pool", Mock)
    monkeypatch.setattr(tasks, "default_delivery", lambda: delivery)

    def crash(spec: dict[str, Any], used: Any) -> Any:
        raise InfrastructureError("the page's renderer crashed: Target crashed")

    monkeypatch.setattr(tasks, "measure", crash)

    assert tasks.run_scenario(7, browser_failures=tasks.BROWSER_RETRIES) == "failed"
    (run_id, result, har, _name, _shot), _ = delivery.deliver.call_args
    assert (run_id, har, result["status"]) == (7, None, "failed")
    assert result["error"] == (
        "the browser failed on every attempt: InfrastructureError: "
        "the page's renderer crashed: Target crashed"
    )
