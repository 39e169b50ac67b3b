"""``manage.py agent`` builds the right worker command; ``create_agent_token`` issues tokens."""

import os
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from agents.heartbeat import agent_location, served_browsers
from agents.management.commands.agent import worker_argv
from scenarios.models import Agent, Location


def test_an_agent_is_a_fair_prefork_worker_on_its_locations_queues_now_queue_first() -> None:
    assert worker_argv("eu-west", "eu-west-1", 3, "info", False) == [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "perfite",
        "worker",
        "-Q",
        "agents.eu-west.now,agents.eu-west",
        "-n",
        "eu-west-1@%h",
        "--pool",
        "prefork",
        "--concurrency",
        "3",
        "--prefetch-multiplier",
        "1",
        "-O",
        "fair",
        "--without-mingle",
        "--without-gossip",
        "--loglevel",
        "info",
    ]


def test_a_single_machine_agent_also_serves_the_server_queue() -> None:
    argv = worker_argv("local", "local@box", 1, "warning", True)
    assert argv[argv.index("-Q") + 1] == "agents.local.now,agents.local,perfite"
    assert argv[argv.index("-n") + 1] == "local@box"


def test_an_agent_with_several_browsers_serves_every_now_queue_first() -> None:
    argv = worker_argv("paris", "paris-1", 1, "warning", True, ["chromium", "firefox"])
    assert argv[argv.index("-Q") + 1] == (
        "agents.paris.now,agents.paris.firefox.now,agents.paris,agents.paris.firefox,perfite"
    )


def test_a_firefox_only_agent_serves_no_chromium_queue() -> None:
    argv = worker_argv("paris", "paris-1", 1, "warning", False, ["firefox"])
    assert argv[argv.index("-Q") + 1] == "agents.paris.firefox.now,agents.paris.firefox"


def test_only_workers_on_an_agents_queue_send_heartbeats(settings: Any) -> None:
    settings.PERFITE_LOCATION = "us-east"
    assert agent_location(["perfite"]) is None
    assert agent_location(["agents.eu-west"]) == "eu-west"
    assert agent_location(["agents.eu-west", "agents.us-east", "perfite"]) == "us-east"
    assert agent_location(["agents.eu-west.now", "agents.eu-west"]) == "eu-west"
    assert agent_location(["agents.paris.firefox.now", "agents.paris.firefox"]) == "paris"
    assert agent_location(["agents.paris.opera", "perfite"]) is None


def test_a_worker_announces_the_browsers_of_its_locations_queues_in_order() -> None:
    names = [
        "agents.paris.now",
        "agents.paris.webkit.now",
        "agents.paris",
        "agents.paris.webkit",
        "agents.lyon.firefox",
        "perfite",
    ]
    assert served_browsers(names, "paris") == ["chromium", "webkit"]
    assert served_browsers(names, "lyon") == ["firefox"]
    assert served_browsers(["agents.paris.firefox.now"], "paris") == ["firefox"]


def test_the_agent_command_refuses_a_location_that_is_not_a_slug() -> None:
    with pytest.raises(CommandError, match="must be a slug"):
        call_command("agent", "--location", "eu west")


def test_a_remote_agent_needs_its_token(settings: Any) -> None:
    settings.PERFITE_SERVER_URL = "https://perfite.example.com"
    settings.PERFITE_AGENT_TOKEN = ""
    with pytest.raises(CommandError, match="create_agent_token --location eu-west"):
        call_command("agent", "--location", "eu-west", "--name", "eu-west-2")


@pytest.mark.django_db
def test_create_agent_token_prints_a_token_that_authenticates_the_agent() -> None:
    out, err = StringIO(), StringIO()
    call_command(
        "create_agent_token",
        "--location",
        "us-east",
        "--name",
        "us-east-2",
        "--label",
        "Virginia",
        stdout=out,
        stderr=err,
    )
    token = out.getvalue().strip()
    assert token.startswith("pfa_")
    agent = Agent.for_token(token)
    assert agent is not None
    assert (agent.name, agent.location.name, agent.location.label) == (
        "us-east-2",
        "us-east",
        "Virginia",
    )
    assert err.getvalue() == "created agent us-east-2 in location us-east; its token:\n"


