"""Chaos bench (issue 11): the whole stack under a steady load, with faults injected on a
timetable; counts what was lost.

    python bench/chaos.py [--minutes 60] [--no-write] [--keep]

Starts, as real processes: Redis (append-only) on a free port, a fresh PostgreSQL database
(DATABASE_URL names the server; default postgres://root@127.0.0.1:5432/postgres), gunicorn,
the server worker, beat, the demo site (``python -m demosite``), two local agents (location
``chaos``, writing to the database) and two remote ones (location ``remote``, delivering to
the web server with tokens from ``manage.py create_agent_token``, no database), and a fake
carbon counting every point (GRAPHITE_HOST/PORT). Six scenarios run every minute: four on
the local agents, two on the remote ones, slow pages among them. The faults (bench/
chaos_faults.py) run meanwhile. Then scheduling stops, in-flight runs settle (bounded by the
product's own lost-run cutoff, PERFITE_RUN_LOST_AFTER_S, left at its default), and the
database, file storage and fake carbon are counted (bench/chaos_counts.py). Prints the
figures and writes the "Chaos" section of bench/RESULTS.md.
"""

import argparse
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    commit,
    drop_database,
    fresh_database,
    setup_django,
    write_section,
)

LOCAL_POSTGRES = "postgres://root@127.0.0.1:5432/postgres"
# (slug, path on the demo site, location): four on the local agents, two on the remote ones.
LOAD = (
    ("c-home", "/", "chaos"),
    ("c-search", "/search", "chaos"),
    ("c-slow", "/?html_delay=15000", "chaos"),
    ("c-blank", "/blank", "chaos"),
    ("r-home", "/", "remote"),
    ("r-slow", "/?html_delay=10000", "remote"),
)
SAMPLE_S = 10


def child_env(workdir: Path) -> dict[str, str]:
    """The environment of every process of the stack: this one's, without Perfite's own
    knobs, plus the scratch database, folders and a shared secret key."""
    from django.conf import settings

    from tests.loop.services import database_url

    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PERFITE_", "GRAPHITE_", "CELERY_", "DATABASE_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="perfite.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DATABASE_URL=database_url(),
        PERFITE_VAR_DIR=str(workdir / "var"),
        PERFITE_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PERFITE_AGENT_SPOOL_DIR=str(workdir / "spool"),
        PERFITE_ALLOWED_NETWORKS=",".join(settings.PERFITE_ALLOWED_NETWORKS),
        GRAPHITE_PREFIX=settings.GRAPHITE_PREFIX,
        PYTHONUNBUFFERED="1",
    )
    return env


def start_stack(stack: Any) -> None:
    """Every process, then wait until all four agents have reported in."""
    from django.utils import timezone

    from bench.chaos_stack import LOCAL_AGENTS, REMOTE_AGENTS
    from scenarios.models import Agent

    stack.carbon.listen()
    stack.start_redis()
    stack.start_web()
    stack.start_demo()
    stack.start_server_side()
    stack.issue_tokens()
    agents = (*LOCAL_AGENTS, *REMOTE_AGENTS)
    for name in agents:
        stack.start_agent(name, wait=False)
    for name in agents:
        stack.wait_ready(name, "ready.")
    deadline = time.monotonic() + 60
    while Agent.objects.filter(
        name__in=agents, last_seen__gte=timezone.now() - timedelta(seconds=60)
    ).count() < len(agents):
        if time.monotonic() > deadline:
            raise SystemExit("the agents did not report in within 60 s")
        time.sleep(0.5)


def schedule_load(demo_port: int) -> datetime:
    """The six scenarios, every minute, all first due at the returned time (20 s from now,
    when the agents' browsers are warm)."""
    from django.utils import timezone

    from scenarios.models import Location, Scenario

    first = timezone.now().replace(microsecond=0) + timedelta(seconds=20)
    for slug, path, location in LOAD:
        scenario = Scenario.objects.create(
            name=slug,
            slug=slug,
            url=f"http://www.example.localhost:{demo_port}{path}",
            frequency_minutes=1,
            next_due_at=first,
        )
        scenario.locations.set([Location.objects.get_or_create(name=location)[0]])
    return first


