"""Run the standard bench set, one script after another (``make bench``).

    python bench/run_all.py                  # every script with its defaults: most of an hour
    python bench/run_all.py --quick          # a smoke run of the same scripts: a few minutes,
                                             # bench/RESULTS.md untouched
    python bench/run_all.py --only measure,alerts
    python bench/run_all.py --postgres ''    # SQLite only: the PostgreSQL runs are left out

Each script prints its figures and (except under ``--quick``) writes its own section of
bench/RESULTS.md, whose first line is the command that made it. ``--postgres`` names a
PostgreSQL server (default: DATABASE_URL when it is a PostgreSQL URL, else the local server
the scripts default to); the alerts and dashboard benches use their own databases on it,
created when missing (``…_quick`` ones under ``--quick``, so a smoke run never replaces the
dashboard's generated data), the loop bench scratch ones. A script that fails does not stop
the others; the exit status is 1 when any failed.
"""

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
LOCAL_POSTGRES = "postgres://root@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Bench:
    """One script of the set, as the standard run and the smoke run call it."""

    name: str
    script: str
    quick: tuple[str, ...]  # the smoke run's arguments (small sizes, --no-write)
    database: str = ""  # its own PostgreSQL database, given as DATABASE_URL
    server: bool = False  # takes the PostgreSQL server as --postgres


STANDARD = (
    Bench("measure", "measure.py", ("--runs", "1", "--no-write")),
    Bench("alerts", "alerts.py", ("--days", "1", "--no-write")),
    Bench("alerts-postgres", "alerts.py", ("--days", "1", "--no-write"), "perfite_bench_alerts"),
    Bench(
        "dashboard",
        "dashboard.py",
        ("--scenarios", "2", "--runs", "200", "--repeat", "1", "--no-write"),
        "perfite_bench",
    ),
    Bench(
        "loop",
        "loop.py",
        ("--sizes", "10", "--ingest-repeat", "1", "--concurrency", "1", "--seconds", "5")
        + ("--no-write",),
        server=True,
    ),
    Bench("ci", "ci_ab.py", ("--trials", "1", "--runs", "2", "--no-write")),
    Bench("har-ingest", "har_ingest.py", ("--mb", "20", "--entries", "400", "--no-write")),
    Bench("named-metrics", "named_metrics.py", ("--runs", "1", "--no-write"), server=True),
    Bench("filmstrip", "filmstrip.py", ("--runs", "1", "--no-write")),
)


def database_url(server: str, name: str) -> str:
    """``server`` (any PostgreSQL URL) pointing at database ``name``."""
    return urlsplit(server)._replace(path="/" + name).geturl()


def command(bench: Bench, quick: bool, server: str) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``bench``; DATABASE_URL only where it names the
    bench's own database (every other script picks its own, SQLite by default)."""
    argv = [sys.executable, str(BENCH / bench.script), *(bench.quick if quick else ())]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if bench.database:
        name = bench.database + ("_quick" if quick else "")
        env["DATABASE_URL"] = database_url(server, name)
    if bench.server and server:
        argv += ["--postgres", server]
    return argv, env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run, no RESULTS.md")
    parser.add_argument(
        "--only", default="", help="comma-separated names: " + ",".join(b.name for b in STANDARD)
    )
    database = os.environ.get("DATABASE_URL", "")
    parser.add_argument(
        "--postgres",
        default=database if database.startswith("postgres") else LOCAL_POSTGRES,
        help="PostgreSQL server URL; '' for SQLite only",
    )
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = set(names) - {b.name for b in STANDARD}
    if unknown:
        parser.error(f"unknown bench: {', '.join(sorted(unknown))}")
    chosen = [b for b in STANDARD if not names or b.name in names]
    outcomes: list[tuple[str, str, float]] = []
    for bench in chosen:
        if bench.database and not args.postgres:
            outcomes.append((bench.name, "left out: needs --postgres", 0.0))
            continue
        argv, env = command(bench, args.quick, args.postgres)
        print(f"\n=== {bench.name}: {' '.join(argv[1:])}", flush=True)
        start = time.monotonic()
        code = subprocess.run(argv, env=env, cwd=BENCH.parent, check=False).returncode
        seconds = time.monotonic() - start
        outcomes.append((bench.name, "ok" if code == 0 else f"failed (exit {code})", seconds))
    print("\n| bench | outcome | seconds |\n|---|---|---|")
    for name, outcome, seconds in outcomes:
        print(f"| {name} | {outcome} | {seconds:.0f} |")
    return 1 if any(o.startswith("failed") for _, o, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
