"""Load tests through the real loop: ``perfite-ci load`` asks a live server, a remote agent
process (its own worker, HTTP delivery with its token) runs the virtual users with real
Chromium against the demo site's /crowded page, whose server time grows with the requests in
flight; beat's watch and the server worker move the stages on. And a cancelled test stops
every user within seconds and leaves none of its browser's processes behind.
"""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from agents.usage import descendants
from core.load.plan import CONTINUOUS, Plan
from scenarios.load import stages
from scenarios.load.start import create_load_test
from scenarios.models import (
    Agent,
    GraphitePoint,
    Incident,
    LoadIteration,
    LoadShare,
    LoadTest,
    Location,
    Run,
    Scenario,
    Threshold,
)
from scenarios.models.fleet import hash_token
from tests.loop.conftest import Loop
from tests.loop.services import Process, wait_until
from tests.roles import role

WORK_MS = 1000  # of the demo server's shared processor, per request to /crowded
AGENT = "lab-agent"


@dataclass
class LabAgent:
    """The module's remote agent: its token and process."""

    token: str
    process: Process


@pytest.fixture(scope="module")
def lab_agent(loop: Loop, live_server: Any) -> Iterator[LabAgent]:
    """One remote agent of location ``lab`` for the module, holding 8 virtual users and
    reporting over HTTP to the live server with its token."""
    token = "pfa_load-lab-agent-token"
    process = loop.start_agent(
        "lab",
        AGENT,
        PERFITE_SERVER_URL=live_server.url,
        PERFITE_AGENT_TOKEN=token,
        PERFITE_AGENT_LOAD_USERS="8",
        DATABASE_URL="sqlite:////nonexistent/perfite-load-agent.sqlite3",
    )
    yield LabAgent(token, process)
    process.stop()


def lab(agent: LabAgent) -> Location:
    """Location ``lab``, whose load hosts are the demo site's, and its agent's row (tests
    start from an empty database), once the agent has reported in."""
    location = Location.objects.create(name="lab", load_hosts=["www.example.localhost"])
    Agent.objects.create(name=AGENT, location=location, token_hash=hash_token(agent.token))

    def holds_eight() -> bool:
        return Agent.objects.filter(name=AGENT, load_users=8, last_seen__isnull=False).exists()

    wait_until(holds_eight, 30, "the load agent's heartbeat", agent.process.output)
    return location


def browser_processes(root: int) -> set[int]:
    """The processes under the agent that are not its Python worker processes: browsers and
    Playwright drivers."""
    found = set()
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/comm") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        if not name.startswith(("python", "celery")):
            found.add(pid)
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


