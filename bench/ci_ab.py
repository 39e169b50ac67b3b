"""Bench for the CI gate (issue 5): A/A and A/B trials of paired, interleaved comparisons.

    python bench/ci_ab.py [--trials 40] [--runs 5] [--quiet-ms 300]

Each trial is one comparison of ``--runs`` base and ``--runs`` branch runs of the demo site's
home page, measured by a real Chromium through the real path: comparison.create_comparison
→ runs enqueued one at a time → an agent (a thread of this process running
``agents.tasks.run_scenario``, as a worker on the server machine does) → store_result →
comparison.advance (polled every 100 ms, as the API's status call does) → the report. The
demo site is served by its own process.
A/A trials measure the same URL on both sides; A/B trials delay the branch page's
render-blocking third-party script (ads.other.localhost) by 300 ms. A/A and A/B trials
alternate so machine drift hits both equally.

Reports the false-regression rate (A/A), detection rate (A/B), attribution accuracy (the top
host of the LCP attribution — or of the first regressed metric — is ads.other.localhost),
runs per minute of the interleaved comparisons (warm-up runs included) and of a bare
Playwright loop on the same page, and writes the "CI gate" section of bench/RESULTS.md.
Uses its own temporary database.
"""

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

WORKDIR = Path(tempfile.mkdtemp(prefix="perfite-bench-ci-"))
os.environ["DATABASE_URL"] = f"sqlite:///{WORKDIR / 'bench.sqlite3'}"
os.environ["PERFITE_MEDIA_ROOT"] = str(WORKDIR / "media")
os.environ.setdefault("PERFITE_QUIET_MS", "300")
for arg in sys.argv:  # the quiet period is read once, by settings, at startup
    if arg.startswith("--quiet-ms="):
        os.environ["PERFITE_QUIET_MS"] = arg.split("=", 1)[1]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import bare_load, setup_django, write_section  # noqa: E402

setup_django()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from demosite.server import DemoSite  # noqa: E402
from perfite.celery import app  # noqa: E402
from scenarios.ci import workflow as comparisons  # noqa: E402
from scenarios.models import Comparison, Location, Run, Scenario  # noqa: E402

SLOW_HOST = "ads.other.localhost"


class Agent:
    """One agent on the server machine: runs the tasks the server sends, one at a time."""

    def __init__(self) -> None:
        self.sent: queue.Queue[int | None] = queue.Queue()
        self.thread = threading.Thread(target=self._work, daemon=True)
        self.thread.start()

    def send_task(self, name: str, args: list[Any] | None = None, *_: Any, **__: Any) -> None:
        """Takes the runs the server sends (apply_async passes more, positionally). Other
        tasks, alert evaluation after each run, have nothing to do: the bench has no
        thresholds."""
        if name == "agents.tasks.run_scenario":
            self.sent.put(int((args or [0])[0]))

    def _work(self) -> None:
        from agents.tasks import run_scenario

        while (run_id := self.sent.get()) is not None:
            run_scenario(run_id)
        connection.close()


def trial(scenario: Scenario, base_url: str, branch_url: str, runs: int) -> Comparison:
    created = comparisons.create_comparison(
        scenario, iterations=runs, base_url=base_url, branch_url=branch_url
    )
    while True:
        current = comparisons.advance(created.pk)
        if current.status in Comparison.SETTLED:
            return current
        time.sleep(0.1)


