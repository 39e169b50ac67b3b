"""Dashboard bench: server time of the scenario list and a scenario page at scale, page weight.

Usage (PostgreSQL; the database is created when missing, data generated once and reused):

    DATABASE_URL=postgres://root@127.0.0.1:5432/perfite_bench python bench/dashboard.py
    ... --scenarios 10 --runs 20000      # a quick, smaller run while developing
    ... --regenerate                     # drop the generated rows and make them again

Generates ``--scenarios`` scenarios on 3 locations (each on 1 or 2) and ``--runs`` runs spread
evenly over the scenario/location pairs at 15-minute intervals up to now (2 % failed), four
RunHost rows per run (two first-party, two third-party hosts), one open incident on every
tenth scenario and a few releases; all in SQL (INSERT … SELECT generate_series), so 500,000
runs and 2,000,000 host rows take well under a minute. Then times each page with Django's test
Client (server time: no network, no browser) and sums each page's HTML + CSS + JS bytes.
Writes the "Dashboard" section of bench/RESULTS.md unless ``--no-write``.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import setup_django, write_section  # noqa: E402

DEFAULT_URL = "postgres://root@127.0.0.1:5432/perfite_bench"
FREQUENCY_MIN = 15
PAGE_BUDGET = 300 * 1024
TARGET_MS = 200.0


def ensure_database(url: str) -> None:
    """Create the bench database named in ``url`` if it does not exist."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def generate(scenarios: int, runs: int) -> float:
    """Fill the database with the bench data set; return the seconds it took."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE scenarios_runhost, scenarios_run, scenarios_scenario_locations, "
            "scenarios_incident, scenarios_threshold, scenarios_release_scenarios, "
            "scenarios_release, scenarios_scenario, scenarios_location RESTART IDENTITY CASCADE"
        )
        cur.execute(
            "INSERT INTO scenarios_location (name, label, created_at) VALUES "
            "('eu-west', 'Europe', now()), ('us-east', 'US east', now()), "
            "('ap-south', 'Asia', now())"
        )
        cur.execute(
            "INSERT INTO scenarios_scenario (name, slug, url, script_format, script, steps, "
            "first_party, dns_overrides, block, budgets, frequency_minutes, cron, "
            "jitter_seconds, paused, next_due_at, created_at, updated_at) "
            "SELECT 'Scenario ' || lpad(g::text, 3, '0'), 'scenario-' || g, "
            "'https://www' || g || '.example.com/', 'url', '', '[]', '[]', '{}', '[]', '{}', "
            "%s, '', 0, g %% 17 = 0, now(), now(), now() FROM generate_series(1, %s) g",
            [FREQUENCY_MIN, scenarios],
        )
        # Every scenario on one location, every other one on a second.
        cur.execute(
            "INSERT INTO scenarios_scenario_locations (scenario_id, location_id) "
            "SELECT id, 1 + id % 3 FROM scenarios_scenario UNION ALL "
            "SELECT id, 1 + (id + 1) % 3 FROM scenarios_scenario WHERE id % 2 = 0"
        )
        cur.execute(
            "CREATE TEMP TABLE pairs AS SELECT row_number() OVER (ORDER BY scenario_id, "
            "location_id) - 1 AS n, scenario_id, location_id FROM scenarios_scenario_locations"
        )
        cur.execute("SELECT count(*) FROM pairs")
        pairs = cur.fetchone()[0]
        # Run g belongs to pair g % pairs and is (g / pairs) intervals old; metrics wobble
        # around a per-scenario baseline with a slow daily wave.
        cur.execute(
            "INSERT INTO scenarios_run (status, kind, created_at, started_at, finished_at, "
            "attempts, agent_name, error, har, har_size, screenshot, flagged, target_url, "
            "branch, commit, "
            "base_branch, base_commit, build_url, label, role, sequence, ttfb, fcp, lcp, cls, "
            "tbt, dom_content_loaded, load, fully_loaded, requests, transfer_bytes, "
            "first_party_bytes, third_party_bytes, third_party_requests, "
            "third_party_blocking_ms, scenario_id, location_id) "
            "SELECT CASE WHEN random() < 0.02 THEN 'failed' ELSE 'succeeded' END, "
            "'scheduled', t, t, t + interval '3 seconds', 1, 'bench', '', '', 0, '', '', '', '', "
            "'', '', '', '', '', '', 0, "
            "b * 0.2 + random() * 20, b * 0.6 + random() * 50, b + random() * 100 "
            "+ 80 * sin(extract(epoch FROM t) / 86400.0 * 6.283), random() * 0.1, "
            "random() * 50, b * 0.8, b * 1.3 + random() * 100, b * 1.8 + random() * 300, "
            "40 + (random() * 10)::int, tb, tb * 0.7, tb * 0.3, 12, random() * 40, "
            "p.scenario_id, p.location_id "
            "FROM (SELECT g, now() - (g / %s) * interval '1 minute' * %s AS t FROM "
            "generate_series(0, %s - 1) g) s "
            "JOIN pairs p ON p.n = s.g %% %s "
            "CROSS JOIN LATERAL (SELECT 800 + (p.scenario_id %% 10) * 150 AS b, "
            "(900000 + (p.scenario_id %% 7) * 100000 + (random() * 50000)::int) AS tb) m "
            "ORDER BY t",
            [pairs, FREQUENCY_MIN, runs, pairs],
        )
        cur.execute(
            "INSERT INTO scenarios_runhost (run_id, host, entity, party, requests, failed, "
            "body_bytes, transfer_bytes, time_ms, blocking_ms) "
            "SELECT r.id, h.host, h.entity, h.party, h.requests, 0, "
            "(r.transfer_bytes * h.share * 0.95)::bigint, (r.transfer_bytes * h.share)::bigint, "
            "h.requests * (20 + random() * 40), CASE WHEN h.party = 'third' "
            "THEN random() * 30 ELSE 0 END "
            "FROM scenarios_run r CROSS JOIN (VALUES "
            "('www.example.com', 'example.com', 'first', 5, 0.3), "
            "('static.example.com', 'example.com', 'first', 20, 0.4), "
            "('ads.adnet.com', 'adnet.com', 'third', 8, 0.2), "
            "('t.tracker.io', 'tracker.io', 'third', 4, 0.1)) "
            "AS h(host, entity, party, requests, share) WHERE r.status = 'succeeded'"
        )
        cur.execute(
            "INSERT INTO scenarios_threshold (scenario_id, location_id, kind, scope, key, metric, "
            "value, window_runs, baseline_days, enabled, baseline, baseline_at) "
            "SELECT id, NULL, 'absolute', 'page', '', 'lcp', 1500, 3, 7, true, NULL, NULL "
            "FROM scenarios_scenario WHERE id % 10 = 0"
        )
        cur.execute(
            "INSERT INTO scenarios_incident (threshold_id, location_id, opened_at, value, "
            "message, details) SELECT id, NULL, now(), 1600, 'lcp above 1500', '{}' "
            "FROM scenarios_threshold"
        )
        cur.execute(
            "INSERT INTO scenarios_release (name, time, note, link, created_at) "
            "SELECT 'v' || g, now() - g * interval '5 days', '', '', now() "
            "FROM generate_series(1, 6) g"
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return time.perf_counter() - started


def counts() -> tuple[int, int, int]:
    from scenarios.models import Run, RunHost, Scenario

    return Scenario.objects.count(), Run.objects.count(), RunHost.objects.count()


def timed(client: Any, url: str, repeat: int) -> dict[str, Any]:
    """Server time of GET ``url``: median/max with the cache emptied before every request
    (cold: every aggregate recomputed) and median with it kept (warm: closed chart buckets
    cached), after one warm-up request; plus the query count of a cold request."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    cold, warm = [], []
    for _ in range(repeat):
        cache.clear()
        started = time.perf_counter()
        response = client.get(url)
        cold.append((time.perf_counter() - started) * 1000)
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        warm.append((time.perf_counter() - started) * 1000)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "url": url,
        "median_ms": statistics.median(cold),
        "min_ms": min(cold),
        "max_ms": max(cold),
        "warm_ms": statistics.median(warm),
        "queries": len(queries),
        "html_bytes": len(response.content),
        "content": response.content.decode(),
    }


