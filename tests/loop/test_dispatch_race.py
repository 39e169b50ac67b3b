"""Racing dispatch ticks (threads of one process, and separate processes) never duplicate a run."""

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from scenarios.models import Location, Run, Scenario
from scenarios.runs.dispatch import dispatch_due
from tests.loop.conftest import Loop
from tests.loop.services import BASE_DIR

SCENARIOS = 40


def due_soon(prefix: str, locations: list[Location]) -> Any:
    """SCENARIOS scenarios on ``locations``, due in a minute (long after the real beats' ticks
    would see them, so only the racers below claim them); returns the moment to dispatch at."""
    due = timezone.now() + timedelta(minutes=1)
    for i in range(SCENARIOS):
        scenario = Scenario.objects.create(
            name=f"{prefix} {i}",
            slug=f"{prefix}-{i}",
            url="http://www.example.localhost/",
            frequency_minutes=10,
            next_due_at=due,
        )
        scenario.locations.set(locations)
    return due + timedelta(seconds=1)


def assert_one_run_per_pair(prefix: str, locations: list[Location]) -> None:
    pairs = Counter(
        Run.objects.filter(scenario__slug__startswith=f"{prefix}-").values_list(
            "scenario_id", "location_id"
        )
    )
    assert len(pairs) == SCENARIOS * len(locations)
    assert set(pairs.values()) == {1}


@pytest.mark.django_db(transaction=True)
def test_racing_threads_dispatch_each_due_pair_once(loop: Loop) -> None:
    locations = [Location.objects.create(name=f"race-t{i}") for i in range(2)]
    at = due_soon("threads", locations)
    barrier = threading.Barrier(4)
    created: list[list[int]] = []

    def tick() -> None:
        barrier.wait()
        try:
            created.append(dispatch_due(at))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(created) == 4
    assert sorted(run for ids in created for run in ids) == sorted(
        Run.objects.filter(scenario__slug__startswith="threads-").values_list("pk", flat=True)
    )
    assert_one_run_per_pair("threads", locations)


RACER = """
import json, sys, time
import django
django.setup()
from datetime import datetime
from scenarios.runs.dispatch import dispatch_due
start, at = float(sys.argv[1]), datetime.fromisoformat(sys.argv[2])
time.sleep(max(start - time.time(), 0))
print(json.dumps(dispatch_due(at)))
"""


@pytest.mark.django_db(transaction=True)
def test_racing_processes_dispatch_each_due_pair_once(loop: Loop) -> None:
    locations = [Location.objects.create(name=f"race-p{i}") for i in range(2)]
    at = due_soon("procs", locations)
    start = time.time() + 3  # both processes are set up by then and start together
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(start), at.isoformat()],
            env=loop.env,
            cwd=BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [racer.communicate(timeout=60) for racer in racers]
    assert [racer.returncode for racer in racers] == [0, 0], outputs
    created = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert len(created[0]) + len(created[1]) == SCENARIOS * len(locations)
    assert_one_run_per_pair("procs", locations)