def top_host(report: dict[str, Any]) -> str | None:
    """The top host of the LCP attribution, else of the first regressed metric's."""
    items = sorted(report.get("attribution", []), key=lambda item: item["metric"] != "lcp")
    for item in items:
        if item["hosts"]:
            return str(item["hosts"][0]["name"])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=40, help="A/A and A/B trials each")
    parser.add_argument("--runs", type=int, default=5, help="runs per side")
    parser.add_argument("--quiet-ms", type=int, default=300)
    parser.add_argument("--delay-ms", type=int, default=300)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="print every trial's table")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    agent = Agent()
    app.send_task = agent.send_task  # type: ignore[method-assign]
    # The site gets its own process: served from a thread of this one, every request would
    # wait for the GIL held by the agent's and the comparison's Python work.
    site_process = subprocess.Popen(
        [sys.executable, "-m", "demosite", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert site_process.stdout is not None
    home = site_process.stdout.readline().split("Demo site: ", 1)[1].strip()
    site = DemoSite(port=int(home.rsplit(":", 1)[1].strip("/")))
    location = Location.objects.create(name="local")
    scenario = Scenario.objects.create(name="Demo", slug="demo", url=site.url("/"), paused=True)
    scenario.locations.add(location)
    base_url, slow_url = site.url("/"), site.url(f"/?ads_delay={args.delay_ms}")
    trial(scenario, base_url, base_url, 2)  # warm the browser and the code paths

    outcomes: dict[str, list[Comparison]] = {"aa": [], "ab": []}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    for index in range(args.trials):
        for kind, branch_url in (("aa", base_url), ("ab", slow_url)):
            done = trial(scenario, base_url, branch_url, args.runs)
            outcomes[kind].append(done)
            print(
                f"{kind} {index + 1}/{args.trials}: {done.status} {done.verdict} "
                f"{top_host(done.report or {}) or ''} {done.error}",
                flush=True,
            )
            if args.verbose:
                print(_table(done), flush=True)
    elapsed = time.perf_counter() - started
    ci_runs = Run.objects.filter(comparison__in=[c for v in outcomes.values() for c in v])
    total_runs = ci_runs.count()
    failed_runs = ci_runs.exclude(status=Run.SUCCEEDED).count()
    runs_per_min = total_runs / (elapsed / 60)

    from agents.pool import close_shared_pool, shared_pool

    bare = [bare_load(shared_pool(), base_url, args.quiet_ms) for _ in range(20)]
    bare_per_min = 60 / statistics.median(bare)

    aa, ab = outcomes["aa"], outcomes["ab"]
    missed = [c for c in ab if c.verdict != "regression"]
    stalled, missed_base = _stalled_base_runs(missed, args.delay_ms)
    all_base = Run.objects.filter(comparison__in=ab, role="base", status=Run.SUCCEEDED)
    base_lcp = statistics.median([r.lcp for r in all_base if r.lcp is not None])
    false_reg = sum(c.verdict == "regression" for c in aa)
    aa_errors = sum(c.status == Comparison.ERROR for c in aa)
    detected = [c for c in ab if c.verdict == "regression"]
    attributed = sum(top_host(c.report or {}) == SLOW_HOST for c in detected)
    lines = [
        f"Command: `python bench/ci_ab.py --trials {args.trials} --runs {args.runs} "
        f"--quiet-ms {args.quiet_ms}` (demo site on loopback, real Chromium, paired runs "
        f"interleaved base/branch on one agent; A/B = render-blocking third-party script "
        f"+{args.delay_ms} ms; gated metrics: the default family, alpha 0.05, Holm).",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        f"| A/A trials with a false regression | {false_reg}/{len(aa)} "
        f"({100 * false_reg / len(aa):.1f}%) | <= 5% |",
        f"| A/B trials detected as a regression | {len(detected)}/{len(ab)} "
        f"({100 * len(detected) / len(ab):.1f}%) | >= 95% |",
        f"| detected A/B trials attributed to {SLOW_HOST} (top host) | "
        f"{attributed}/{len(detected)} "
        f"({100 * attributed / max(len(detected), 1):.1f}%) | >= 95% |",
        f"| runs per minute, interleaved comparisons (server + agent) | {runs_per_min:.1f} | |",
        f"| runs per minute, bare Playwright loop on the same page (ceiling) | "
        f"{bare_per_min:.1f} | |",
        "",
        f"{total_runs} runs in {elapsed / 60:.1f} min; {failed_runs} runs failed; "
        f"{aa_errors} A/A comparisons ended in error. Verdicts A/A: "
        f"{_counts(c.verdict or c.status for c in aa)}; A/B: "
        f"{_counts(c.verdict or c.status for c in ab)}. Load average: "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end, {load_before:.1f} at "
        f"the start (other work on the machine widens the noise). Runs per minute count the "
        f"warm-up run per side.",
    ]
    if missed:
        lines += [
            "",
            f"In the missed A/B trials, {stalled} of {missed_base} base runs had an LCP of "
            f"{args.delay_ms} ms or more although nothing in them was delayed (the median base "
            f"LCP of all A/B trials was {base_lcp:.0f} ms): the machine stalled them, and with "
            f"{args.runs} runs per side two such runs leave the ranks overlapping.",
        ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("CI gate", "\n".join(lines))
    site_process.terminate()
    site_process.wait(10)
    # The bench's own browser goes with it, not at interpreter exit.
    close_shared_pool()
    connection.close()
    shutil.rmtree(WORKDIR, ignore_errors=True)


def _table(done: Comparison) -> str:
    from perfite_ci.report import table

    rows = {
        "id": done.pk,
        "scenario": "demo",
        "mode": "paired",
        "verdict": done.verdict,
        "report": done.report,
    }
    runs = done.runs.order_by("sequence")
    values = " ".join(f"{r.role[:2]}:{r.fcp}/{r.load}" for r in runs)
    return table(rows) + "fcp/load per run: " + values


def _stalled_base_runs(comparisons_: list[Comparison], delay_ms: int) -> tuple[int, int]:
    """(base runs with an LCP of at least ``delay_ms``, base runs) in these trials."""
    base = Run.objects.filter(comparison__in=comparisons_, role="base", status=Run.SUCCEEDED)
    return sum((run.lcp or 0) >= delay_ms for run in base), base.count()


def _counts(values: Any) -> str:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


if __name__ == "__main__":
    main()
