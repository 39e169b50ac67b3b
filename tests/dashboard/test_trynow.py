"""Try it now: one trial per process, a failing trial still ends, the page links the run."""

import threading
from typing import Any

import pytest
from django.test import Client

from agents.browser import InfrastructureError
from dashboard import trynow
from scenarios.models import Run, Scenario


def wait_for_trial(timeout: float = 10.0) -> None:
    for thread in threading.enumerate():
        if thread.name.startswith("trial-"):
            thread.join(timeout)


def test_a_second_trial_is_refused_while_one_runs(
    editor_client: Client, scenario: Scenario
) -> None:
    assert trynow._busy.acquire(blocking=False)
    try:
        response = editor_client.post("/scenarios/home/try/", follow=True)
    finally:
        trynow._busy.release()

    assert Run.objects.count() == 0
    assert "a trial run is already in progress" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_trial_that_cannot_measure_is_marked_failed(
    editor_client: Client, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_pool() -> Any:
        raise RuntimeError("no browser here")

    monkeypatch.setattr(trynow, "pool_factory", broken_pool)

    response = editor_client.post("/scenarios/home/try/")
    wait_for_trial()

    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.pk}/"
    assert (run.kind, run.status, run.error) == (
        "manual",
        "failed",
        "trial failed: no browser here",
    )
    assert run.location is not None and run.location.name == "local"
    assert not trynow.busy()


@pytest.mark.django_db(transaction=True)
def test_a_crashed_browser_is_replaced_for_the_next_trial(
    editor_client: Client, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DeadPool:
        closed = False

        def close(self) -> None:
            self.closed = True

    dead = DeadPool()

    def crash(spec: dict[str, Any], pool: Any) -> Any:
        raise InfrastructureError("browser died during the run")

    monkeypatch.setattr(trynow, "_pool", dead)
    monkeypatch.setattr("agents.browser.measure", crash)

    editor_client.post("/scenarios/home/try/")
    wait_for_trial()

    assert (dead.closed, trynow._pool) == (True, None)
    assert Run.objects.get().error == "trial failed: browser died during the run"