def settle(bound_s: float, faults: Any) -> float:
    """Wait until no run is queued or running and every recovery watcher is done, for at
    most ``bound_s``; then for the Graphite outbox to empty (at most 3 min more). Returns
    the seconds waited."""
    from scenarios.models import GraphitePoint, Run

    start = time.monotonic()
    while time.monotonic() - start < bound_s:
        busy = Run.objects.filter(status__in=[Run.QUEUED, Run.RUNNING]).exists()
        if not busy and not faults.recovering():
            break
        time.sleep(5)
    outbox = time.monotonic()
    while GraphitePoint.objects.exists() and time.monotonic() - outbox < 180:
        time.sleep(5)
    return time.monotonic() - start


def end_sessions() -> None:
    """End the other sessions on the scratch database (a fault thread of a run stopped early
    may hold one), so that it can be dropped; close this thread's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    connection.close()


def minsec(seconds: float) -> str:
    return f"{int(seconds) // 60:02d}:{int(seconds) % 60:02d}"


def report(figures: dict[str, Any], faults: Any, argv: list[str]) -> str:
    """The "Chaos" section of bench/RESULTS.md."""
    runs, slots, points = figures["runs"], figures["slots"], figures["points"]
    load = figures["load"]
    lines = [
        "Command: `" + " ".join(["python bench/chaos.py", *argv]) + "`, at commit "
        f"{figures['commit']}, started {figures['started']} UTC.",
        "",
        f"Load for {figures['minutes']:.0f} minutes ({slots['expected'] // len(LOAD)} slots of "
        f"{len(LOAD)} scheduled scenarios, four on two local agents, two on two remote ones; "
        "c-slow loads `/?html_delay=15000`, r-slow `/?html_delay=10000`), then "
        f"{figures['settle_s']:.0f} s for in-flight runs and the Graphite outbox to settle "
        f"(lost-run cutoff PERFITE_RUN_LOST_AFTER_S={figures['lost_after_s']} s, the "
        f"default). Machine: {os.cpu_count()} cores shared with other work, load average "
        f"(1 min) {load[0]:.1f} to {load[1]:.1f}, mean {load[2]:.1f}.",
        "",
        "| agents | scheduled | succeeded | failed | timed out | lost | stuck | attempts > 1 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    total: dict[str, int] = {}
    for location, row in runs["table"].items():
        cells = [row.get(k, 0) for k in COLUMNS]
        total = {k: total.get(k, 0) + row.get(k, 0) for k in COLUMNS}
        lines.append(f"| {location} | " + " | ".join(str(c) for c in cells) + " |")
    lines.append("| **all** | " + " | ".join(f"**{total[k]}**" for k in COLUMNS) + " |")
    met = "met" if total["lost"] == total["stuck"] == 0 else "not met"
    span = "" if figures["minutes"] >= 59 else f" (this run: {figures['minutes']:.0f} minutes)"
    lines += [
        "",
        f"Target (issue 11), 0 runs lost over an hour under this load{span}: **{met}**, "
        f"{total['lost']} lost and {total['stuck']} stuck. A remote agent claiming again a run "
        "it holds (its worker child died) keeps the run's attempt count (claim_run's "
        "holder_repeats): the fault table says which runs were measured again.",
    ]
    if runs["reasons"]:
        lines += ["", "Runs that did not succeed, by reason:", ""]
        lines += [
            f"- {n} {status}: `{why or '(no error text)'}`" for (status, why), n in runs["reasons"]
        ]
    files = figures["files"]
    lines += [
        "",
        f"Schedule: {slots['expected']} slots expected, {slots['runs']} runs created, "
        f"**{slots['missed']} missed**, {slots['doubled']} doubled (more than one run in a "
        f"slot), {slots['outside']} outside the window.",
        "",
        f"Duplicate results: {slots['doubled']} doubled slots; {files['extra']} stored "
        f"files (HARs, screenshots, …) beyond the {files['named by runs']} the runs point to; "
        f"{points['more than once']} Graphite points received more than once.",
        "",
        f"Graphite: {points['expected']} points expected from the {points['runs']} stored runs "
        f"(scenarios.runs.graphite's names), **{points['exactly once']} received exactly "
        f"once** with their value; {points['missing']} missing, {points['more than once']} "
        f"more than once, {points['other value']} with another value, {points['unexpected']} "
        f"unexpected ({points['shared keys']} keys shared by two runs). Carbon connections: "
        + ", ".join(f"{n} {what}" for what, n in sorted(figures["connections"].items()))
        + ".",
        "",
        "### Faults",
        "",
        "| at | fault | target | what it hit | time to recover (from the fault; for an outage, "
        "from its end) |",
        "|---|---|---|---|---|",
    ]
    for record in faults.records:
        recovery = "; ".join(f"{what}: {value}" for what, value in record.recovery.items())
        lines.append(
            f"| {minsec(record.at_s) if record.at_s else '—'} | {record.fault} | "
            f"{record.target} | {record.note.strip()} | {recovery or '—'} |"
        )
    return "\n".join(lines) + "\n"


COLUMNS = ("scheduled", "succeeded", "failed", "timed_out", "lost", "stuck", "attempts > 1")


def run(args: argparse.Namespace) -> tuple[dict[str, Any], Any]:
    """Start the stack, run the load and the faults, settle, count; returns the figures and
    the fault records. Everything started is stopped, the database dropped (unless --keep)."""
    from django.conf import settings
    from django.db import connection

    from bench.chaos_counts import count_files, count_points, count_runs, count_slots
    from bench.chaos_faults import Faults
    from bench.chaos_stack import Stack
    from scenarios.models import Run, Scenario

    original = connection.settings_dict["NAME"]
    fresh_database()
    workdir = Path(tempfile.mkdtemp(prefix="perfite-chaos-"))
    settings.MEDIA_ROOT = str(workdir / "media")
    print(f"work folder (logs): {workdir}", flush=True)
    stack = Stack(workdir, child_env(workdir))
    samples: list[float] = []
    try:
        start_stack(stack)
        first = schedule_load(stack.demo_port)
        lost_after = settings.PERFITE_RUN_LOST_AFTER_S
        faults = Faults(stack, first.timestamp(), args.minutes, lost_after + 120)
        stop_at = first.timestamp() + args.minutes * 60 - 30  # between two slots
        thread = threading.Thread(target=faults.run, daemon=True)
        thread.start()
        while time.time() < stop_at:
            samples.append(os.getloadavg()[0])
            stack.remember_descendants()
            time.sleep(min(SAMPLE_S, max(0, stop_at - time.time())))
        Scenario.objects.update(paused=True)
        ended = time.time()
        print(f"load ended at {minsec(ended - first.timestamp())}; settling", flush=True)
        faults.stopped.set()
        thread.join()
        settle_s = settle(lost_after + 120, faults)
        faults.join()
        runs = list(
            Run.objects.filter(kind=Run.KIND_SCHEDULED).select_related("scenario", "location")
        )
        figures = {
            "started": first.astimezone(UTC).strftime("%Y-%m-%d %H:%M"),
            "commit": commit(),
            "minutes": (ended - first.timestamp()) / 60,
            "settle_s": settle_s,
            "lost_after_s": lost_after,
            "load": (min(samples), max(samples), sum(samples) / len(samples)),
            "runs": count_runs(runs),
            "slots": count_slots(runs, first, args.minutes, len(LOAD)),
            "files": count_files(runs),
            "points": count_points(runs, stack.carbon),
            "connections": dict(stack.carbon.connections),
        }
    finally:
        stack.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            end_sessions()
            drop_database(original)
    return figures, faults


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=60, help="minutes of load (default 60)")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the logs for inspection"
    )
    args = parser.parse_args()
    # Stopped early (Ctrl-C, or kill in the background, where a shell ignores SIGINT): stop
    # the stack and drop the database on the way out all the same.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = LOCAL_POSTGRES
    os.environ["BENCH_DB_NAME"] = f"perfite_bench_chaos_{os.getpid()}"
    setup_django()
    figures, faults = run(args)
    text = report(figures, faults, sys.argv[1:])
    print(text)
    if not args.no_write:
        write_section("Chaos", text)


if __name__ == "__main__":
    main()
