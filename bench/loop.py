"""Bench for the monitoring loop (issue 3): dispatch of due scenarios, server-side ingest of a
2 MB HAR, and one agent's runs per minute next to the bare-Playwright ceiling.

    python bench/loop.py [--parts dispatch,ingest,agent] [--postgres URL] [--quiet-ms 2000]

Every part runs in a fresh database (SQLite file; PostgreSQL too for dispatch and ingest when
``--postgres`` or DATABASE_URL names a server) and a throwaway Redis broker on a free port.
Prints the figures and writes the "Monitoring loop" section of bench/RESULTS.md.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import (  # noqa: E402
    ROOT,
    drop_database,
    fresh_database,
    setup_django,
    write_section,
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Redis:
    """A throwaway redis-server on a free port."""

    def __init__(self) -> None:
        program = shutil.which("redis-server")
        if program is None:
            sys.exit("redis-server is not installed: apt-get install redis-server")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                program,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


# --- parts, each run in a child process with its own DATABASE_URL ---------------------------


def part_dispatch(sizes: list[int]) -> dict[str, Any]:
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from scenarios.models import Agent, Location, Run, Scenario
    from scenarios.runs.dispatch import dispatch_due

    original = connection.settings_dict["NAME"]
    vendor = fresh_database()
    locations = [Location.objects.create(name=name) for name in ("eu-west", "us-east", "ap-south")]
    for location in locations:
        Agent.objects.create(name=f"{location.name}-1", location=location, last_seen=timezone.now())
    timings = []
    for size in sizes:
        Run.objects.all().delete()
        Scenario.objects.all().delete()
        due = timezone.now() - timedelta(seconds=1)
        Scenario.objects.bulk_create(
            Scenario(
                name=f"s{i}",
                slug=f"s{i}",
                url=f"http://example.com/{i}",
                frequency_minutes=5,
                next_due_at=due,
            )
            for i in range(size)
        )
        through = Scenario.locations.through
        through.objects.bulk_create(
            through(scenario_id=pk, location_id=location.pk)
            for pk in Scenario.objects.values_list("pk", flat=True)
            for location in locations
        )
        start = time.perf_counter()
        created = dispatch_due()
        elapsed = time.perf_counter() - start
        assert len(created) == size * len(locations), (len(created), size)
        assert Run.objects.count() == size * len(locations)
        timings.append({"scenarios": size, "runs": len(created), "seconds": round(elapsed, 3)})
        print(
            f"  {vendor}: {size} scenarios x 3 locations -> {len(created)} runs in {elapsed:.3f} s",
            flush=True,
        )
    drop_database(original)
    return {"vendor": vendor, "timings": timings}


def big_har(target_bytes: int) -> dict[str, Any]:
    """A HAR of about ``target_bytes`` of JSON, shaped like Chromium's."""
    entries = []
    i = 0
    size = 200
    while size < target_bytes:
        host = f"h{i % 40}.{'example.com' if i % 3 else 'cdn' + str(i % 7) + '.net'}"
        entry = {
            "startedDateTime": f"2026-11-23T10:00:{i % 60:02d}.{i % 1000:03d}Z",
            "time": 20.5,
            "_resourceType": ("script", "image", "stylesheet", "font", "xhr")[i % 5],
            "request": {
                "method": "GET",
                "url": f"https://{host}/assets/{i}/file-{i}.bin?v={i}",
                "httpVersion": "HTTP/1.1",
                "headers": [
                    {"name": "accept", "value": "*/*"},
                    {"name": "user-agent", "value": "Mozilla/5.0 (X11; Linux x86_64)"},
                    {"name": "cookie", "value": f"session={i}"},
                ],
                "queryString": [{"name": "v", "value": str(i)}],
                "cookies": [],
                "headersSize": -1,
                "bodySize": 0,
            },
            "response": {
                "status": 200,
                "statusText": "OK",
                "httpVersion": "HTTP/1.1",
                "headers": [
                    {"name": "content-type", "value": "application/octet-stream"},
                    {"name": "cache-control", "value": "max-age=3600"},
                    {"name": "content-length", "value": str(1000 + i)},
                ],
                "cookies": [],
                "content": {"size": 1000 + i, "mimeType": "application/octet-stream"},
                "redirectURL": "",
                "headersSize": -1,
                "bodySize": 1000 + i,
                "_transferSize": 1200 + i,
            },
            "cache": {},
            "timings": {
                "blocked": 0.5,
                "dns": -1,
                "connect": -1,
                "ssl": -1,
                "send": 0.1,
                "wait": 15.0,
                "receive": 4.9,
            },
        }
        size += len(json.dumps(entry)) + 1
        entries.append(entry)
        i += 1
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "bench", "version": "1"},
            "pages": [],
            "entries": entries,
        }
    }