def page_weight(html: str) -> tuple[int, int]:
    """(HTML + every linked stylesheet and script, in bytes; of which static assets)."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    assets = 0
    prefix = "/" + settings.STATIC_URL.lstrip("/")
    for ref in re.findall(r'(?:href|src)="([^"]+\.(?:css|js))"', html):
        path = finders.find(ref.removeprefix(prefix))
        if path is None:
            raise SystemExit(f"static file not found: {ref}")
        assets += os.path.getsize(path)
    return len(html.encode()) + assets, assets


def sample_run() -> int:
    """A stored run with a 100-request result (for the run and compare pages' weight)."""
    from scenarios.models import Run, Scenario

    scenario = Scenario.objects.get(slug="scenario-1")
    requests = [
        {
            "url": f"https://{host}/assets/file-{i}.js?v=123456",
            "host": host,
            "party": party,
            "entity": host.split(".", 1)[1],
            "content_class": "js",
            "status": 200,
            "transfer_bytes": 12000,
            "body_bytes": 11000,
            "started_ms": i * 12.0,
            "duration_ms": 80.0,
            "method": "GET",
            "failed": False,
            "timings": {
                "blocked": 1,
                "dns": 5,
                "connect": 10,
                "ssl": 5,
                "send": 1,
                "wait": 40,
                "receive": 23,
            },
        }
        for i in range(100)
        for host, party in [(("www.example.com", "first"), ("ads.adnet.com", "third"))[i % 2]]
    ]
    result = {
        "schema": 1,
        "status": "succeeded",
        "metrics": {"lcp": 1500.0, "load": 1400.0},
        "requests": requests,
        "pages": [{"started_ms": 0, "metrics": {"fcp": 500, "load": 1400}}],
        "hosts": {},
        "entities": {},
        "parties": {},
        "content_classes": {},
        "steps": [],
    }
    # Written directly: scenarios.runs.store.store_result's select_for_update() over a nullable
    # join fails on PostgreSQL (reported); the page only reads these columns.
    run = Run.objects.create(
        scenario=scenario,
        location=scenario.locations.first(),
        status=Run.SUCCEEDED,
        result=result,
        lcp=1500.0,
        load=1400.0,
    )
    return run.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", type=int, default=100)
    parser.add_argument("--runs", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("the dashboard bench runs on PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    generated = None
    if args.regenerate or counts()[:2] != (args.scenarios, args.runs):
        generated = generate(args.scenarios, args.runs)
    n_scenarios, n_runs, n_hosts = counts()
    print(
        f"data: {n_scenarios} scenarios, {n_runs:,} runs, {n_hosts:,} host rows"
        + (f" (generated in {generated:.1f} s)" if generated else " (reused)")
    )
    user, _ = User.objects.get_or_create(
        username="bench", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    run_id = sample_run()
    pages = [
        ("scenario list", "/"),
        ("scenario page, 30 d", "/scenarios/scenario-2/?range=30d"),
        ("chart JSON, 30 d", "/scenarios/scenario-2/series.json?range=30d"),
        ("scenario page, 24 h", "/scenarios/scenario-2/?range=24h"),
        ("scenario page, 1 y", "/scenarios/scenario-2/?range=1y"),
        ("run page (100 requests)", f"/runs/{run_id}/"),
        ("compare page", f"/compare/?base={run_id}&branch={run_id}"),
        ("scenario form", "/scenarios/scenario-2/edit/"),
    ]
    load_before = os.getloadavg()[0]
    rows = []
    for label, url in pages:
        figures = timed(client, url, args.repeat)
        weight, assets = page_weight(figures["content"]) if "json" not in url else (0, 0)
        rows.append((label, figures, weight, assets))
        print(
            f"{label:26} cold median {figures['median_ms']:6.1f} ms  min-max "
            f"{figures['min_ms']:4.0f}-{figures['max_ms']:4.0f} ms  "
            f"warm {figures['warm_ms']:6.1f} ms  "
            f"{figures['queries']:2} queries  weight {weight / 1024:5.1f} KB"
        )
    from scenarios.models import Run

    Run.objects.filter(pk=run_id).delete()
    if args.no_write:
        return
    lines = [
        f"Command: `DATABASE_URL={DEFAULT_URL} python bench/dashboard.py"
        + (
            f" --scenarios {args.scenarios} --runs {args.runs}`"
            if (args.scenarios, args.runs) != (100, 500_000)
            else "`"
        ),
        "",
        f"Data: {n_scenarios} scenarios on 3 locations, {n_runs:,} runs every {FREQUENCY_MIN} "
        f"min per scenario/location, {n_hosts:,} per-host rows (PostgreSQL"
        + (f"; generated in SQL in {generated:.0f} s" if generated else "")
        + "). Server time is "
        f"Django's test Client in-process (no network), {args.repeat} requests each after a "
        "warm-up. *Cold*: the cache emptied before every request, so every aggregate is "
        "recomputed from the runs table; *warm*: closed chart/sparkline buckets served from "
        "the cache (the current bucket is always read fresh). Page weight = HTML + the "
        "page's CSS + JS, uncompressed. 1-minute load average before/after measuring: "
        f"{load_before:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a machine "
        "shared with other benches and browser tests, so times include waiting for a CPU).",
        "",
        "| page | cold median ms | cold min–max ms | warm median ms | queries (cold) "
        "| page weight KB | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, figures, weight, _ in rows:
        target = "≤ 200 ms" if label in ("scenario list", "scenario page, 30 d") else ""
        if weight:
            target += (" · " if target else "") + "≤ 300 KB"
        lines.append(
            f"| {label} | {figures['median_ms']:.1f} | "
            f"{figures['min_ms']:.0f}–{figures['max_ms']:.0f} | "
            f"{figures['warm_ms']:.1f} | {figures['queries']} | "
            f"{f'{weight / 1024:.1f}' if weight else '– (JSON)'} | {target} |"
        )
    write_section("Dashboard", "\n".join(lines))


if __name__ == "__main__":
    main()
