"""Alerts bench: threshold evaluation after one run, and correlation over 30 days of runs.

Usage (SQLite file in /tmp by default; PostgreSQL when DATABASE_URL says so, the database is
created when missing):

    python bench/alerts.py
    DATABASE_URL=postgres://root@127.0.0.1:5432/perfite_bench_alerts python bench/alerts.py
    ... --days 3 --no-write        # a quick run while developing

Generates one scenario on one location with a run every 5 minutes for ``--days`` days (30:
8,640 runs), 20 hosts per run (RunHost rows) and a result document per run with content
classes, steps and 40 requests; on day 25 one ad host turns 400 ms slower and LCP follows.
Then times:

- ``evaluate_after_run`` of the newest run with 50 thresholds on the scenario (page absolute
  and relative, host, entity, party, content class, step, failure): the first evaluation
  (relative baselines computed) and the steady state (baselines cached), median of 30;
- ``correlation_report`` over the whole window (load from the database + correlation).

Writes the "Alerts" section of bench/RESULTS.md unless ``--no-write``.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django, write_section  # noqa: E402

EVAL_TARGET_MS = 20.0
CORRELATION_TARGET_S = 2.0
HOSTS = 20
SLOW_HOST = "securepubads.g.doubleclick.net"
EVERY_MIN = 5


def ensure_postgres_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def host_names() -> list[tuple[str, str]]:
    """(host, party) for the 20 hosts of every run."""
    first = [("www.shop.example.com", "first"), ("static.shop.example.com", "first")]
    third = [
        SLOW_HOST,
        "www.google-analytics.com",
        "www.googletagmanager.com",
        "connect.facebook.net",
        "static.hotjar.com",
        "widget.intercom.io",
        "fonts.googleapis.com",
        "fonts.gstatic.com",
        "cdnjs.cloudflare.com",
        "cdn.jsdelivr.net",
        "static.criteo.net",
        "cdn.taboola.com",
        "cdn.segment.com",
        "js-agent.newrelic.com",
        "browser.sentry-cdn.com",
        "cdn.optimizely.com",
        "i.ytimg.com",
        "ads.partner-network.io",
    ]
    return first + [(h, "third") for h in third]


def generate(days: int) -> tuple[int, int, datetime]:
    """Create the data set; return (scenario id, location id, first run time)."""
    from django.db import transaction

    from core.har.classify import registrable_domain
    from scenarios.models import Location, Run, RunHost, Scenario

    rng = random.Random(7)
    hosts = host_names()
    n = days * 24 * 60 // EVERY_MIN
    change = n * 25 // 30
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=EVERY_MIN * n)
    location = Location.objects.create(name="bench")
    scenario = Scenario.objects.create(name="Bench", slug="bench", url="https://shop.example.com/")
    created = Run._meta.get_field("created_at")
    created.auto_now_add = False  # type: ignore[attr-defined]  # keep the generated times
    batch = 500
    try:
        for lo in range(0, n, batch):
            runs: list[Run] = []
            for i in range(lo, min(n, lo + batch)):
                slow = i >= change
                lcp = 1800 + rng.gauss(0, 60) + (380 if slow else 0)
                failed = rng.random() < 0.01
                runs.append(
                    Run(
                        scenario=scenario,
                        location=location,
                        status=Run.FAILED if failed else Run.SUCCEEDED,
                        created_at=start + timedelta(minutes=EVERY_MIN * i),
                        lcp=None if failed else lcp,
                        fcp=None if failed else lcp * 0.6,
                        ttfb=None if failed else 120 + rng.gauss(0, 10),
                        load=None if failed else lcp + 400,
                        requests=40,
                        transfer_bytes=900_000 + rng.randint(0, 5_000),
                        third_party_bytes=300_000 + rng.randint(0, 5_000),
                        tbt=max(0.0, rng.gauss(50, 20)),
                        result=result_document(rng, slow),
                    )
                )
            with transaction.atomic():
                Run.objects.bulk_create(runs)
                RunHost.objects.bulk_create(
                    RunHost(
                        run=run,
                        host=host,
                        entity=registrable_domain(host),
                        party=party,
                        requests=2,
                        transfer_bytes=10_000 + j * 1_000 + rng.randint(0, 500),
                        body_bytes=9_000 + j * 1_000,
                        time_ms=max(
                            1.0,
                            40
                            + j * 5
                            + rng.gauss(0, 8)
                            + (400 if host == SLOW_HOST and i >= change else 0),
                        ),
                        blocking_ms=max(0.0, rng.gauss(5, 3)),
                    )
                    for i, run in zip(range(lo, lo + len(runs)), runs, strict=True)
                    for j, (host, party) in enumerate(hosts)
                )
    finally:
        created.auto_now_add = True  # type: ignore[attr-defined]
    return scenario.pk, location.pk, start


def result_document(rng: random.Random, slow: bool) -> dict[str, Any]:
    return {
        "status": "succeeded",
        "content_classes": {
            c: {"requests": 5, "transfer_bytes": 50_000 + rng.randint(0, 1000), "time_ms": 200.0}
            for c in ("html", "css", "js", "image", "font", "json")
        },
        "steps": [{"name": "home", "started_ms": 0.0, "duration_ms": 1500 + rng.gauss(0, 50)}],
        "requests": [
            {
                "url": f"https://cdn.example.com/asset/{k}.js",
                "host": "cdn.example.com",
                "status": 200,
                "transfer_bytes": 5_000,
                "duration_ms": 40.0 + k,
            }
            for k in range(40)
        ],
    }


def thresholds(scenario_id: int) -> None:
    """50 thresholds across kinds and scopes."""
    from scenarios.models import Threshold

    rows: list[Threshold] = []
    page_metrics = ("lcp", "fcp", "ttfb", "load", "tbt", "transfer_bytes", "third_party_bytes")
    for i in range(20):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                metric=page_metrics[i % 7],
                value=10_000_000 + i,
                window_runs=3 + i % 3,
            )
        )
    for i in range(10):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                kind=Threshold.RELATIVE,
                metric=page_metrics[i % 5],
                value=200 + i,
                window_runs=3,
            )
        )
    hosts = [h for h, _ in host_names()]
    for i in range(8):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                scope="host",
                key=hosts[i],
                metric="time_ms",
                value=10_000,
                window_runs=3,
            )
        )
    for key in ("Google Ads", "Hotjar", "google-analytics.com", "jsdelivr.net"):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                scope="entity",
                key=key,
                metric="time_ms",
                value=10_000,
                window_runs=3,
            )
        )
    for key in ("first", "third", "third"):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                scope="party",
                key=key,
                metric="transfer_bytes",
                value=10_000_000,
                window_runs=3,
            )
        )
    for key in ("js", "image"):
        rows.append(
            Threshold(
                scenario_id=scenario_id,
                scope="content_class",
                key=key,
                metric="transfer_bytes",
                value=10_000_000,
                window_runs=3,
            )
        )
    rows.append(
        Threshold(
            scenario_id=scenario_id,
            scope="content_class",
            key="css",
            kind=Threshold.RELATIVE,
            metric="transfer_bytes",
            value=300,
        )
    )
    rows.append(
        Threshold(
            scenario_id=scenario_id,
            scope="step",
            key="home",
            metric="duration_ms",
            value=100_000,
            window_runs=3,
        )
    )
    rows.append(Threshold(scenario_id=scenario_id, kind=Threshold.FAILURE, window_runs=3))
    assert len(rows) == 50, len(rows)
    Threshold.objects.bulk_create(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    if engine == "PostgreSQL":
        ensure_postgres_database(url)
    else:
        path = Path(tempfile.gettempdir()) / "perfite-bench-alerts.sqlite3"
        path.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if engine == "PostgreSQL":
        with connection.cursor() as cur:
            cur.execute(
                "TRUNCATE scenarios_notification, scenarios_incident, scenarios_threshold, "
                "scenarios_runhost, scenarios_run, scenarios_scenario_locations, "
                "scenarios_scenario, scenarios_location RESTART IDENTITY CASCADE"
            )

    from scenarios.alerts.evaluate import evaluate_after_run
    from scenarios.alerts.insights import correlation_report
    from scenarios.models import Incident, Run, RunHost, Threshold

    t0 = time.perf_counter()
    scenario_id, location_id, start = generate(args.days)
    gen_s = time.perf_counter() - t0
    if engine == "PostgreSQL":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    runs, host_rows = Run.objects.count(), RunHost.objects.count()
    print(f"{engine}: generated {runs} runs, {host_rows} host rows in {gen_s:.1f} s")

    thresholds(scenario_id)
    newest = Run.objects.filter(status=Run.SUCCEEDED).order_by("-created_at").first()
    assert newest is not None
    t0 = time.perf_counter()
    evaluate_after_run(newest.pk)
    first_ms = (time.perf_counter() - t0) * 1000
    steady: list[float] = []
    steady_cpu: list[float] = []
    for _ in range(30):
        t0, c0 = time.perf_counter(), time.process_time()
        evaluate_after_run(newest.pk)
        steady.append((time.perf_counter() - t0) * 1000)
        steady_cpu.append((time.process_time() - c0) * 1000)
    eval_ms, eval_cpu = statistics.median(steady), statistics.median(steady_cpu)
    opened = Incident.objects.count()
    cached = Threshold.objects.filter(baseline__isnull=False).count()
    print(
        f"evaluation, 50 thresholds: first {first_ms:.1f} ms, steady median {eval_ms:.1f} ms "
        f"({eval_cpu:.1f} ms CPU; {opened} incidents opened, {cached} baselines cached)"
    )

    # An evaluation that opens a page incident also looks for its culprits (96 runs).
    crossing = Threshold.objects.create(scenario_id=scenario_id, metric="lcp", value=1000)
    t0 = time.perf_counter()
    evaluate_after_run(newest.pk)
    opening_ms = (time.perf_counter() - t0) * 1000
    opened_incident = Incident.objects.get(threshold=crossing)
    crossing.delete()
    print(f"evaluation opening an LCP incident: {opening_ms:.1f} ms; {opened_incident.message}")

    timings: list[float] = []
    cpu: list[float] = []
    report: dict[str, Any] = {}
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        report = correlation_report(scenario_id, location_id, since=start - timedelta(minutes=1))
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    corr_s, corr_cpu = statistics.median(timings), statistics.median(cpu)
    load = os.getloadavg()[0]
    top = report["hosts"][0]["key"] if report["hosts"] else None
    culprit = (
        report["regressions"][-1]["culprits"][0]["key"]
        if report["regressions"] and report["regressions"][-1]["culprits"]
        else None
    )
    print(
        f"correlation over {report['runs']} runs: median {corr_s:.2f} s of 3 ({corr_cpu:.2f} s "
        f"CPU, load average {load:.1f}); top host {top}, "
        f"culprit of the last regression {culprit}"
    )

    if args.no_write:
        return
    prefix = f"DATABASE_URL={url} " if engine == "PostgreSQL" else ""
    rows = [
        (
            "threshold evaluation after one run, 50 thresholds, baselines cached (median of 30)",
            f"{eval_ms:.1f} ms wall, {eval_cpu:.1f} ms CPU",
            f"<= {EVAL_TARGET_MS:.0f} ms",
        ),
        (
            "same, first evaluation (11 relative baselines computed over 7 days)",
            f"{first_ms:.1f} ms",
            "once an hour per threshold",
        ),
        (
            "same, when it opens an LCP incident (culprit search over the last 96 runs)",
            f"{opening_ms:.1f} ms",
            "on state changes only",
        ),
        (
            f"correlation_report over {args.days} days (load + rank + regressions, median of 3)",
            f"{corr_s:.2f} s wall, {corr_cpu:.2f} s CPU",
            f"<= {CORRELATION_TARGET_S:.0f} s",
        ),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    write_section(
        f"Alerts ({engine})",
        f"Command: `{prefix}python bench/alerts.py --days {args.days}` ({runs:,} runs at "
        f"{EVERY_MIN}-minute intervals, {host_rows:,} RunHost rows, {HOSTS} hosts per run).\n\n"
        "| what | measured | target |\n|---|---|---|\n"
        f"{table}\n\n"
        f"Correlation ranks `{top}` first and names `{culprit}` as the culprit of the injected "
        "regression (+400 ms on that host from day 25). Measured on a shared 2-CPU machine "
        f"(load average {load:.1f} during the run): wall time there is CPU time plus waiting "
        "for a core. Of the CPU time, loading the window (2 queries, ~171k host rows) takes "
        "about a third, the three passes of core.stats.correlation over the host dicts the rest.",
    )


if __name__ == "__main__":
    main()