def bench_result(hosts: int) -> dict[str, Any]:
    totals = {
        "requests": 10,
        "failed": 0,
        "body_bytes": 10000,
        "transfer_bytes": 12000,
        "time_ms": 200.0,
        "blocking_ms": 0.0,
    }
    return {
        "schema": 1,
        "scenario": "ingest",
        "location": "eu-west",
        "browser": "chromium",
        "browser_version": "156.0.0.0",
        "url": "https://www.example.com/",
        "started_at": "2026-11-23T10:00:00+00:00",
        "finished_at": "2026-11-23T10:00:03+00:00",
        "status": "succeeded",
        "error": None,
        "metrics": {
            "ttfb": 12.0,
            "fcp": 80.0,
            "lcp": 95.0,
            "cls": 0.0,
            "tbt": 0.0,
            "dom_content_loaded": 70.0,
            "load": 120.0,
            "fully_loaded": 400.0,
            "requests": 400,
            "transfer_bytes": 500000,
            "body_bytes": 450000,
        },
        "requests": [],
        "steps": [],
        "parties": {"first": totals, "third": totals},
        "hosts": {
            f"h{i}.example.com": {**totals, "party": "first", "entity": "example.com"}
            for i in range(hosts)
        },
        "entities": {"cdn.net": {**totals, "party": "third", "hosts": ["h1.cdn.net"]}},
        "content_classes": {"js": totals, "image": totals},
    }


