"""agents.spool: measurements the server could not take wait on disk and go out once."""

from pathlib import Path
from typing import Any

import pytest

from agents import tasks
from agents.delivery import DeliveryError, DeliveryRefused
from agents.spool import Spool, flush_until_empty

RESULT: dict[str, Any] = {"status": "succeeded", "metrics": {"lcp": 100.0}}
HAR: dict[str, Any] = {"log": {"entries": []}}


class Server:
    """A delivery that is away for ``away`` calls, then takes (or refuses) what it gets."""

    def __init__(self, away: int = 0, refuse: set[int] | None = None) -> None:
        self.away, self.refuse = away, refuse or set()
        self.stored: list[tuple[int, dict[str, Any], Any, bytes | None]] = []
        self.filmstrips: dict[int, bytes | None] = {}

    def deliver(
        self,
        run_id: int,
        result: Any,
        har: Any,
        name: str,
        shot: Any = None,
        filmstrip: bytes | None = None,
    ) -> None:
        if self.away:
            self.away -= 1
            raise DeliveryError("server unreachable")
        if run_id in self.refuse:
            raise DeliveryRefused("delivery refused (409): the run is lost")
        self.stored.append((run_id, result, har, shot))
        self.filmstrips[run_id] = filmstrip


def test_a_spooled_filmstrip_is_delivered_with_its_measurement(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**6)
    assert spool.put(7, RESULT, None, None, b"PK-frames")
    assert spool.put(8, RESULT, None, None)
    server = Server()

    flush_until_empty(spool, server, "a", sleep=lambda _: None)  # type: ignore[arg-type]

    assert server.filmstrips == {7: b"PK-frames", 8: None}
    assert spool.items() == []


def test_a_spooled_measurement_is_delivered_as_it_was_after_growing_pauses(
    tmp_path: Path,
) -> None:
    spool = Spool(tmp_path, max_bytes=10**6)
    assert spool.put(7, RESULT, HAR, b"\xff\xd8\xff")
    assert spool.put(8, RESULT, None, None)
    server, pauses = Server(away=3), list[float]()
    flush_until_empty(spool, server, "a", sleep=pauses.append)  # type: ignore[arg-type]
    assert pauses == [5.0, 10.0, 20.0]
    assert server.stored == [(7, RESULT, HAR, b"\xff\xd8\xff"), (8, RESULT, None, None)]
    assert spool.items() == []


def test_a_refused_measurement_is_dropped_and_the_rest_go_on(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**6)
    spool.put(7, RESULT, None, None)
    spool.put(8, RESULT, None, None)
    server = Server(refuse={7})
    assert spool.flush(server, "a") == 1  # type: ignore[arg-type]
    assert [run_id for run_id, *_ in server.stored] == [8] and spool.items() == []


def test_a_full_spool_keeps_nothing_more(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10)
    assert spool.put(7, RESULT, HAR, None) is False
    assert spool.items() == []


def test_the_task_spools_a_finished_measurement_instead_of_measuring_again(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PERFITE_AGENT_SPOOL_DIR = str(tmp_path)
    server = Server(away=10**6)
    measured: list[int] = []

    class Measurement:
        result, har, screenshot, filmstrip = RESULT, HAR, None, None

    class Claiming(Server):
        def claim(self, run_id: int, name: str) -> dict[str, Any]:
            return {"url": "http://www.example.localhost/"}

    claiming = Claiming(away=10**6)
    monkeypatch.setattr(tasks, "default_delivery", lambda: claiming)
    monkeypatch.setattr(tasks, "shared_pool", lambda: None)

    def measure(spec: dict[str, Any], pool: Any) -> type[Measurement]:
        measured.append(1)
        return Measurement

    monkeypatch.setattr(tasks, "measure", measure)
    monkeypatch.setattr(tasks, "start_flusher", lambda *a: None)

    assert tasks.run_scenario(7) == "spooled"
    assert measured == [1]
    (item,) = tasks.agent_spool(tasks.agent_name()).items()
    assert (item.run_id, item.load()) == (7, (RESULT, HAR, None))
    assert server.stored == []


def test_a_result_the_server_refuses_for_good_becomes_a_failed_run_saying_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Picky(Server):
        def claim(self, run_id: int, name: str) -> dict[str, Any]:
            return {"url": "http://www.example.localhost/", "scenario": "s"}

        def deliver(
            self,
            run_id: int,
            result: Any,
            har: Any,
            name: str,
            shot: Any = None,
            filmstrip: Any = None,
        ) -> None:
            if result["status"] == "succeeded":
                raise DeliveryRefused("delivery refused: metrics.load must be a finite number")
            self.stored.append((run_id, result, har, shot))

    class Measurement:
        result, har, screenshot, filmstrip = RESULT, HAR, None, None

    picky = Picky()
    monkeypatch.setattr(tasks, "default_delivery", lambda: picky)
    monkeypatch.setattr(tasks, "shared_pool", lambda: None)
    monkeypatch.setattr(tasks, "measure", lambda spec, pool: Measurement)

    assert tasks.run_scenario(7) == "failed"
    ((run_id, result, har, _),) = picky.stored
    assert (run_id, har, result["status"]) == (7, None, "failed")
    assert result["error"] == (
        "the server refused this run's result: DeliveryRefused: "
        "delivery refused: metrics.load must be a finite number"
    )
