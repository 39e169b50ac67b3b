"""The agent part of bench/loop.py: one agent's runs per minute through the real worker, next
to the bare-Playwright ceiling measured in the same run. Run it through bench/loop.py."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from bench.common import ROOT, bare_page_load, drop_database, fresh_database, setup_django

AGENT_PAGE = "/blank"


def bare_worker(url: str, quiet_ms: int, seconds: float, out: Any) -> None:
    """One process of the bare-Playwright ceiling: warm browser, a fresh context per load,
    load + the same network quiet as a run; puts the number of loads in ``seconds``."""
    setup_django()
    from agents.pool import BrowserPool

    pool = BrowserPool(os.environ.get("PERFITE_BROWSER_PATH", ""))

    def load() -> None:
        bare_page_load(pool.browser(), url, quiet_ms)

    pool.call(load)  # warm
    out.put("ready")
    count, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        pool.call(load)
        count += 1
    pool.close()
    out.put(count)


def bare_ceiling(url: str, quiet_ms: int, concurrency: int, seconds: float) -> float:
    """Loads per minute of ``concurrency`` bare-Playwright processes running side by side."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    workers = [
        ctx.Process(target=bare_worker, args=(url, quiet_ms, seconds, out))
        for _ in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in range(2 * concurrency)]
    for worker in workers:
        worker.join(60)
    return sum(r for r in results if isinstance(r, int)) / seconds * 60


def agent_rate(site: Any, concurrency: int, quiet_ms: int, seconds: float) -> dict[str, Any]:
    """Runs per minute through ``manage.py agent`` (real worker, broker, delivery) in steady
    state: completions in a ``seconds`` window while the queue never runs dry."""
    from django.db import connection
    from django.utils import timezone

    from scenarios.models import Agent, Location, Run, Scenario
    from scenarios.runs.dispatch import enqueue_runs

    location = Location.objects.get_or_create(name="bench")[0]
    scenario = Scenario.objects.get_or_create(
        slug="bench", defaults={"name": "bench", "url": site.url(AGENT_PAGE), "paused": True}
    )[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "PERFITE_QUIET_MS": str(quiet_ms),
        "PERFITE_HEARTBEAT_EVERY": "2",
    }
    agent = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "agent",
            "--location",
            "bench",
            "--name",
            "bench-agent",
            "--concurrency",
            str(concurrency),
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def enqueue(n: int) -> list[Run]:
        runs = Run.objects.bulk_create(
            Run(scenario=scenario, location=location, kind=Run.KIND_MANUAL) for _ in range(n)
        )
        enqueue_runs(runs)  # sends right away: no transaction is open here
        return runs

    def wait(runs: list[Run], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        ids = [r.pk for r in runs]
        while Run.objects.filter(pk__in=ids).exclude(status__in=Run.FINISHED).exists():
            if time.monotonic() > deadline:
                raise SystemExit("agent bench: runs did not finish; is the agent running?")
            time.sleep(0.2)

    try:
        deadline = time.monotonic() + 60
        while not Agent.objects.filter(name="bench-agent").exists():
            if time.monotonic() > deadline or agent.poll() is not None:
                raise SystemExit("agent bench: the agent did not start")
            time.sleep(0.2)
        wait(enqueue(2 * concurrency), 120)  # warm: every child has launched its browser
        backlog = int(seconds * concurrency * 2) + 20  # more than the agent can do in time
        start = timezone.now()
        runs = enqueue(backlog)
        time.sleep(seconds + 8)
        window_start = start + timedelta(seconds=5)
        window_end = window_start + timedelta(seconds=seconds)
        done = Run.objects.filter(
            pk__in=[r.pk for r in runs], finished_at__gt=window_start, finished_at__lte=window_end
        )
        finished = done.count()
        succeeded = done.filter(status=Run.SUCCEEDED).count()
    finally:
        os.killpg(agent.pid, signal.SIGKILL)
        agent.wait(10)
    Run.objects.filter(status__in=[Run.QUEUED, Run.RUNNING]).update(status=Run.LOST)
    from perfite.celery import app

    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("agents.bench")
    return {
        "runs_per_min": round(finished / seconds * 60, 1),
        "succeeded": succeeded,
        "finished": finished,
    }


def part_agent(rest: list[str]) -> dict[str, Any]:
    from django.db import connection

    from demosite.server import DemoSite

    quiet_ms, seconds = int(rest[0]), float(rest[2])
    concurrencies = [int(n) for n in rest[1].split(",")]
    original = connection.settings_dict["NAME"]
    fresh_database()
    site = DemoSite().start()
    rows = []
    try:
        for concurrency in concurrencies:
            agent = agent_rate(site, concurrency, quiet_ms, seconds)
            bare = bare_ceiling(site.url(AGENT_PAGE), quiet_ms, concurrency, seconds)
            row = {"concurrency": concurrency, **agent, "bare_per_min": round(bare, 1)}
            rows.append(row)
            print(
                f"  concurrency {concurrency}: agent {row['runs_per_min']}/min "
                f"({row['succeeded']}/{row['finished']} succeeded), bare Playwright "
                f"{row['bare_per_min']}/min",
                flush=True,
            )
    finally:
        site.stop()
        drop_database(original)
    return {"quiet_ms": quiet_ms, "seconds": seconds, "page": AGENT_PAGE, "rows": rows}