def part_ingest(repeat: int) -> dict[str, Any]:
    import gzip
    import statistics

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from scenarios.models import Agent, Location, Run, Scenario
    from scenarios.runs.store import store_result

    original = connection.settings_dict["NAME"]
    vendor = fresh_database()
    settings.GRAPHITE_HOST = "127.0.0.1"  # fill the outbox too, as a Graphite install does
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="perfite-bench-media-")
    location = Location.objects.create(name="eu-west")
    agent = Agent.objects.create(name="eu-west-1", location=location)
    token = agent.issue_token()
    scenario = Scenario.objects.create(
        name="ingest", slug="ingest", url="https://www.example.com/", paused=True
    )
    har = big_har(2 * 1024 * 1024)
    raw = json.dumps(har).encode()
    har_gz = gzip.compress(raw)
    result = bench_result(40)
    direct, http = [], []
    client = Client()
    for _ in range(repeat):
        run = Run.objects.create(scenario=scenario, location=location)
        start = time.perf_counter()
        assert store_result(run.pk, result, har, agent_name=agent.name)
        direct.append(time.perf_counter() - start)
        run = Run.objects.create(scenario=scenario, location=location)
        har_file = ("run.har.gz", har_gz, "application/gzip")
        from django.core.files.uploadedfile import SimpleUploadedFile

        start = time.perf_counter()
        response = client.post(
            f"/api/ingest/runs/{run.pk}/",
            {"result": json.dumps(result), "har": SimpleUploadedFile(*har_file)},
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
        http.append(time.perf_counter() - start)
        assert response.status_code == 201, response.content
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    drop_database(original)
    figures = {
        "vendor": vendor,
        "har_bytes": len(raw),
        "har_gz_bytes": len(har_gz),
        "entries": len(har["log"]["entries"]),
        "store_result_ms": round(statistics.median(direct) * 1000, 1),
        "endpoint_ms": round(statistics.median(http) * 1000, 1),
        "store_result_best_ms": round(min(direct) * 1000, 1),
        "endpoint_best_ms": round(min(http) * 1000, 1),
    }
    print(f"  {vendor}: {figures}", flush=True)
    return figures


def report(figures: dict[str, Any], argv: list[str], load: tuple[float, float]) -> str:
    """The "Monitoring loop" section of bench/RESULTS.md."""
    lines = [
        "Command: `" + " ".join(["python bench/loop.py", *argv]) + "`",
        "",
        f"Machine: {os.cpu_count()} cores; load average {load[0]:.1f} before and {load[1]:.1f} "
        "after (other work shares this machine: wall times include waiting for a core).",
    ]
    if "dispatch" in figures:
        failed = [part for part in figures["dispatch"] if "error" in part]
        by_engine = {
            part["vendor"]: part["timings"] for part in figures["dispatch"] if "error" not in part
        }
        engines = list(by_engine)
        lines += [
            "",
            "### Dispatch: N scenarios x 3 locations, all due at once (target <= 5 s for 1,000)",
            "",
            "| scenarios | runs | " + " | ".join(f"{e} s" for e in engines) + " |",
            "|---|---|" + "---|" * len(engines),
        ]
        for i, row in enumerate(by_engine[engines[0]]):
            cells = " | ".join(f"{by_engine[e][i]['seconds']:.3f}" for e in engines)
            lines.append(f"| {row['scenarios']} | {row['runs']} | {cells} |")
        lines += [f"\n{part['vendor']} failed: `{part['error'][:200]}`" for part in failed]
        lines += [
            "",
            "One transaction per 250 scenarios, a compare-and-swap per scenario, runs "
            "inserted in bulk, messages sent after commit to a throwaway Redis (batches of "
            "400 runs or more over 4 connections at once).",
        ]
    if "ingest" in figures:
        lines += [
            "",
            "### Server-side ingest of one result with a 2 MB HAR (target <= 200 ms)",
            "",
            "| database | HAR JSON / gzipped | entries | store_result() median (best) | "
            "HTTP endpoint median (best) |",
            "|---|---|---|---|---|",
        ]
        for part in figures["ingest"]:
            if "error" in part:
                lines.append(f"| {part['vendor']} | failed: `{part['error'][:150]}` | | | |")
                continue
            lines.append(
                f"| {part['vendor']} | {part['har_bytes'] / 1e6:.2f} MB / "
                f"{part['har_gz_bytes'] / 1e3:.0f} kB | {part['entries']} | "
                f"{part['store_result_ms']:.0f} ms ({part['store_result_best_ms']:.0f}) | "
                f"{part['endpoint_ms']:.0f} ms ({part['endpoint_best_ms']:.0f}) |"
            )
        lines += [
            "",
            "store_result validates and sanitises the HAR, saves it gzipped, writes "
            "the run, per-host rows and Graphite outbox; the endpoint adds the multipart "
            "upload, gunzip and JSON parse (Django test client, token auth).",
        ]
    if "agent" in figures:
        agent = figures["agent"]
        lines += [
            "",
            f"### One agent: runs per minute on the demo site's `{agent['page']}` (goal >= 40/min)",
            "",
            f"Load + {agent['quiet_ms']} ms network quiet per run (the default end "
            f"condition); steady state over {agent['seconds']:.0f} s. The agent is "
            "`manage.py agent --concurrency N` (prefork worker, Redis broker, result "
            "stored in SQLite); the ceiling is N bare-Playwright processes in the same "
            "run (warm browser, new context per load, same end condition).",
            "",
            "| concurrency | agent runs/min | bare Playwright loads/min | agent / bare | "
            "succeeded |",
            "|---|---|---|---|---|",
        ]
        for row in agent["rows"]:
            ratio = row["runs_per_min"] / row["bare_per_min"] if row["bare_per_min"] else 0
            lines.append(
                f"| {row['concurrency']} | {row['runs_per_min']} | "
                f"{row['bare_per_min']} | {ratio:.2f} | "
                f"{row['succeeded']}/{row['finished']} |"
            )
    return "\n".join(lines) + "\n"


def run_part(part: str, db_url: str, broker: str, args: list[str]) -> dict[str, Any]:
    """Run ``part`` in a child process against ``db_url``; returns its JSON figures."""
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": broker,
        "BENCH_DB_NAME": f"perfite_bench_loop_{os.getpid()}"
        if db_url.startswith("postgres")
        else str(Path(tempfile.gettempdir()) / f"perfite-bench-{os.getpid()}.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, __file__, "--child", part, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0:
        # A part that fails is reported with its error, not hidden: the other parts still run.
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {part} on {db_url.split(':')[0]} failed: {error}", flush=True)
        return {
            "vendor": "postgresql" if db_url.startswith("postgres") else "sqlite",
            "error": error,
        }
    for line in lines[:-1]:
        print(line)
    return dict(json.loads(lines[-1]))


def child(part: str, rest: list[str]) -> None:
    setup_django()
    if part == "dispatch":
        figures = part_dispatch([int(n) for n in rest[0].split(",")])
    elif part == "ingest":
        figures = part_ingest(int(rest[0]))
    elif part == "agent":
        from bench.loop_agent import part_agent

        figures = part_agent(rest)
    else:
        raise SystemExit(f"unknown part {part}")
    print(json.dumps(figures), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="dispatch,ingest,agent")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL URL for the dispatch and ingest parts (optional)",
    )
    parser.add_argument("--sizes", default="100,250,500,1000")
    parser.add_argument("--ingest-repeat", type=int, default=7)
    parser.add_argument("--quiet-ms", type=int, default=2000)
    parser.add_argument("--concurrency", default="1,2,3")
    parser.add_argument(
        "--seconds", type=int, default=45, help="measuring time per agent configuration"
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    parts = args.parts.split(",")
    databases = ["sqlite:///" + str(Path(tempfile.gettempdir()) / "unused.sqlite3")]
    if args.postgres.startswith("postgres"):
        databases.append(args.postgres)
    redis = Redis()
    figures: dict[str, Any] = {}
    load_before = os.getloadavg()[0]
    try:
        if "dispatch" in parts:
            print("dispatch: all scenarios due at once, 3 locations with live agents")
            figures["dispatch"] = [
                run_part("dispatch", db, redis.url, [args.sizes]) for db in databases
            ]
        if "ingest" in parts:
            print("ingest: result + 2 MB HAR")
            figures["ingest"] = [
                run_part("ingest", db, redis.url, [str(args.ingest_repeat)]) for db in databases
            ]
        if "agent" in parts:
            print("agent: runs per minute on the demo site's /blank")
            figures["agent"] = run_part(
                "agent",
                databases[0],
                redis.url,
                [str(args.quiet_ms), args.concurrency, str(args.seconds)],
            )
    finally:
        redis.stop()
    text = report(figures, sys.argv[1:], (load_before, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section("Monitoring loop", text)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        child(sys.argv[2], sys.argv[3:])
    else:
        main()
