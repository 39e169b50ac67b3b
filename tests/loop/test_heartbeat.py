"""Heartbeats: what they report, that a failing server does not stop them, and the browser
version reported by a child when ``chromium --version`` cannot tell."""

import subprocess
from typing import Any

import pytest
from django.db import connection

from agents import heartbeat, tasks
from agents.heartbeat import Heartbeat, agent_info, browser_version
from perfite import __version__
from scenarios.models import Agent


class Recorder:
    """A Delivery that records heartbeats (or fails, when told to)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.beats: list[tuple[str, str, dict[str, Any]]] = []

    def heartbeat(self, agent_name: str, location: str, info: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("server down")
        self.beats.append((agent_name, location, info))


@pytest.mark.system  # runs chromium --version
def test_the_browser_version_comes_from_chromium_itself() -> None:
    out = subprocess.run(["/usr/bin/chromium", "--version"], capture_output=True, text=True)
    version = browser_version()
    assert version.count(".") == 3
    assert f" {version} " in out.stdout


def test_an_unknown_chromium_version_is_left_out_of_the_heartbeat(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PERFITE_AGENT_LOAD_USERS = 6
    monkeypatch.setattr("agents.engines.chromium.find_chromium", lambda explicit="": None)
    monkeypatch.setattr("agents.engines.installed", lambda: {"firefox": "153.8.0"})
    assert agent_info(4) == {
        "version": __version__,
        "concurrency": 4,
        "browsers": {"firefox": "153.8.0"},
        "load_users": 6,
    }


def test_the_heartbeat_announces_the_browsers_whose_queues_it_serves(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PERFITE_AGENT_LOAD_USERS = 0
    found = {"chromium": "156.0.8078.108", "firefox": "153.8.0"}
    monkeypatch.setattr("agents.engines.installed", lambda: found)
    monkeypatch.setattr(heartbeat, "browser_version", lambda executable="": "156.0.8078.108")
    # Served, so announced: its runs come here, even with no version known for it.
    assert agent_info(2, ["firefox", "webkit"]) == {
        "version": __version__,
        "concurrency": 2,
        "browsers": {"firefox": "153.8.0", "webkit": ""},
        "load_users": 0,
        "browser_version": "156.0.8078.108",
    }
    assert agent_info(2)["browsers"] == found


def test_a_firefox_runs_version_is_not_reported_as_chromiums(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heartbeat, "browser_version", lambda executable="": "")
    monkeypatch.setattr(tasks, "_version_reported", False)
    recorder = Recorder()
    firefox = {"browser": "firefox", "browser_version": "153.8.0"}
    chromium = {"browser": "chromium", "browser_version": "150.0.1.2"}
    assert tasks.report_browser_version(recorder, "paris-1", firefox) is False  # type: ignore[arg-type]
    assert tasks.report_browser_version(recorder, "paris-1", chromium) is True  # type: ignore[arg-type]
    assert recorder.beats == [("paris-1", "local", {"browser_version": "150.0.1.2"})]


@pytest.mark.system  # agent_info runs chromium --version
@pytest.mark.django_db(transaction=True)  # a beat closes its thread's connection
def test_a_beat_records_the_agent_in_its_location(settings: Any) -> None:
    settings.PERFITE_AGENT_LOAD_USERS = 12
    beat = Heartbeat("eu-west-1", "eu-west", agent_info(2), every=30)
    assert beat.beat() is True
    assert connection.connection is None  # closed: a fork never inherits it
    agent = Agent.objects.get(name="eu-west-1")
    assert (agent.location.name, agent.version, agent.concurrency, agent.load_users) == (
        "eu-west",
        __version__,
        2,
        12,
    )
    assert agent.browser_version == browser_version()
    assert agent.browsers == agent_info(2)["browsers"]
    assert agent.browsers["chromium"] == browser_version()
    assert agent.is_live


def test_a_failing_server_does_not_stop_the_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    down = Recorder(fail=True)
    monkeypatch.setattr("agents.delivery.default_delivery", lambda: down)
    assert Heartbeat("a", "b", {}, every=30).beat() is False


def test_a_child_reports_the_browser_version_once_when_chromium_could_not_tell(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(heartbeat, "browser_version", lambda executable="": "")
    monkeypatch.setattr(tasks, "_version_reported", False)
    recorder = Recorder()
    result = {"browser_version": "150.0.1.2"}
    assert tasks.report_browser_version(recorder, "eu-west-1", result) is True  # type: ignore[arg-type]
    assert tasks.report_browser_version(recorder, "eu-west-1", result) is False  # type: ignore[arg-type]
    assert recorder.beats == [("eu-west-1", "local", {"browser_version": "150.0.1.2"})]


@pytest.mark.system  # asks chromium --version whether the heartbeats know it
def test_a_child_stays_quiet_when_the_heartbeats_know_the_browser(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tasks, "_version_reported", False)
    recorder = Recorder()
    sent = tasks.report_browser_version(recorder, "x", {"browser_version": "1.2.3.4"})  # type: ignore[arg-type]
    assert (sent, recorder.beats) == (False, [])