@pytest.mark.django_db
def test_a_new_token_replaces_the_old_one() -> None:
    first, second = StringIO(), StringIO()
    call_command(
        "create_agent_token",
        "--location",
        "us-east",
        "--name",
        "a",
        stdout=first,
        stderr=StringIO(),
    )
    call_command(
        "create_agent_token",
        "--location",
        "us-east",
        "--name",
        "a",
        stdout=second,
        stderr=StringIO(),
    )
    assert Agent.for_token(first.getvalue().strip()) is None
    assert Agent.for_token(second.getvalue().strip()) == Agent.objects.get(name="a")


@pytest.mark.django_db
def test_an_agent_cannot_change_location_through_a_new_token() -> None:
    Agent.objects.create(name="a", location=Location.objects.create(name="eu-west"))
    with pytest.raises(CommandError, match="belongs to location 'eu-west'"):
        call_command(
            "create_agent_token",
            "--location",
            "us-east",
            "--name",
            "a",
            stdout=StringIO(),
            stderr=StringIO(),
        )


class Exec(Exception):
    """Raised instead of replacing the test process with a worker."""


@pytest.mark.django_db(transaction=True)  # the command closes its connection before exec
def test_a_local_agent_creates_its_location_then_becomes_the_worker(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PERFITE_SERVER_URL = ""

    def execv(path: str, argv: list[str]) -> None:
        raise Exec(path, argv)

    monkeypatch.setattr("os.execv", execv)
    monkeypatch.setattr(
        "agents.engines.installed", lambda: {"chromium": "156.0.1.2", "firefox": "153.8.0"}
    )
    monkeypatch.setattr("agents.engines.missing", lambda: {"webkit": "No WebKit: install it"})
    for name in ("PERFITE_LOCATION", "PERFITE_AGENT_NAME", "PERFITE_AGENT_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    err = StringIO()
    with pytest.raises(Exec) as replaced:
        call_command(
            "agent",
            "--location",
            "ap-south",
            "--label",
            "Singapore",
            "--name",
            "ap-south-1",
            "--concurrency",
            "2",
            stdout=StringIO(),
            stderr=err,
        )
    assert err.getvalue() == "No WebKit: install it\n"  # one line per browser it cannot drive
    path, argv = replaced.value.args
    assert (path, argv) == (
        sys.executable,
        worker_argv("ap-south", "ap-south-1", 2, "warning", False, ["chromium", "firefox"]),
    )
    assert argv[argv.index("-Q") + 1] == (
        "agents.ap-south.now,agents.ap-south.firefox.now,agents.ap-south,agents.ap-south.firefox"
    )
    assert Location.objects.get(name="ap-south").label == "Singapore"

    assert (
        os.environ["PERFITE_LOCATION"],
        os.environ["PERFITE_AGENT_NAME"],
        os.environ["PERFITE_AGENT_CONCURRENCY"],
    ) == ("ap-south", "ap-south-1", "2")


@pytest.mark.django_db(transaction=True)  # the command closes its connection before exec
def test_an_agent_that_finds_no_browser_serves_chromiums_queues_saying_so(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.PERFITE_SERVER_URL = ""
    settings.PERFITE_BROWSERS = ["webkit"]

    def execv(path: str, argv: list[str]) -> None:
        raise Exec(path, argv)

    monkeypatch.setattr("os.execv", execv)
    monkeypatch.setattr("agents.engines.installed", lambda: {})
    monkeypatch.setattr("agents.engines.missing", lambda: {"webkit": "No WebKit: install it"})
    err = StringIO()
    with pytest.raises(Exec) as replaced:
        call_command("agent", "--location", "lima", stdout=StringIO(), stderr=err)
    argv = replaced.value.args[1]
    assert argv[argv.index("-Q") + 1] == "agents.lima.now,agents.lima"
    assert err.getvalue() == (
        "No WebKit: install it\n"
        "no browser found on this machine (PERFITE_BROWSERS: webkit): serving Chromium's "
        "queues; its runs will fail until one is installed (README, Browsers: which agents "
        "measure a scenario)\n"
    )