@pytest.mark.django_db(transaction=True)
def test_a_load_test_of_1_4_and_8_users_shows_the_server_time_grow_and_stays_out_of_monitoring(
    lab_agent: LabAgent, live_server: Any, site: Any, tmp_path: Path, settings: Any
) -> None:
    settings.GRAPHITE_HOST = "127.0.0.1"  # were a load iteration pushed, it would queue here
    location = lab(lab_agent)
    scenario = Scenario.objects.create(
        name="Crowded", slug="crowded", url=site.url(f"/crowded?work={WORK_MS}"), paused=True
    )
    scenario.locations.set([location])
    Threshold.objects.create(scenario=scenario, metric="ttfb", value=1.0, window_runs=1)
    editor = User.objects.create_user("ed", password="not-used-1")
    editor.groups.add(role("editor"))
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "perfite_ci.cli",
            "load",
            "--server",
            live_server.url,
            "--token",
            Token.objects.create(user=editor).key,
            "--scenario",
            "crowded",
            "--stages",
            "1,4,8",
            "--kind",
            "parallel",
            "--iterations",
            "1",
            "--metric",
            "ttfb",
            "--statistic",
            "median",
            "--limit",
            str(2 * WORK_MS),
            "--fail-below",
            "8",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=django_settings.BASE_DIR,
        env={k: v for k, v in os.environ.items() if not k.startswith("PERFITE_")},
    )
    assert done.returncode == 1, done.stderr + lab_agent.process.output()
    test = json.loads(out.read_text())
    rows = test["report"]["stages"]
    assert test["status"] == "done"
    assert [(r["users"], r["iterations"], r["succeeded"], r["error_rate"]) for r in rows] == [
        (1, 1, 1, 0.0),
        (4, 4, 4, 0.0),
        (8, 8, 8, 0.0),
    ]
    medians = [r["metrics"]["ttfb"]["median"] for r in rows]
    # Alone a request takes its work; 8 at once share the processor, however busy the agent.
    assert medians[0] >= WORK_MS
    assert medians[0] < medians[1] < medians[2]
    assert medians[2] >= 2 * medians[0]
    assert site.processor.busiest == 8  # the parallel users did reach the site together
    assert test["report"]["crossed"]["users"] == 4
    assert f"The median of ttfb crosses {2 * WORK_MS:,} at 4 users" in done.stdout
    # Each stage ran on the one agent, measuring its own CPU and memory per user.
    assert all(r["agents"]["lab-agent"]["users"] == r["users"] for r in rows)
    assert all(r["cpu_percent"] > 0 and r["pss_per_user"] > 0 for r in rows)
    # Stored under the load test, never as runs: no trend, no Graphite point, no incident.
    assert LoadIteration.objects.filter(load_test_id=test["id"]).count() == 13
    assert Run.objects.filter(scenario=scenario).count() == 0
    assert (GraphitePoint.objects.count(), Incident.objects.count()) == (0, 0)
    viewer = Client()
    viewer.force_login(editor)
    series = viewer.get("/scenarios/crowded/series.json?range=24h").json()
    assert all(v is None for values in series["metrics"]["ttfb"] for v in values)


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_load_test_stops_every_user_and_leaves_no_browser_behind(
    lab_agent: LabAgent, site: Any
) -> None:
    location = lab(lab_agent)
    agent = lab_agent.process
    # Each journey opens the page, then waits a minute on it.
    scenario = Scenario(
        name="Stuck",
        slug="stuck",
        url=site.url("/blank"),
        script_format=Scenario.FORMAT_YAML,
        script="steps:\n  - wait_for: {ms: 60000}\n",
        paused=True,
    )
    scenario.full_clean()
    scenario.save()
    scenario.locations.set([location])
    # The agent's own warm browser is up before the load test starts.
    wait_until(lambda: browser_processes(agent.pid), 60, "the agent's warm browser", agent.output)
    time.sleep(1)
    before = browser_processes(agent.pid)
    site.clear_log()
    test = create_load_test(scenario, Plan(CONTINUOUS, (3,), seconds=300))

    def waiting() -> bool:  # the share's rehearsal and its 3 users opened the page
        running = LoadShare.objects.filter(load_test=test, status=LoadShare.RUNNING).exists()
        return running and len(site.log_for("www.example.localhost")) == 4

    wait_until(waiting, 90, "3 users waiting on the page", agent.output)
    during = browser_processes(agent.pid) - before
    cancelled_at = time.monotonic()
    stages.cancel(test.pk, "cancelled by the test")
    share = LoadShare.objects.get(load_test=test)
    wait_until(
        lambda: LoadShare.objects.filter(pk=share.pk, status=LoadShare.STOPPED).exists(),
        30,
        "the share's last report",
        agent.output,
    )
    stopped_in = time.monotonic() - cancelled_at
    wait_until(
        lambda: not any(alive(pid) for pid in during),
        10,
        "the share's browser processes to end",
        agent.output,
    )
    left = browser_processes(agent.pid)
    test.refresh_from_db()
    assert test.status == LoadTest.CANCELLED
    assert stopped_in < 10
    assert len(during) >= 2  # the share's own driver and browser
    assert left == before  # only the agent's warm browser is left, as it was
    assert LoadIteration.objects.filter(load_test=test).count() == 0  # cut short: not measured
