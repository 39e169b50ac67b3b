"""Bench for load mode (issue 14): one agent holding N light virtual users on the demo chat,
its own CPU and the memory per virtual user (PSS) against a bare Playwright context; and the
designs for running many users on one agent, side by side.

    python bench/load.py [--users 8] [--stages 1,8] [--seconds 60] [--iterations 3]
                         [--page /chat] [--parts designs,agent] [--no-write]

``designs``: ``--users`` users, ``--iterations`` journeys each, in a child process per design
(its process tree measured alone; the demo site runs in this process): the product's crowd
(greenlets on one Playwright thread, one browser), a thread per user with its own Playwright
connected over CDP to one shared Chromium, and bare Playwright (async API, a fresh context per
load, no HAR). ``agent``: a load test of ``--stages`` through the real loop (``manage.py
agent``, Redis, SQLite), each stage ``--seconds`` long; its report's CPU and memory per user
are the agent's own measurement. Writes the "Load mode" section of bench/RESULTS.md.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, setup_django, write_section  # noqa: E402
from bench.loop import Redis  # noqa: E402

TARGET_CPU = 90.0


def run_child(part: str, args: list[str], broker: str = "") -> dict[str, Any]:
    env = {
        **os.environ,
        "PERFITE_ALLOWED_NETWORKS": "127.0.0.0/8",
        "BENCH_DB_NAME": str(Path(tempfile.gettempdir()) / f"perfite-bench-load-{os.getpid()}.db"),
    }
    if broker:
        env["CELERY_BROKER_URL"] = broker
    done = subprocess.run(
        [sys.executable, __file__, "--child", part, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {part} failed: {error}", flush=True)
        return {"design": part, "error": error}
    figures = dict(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"  {part}: {figures}", flush=True)
    return figures


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value / 1e6:.1f} MB"


def _cpu_s(percent: float, seconds: float, journeys: int) -> str:
    """CPU seconds per journey, from a share of the machine over ``seconds``: what a busy
    machine does not change (it slows the journeys, so a share of it is lower)."""
    if not journeys:
        return "—"
    return f"{percent / 100 * (os.cpu_count() or 1) * seconds / journeys:.2f}"


def _ratio(mine: dict[str, Any], theirs: dict[str, Any], what: str) -> str:
    """``mine`` over ``theirs``: CPU seconds per journey (``cpu``) or a figure's value."""

    def value(d: dict[str, Any]) -> float:
        if what == "cpu":
            return float(d["cpu_percent"]) * float(d["wall_s"]) / max(int(d["iterations"]), 1)
        return float(d[what])

    return f"{value(mine) / value(theirs):.2f} times"


def report(figures: dict[str, Any], argv: list[str], load: tuple[float, float]) -> str:
    lines = [
        "Command: `" + " ".join(["python bench/load.py", *argv]) + "`",
        "",
        f"Machine: {os.cpu_count()} cores; load average {load[0]:.1f} before and {load[1]:.1f} "
        "after (other work shares this machine). CPU is a share of the whole machine (100% = "
        "every core busy), of the measured process tree with its browsers and drivers (/proc); "
        "memory is PSS (shared pages split among the processes sharing them). On a busy machine "
        "the tree gets fewer CPU seconds per second and its journeys slow down, so its share "
        "of the machine reads lower than on an idle one; CPU seconds per journey do not.",
    ]
    agent = figures.get("agent")
    if agent:
        lines += [
            "",
            f"### One agent, {figures['page']}: a load test through the real loop (target: "
            f"8 users with the agent's CPU below {TARGET_CPU:.0f}%)",
            "",
        ]
        if agent.get("status") != "done":
            lines.append(f"Failed: {agent.get('error')}")
        else:
            lines += [
                "| users | iterations | failed | per min | journey median | TTFB median | "
                "LCP median | agent CPU (mean) | agent CPU (max) | CPU s per journey | "
                "PSS per user |",
                "|---|---|---|---|---|---|---|---|---|---|---|",
            ]
            for row in agent["stages"]:
                (name, mine), *_ = row["agents"].items()
                metrics = row["metrics"]
                lines.append(
                    f"| {row['users']} | {row['iterations']} | {row['failed']} | "
                    f"{row['throughput']:.1f} | {row['duration']['median']:.0f} ms | "
                    f"{metrics.get('ttfb', {}).get('median') or 0:.0f} ms | "
                    f"{metrics.get('lcp', {}).get('median') or 0:.0f} ms | "
                    f"{mine['cpu_mean']:.0f}% | {mine['cpu_max']:.0f}% | "
                    f"{_cpu_s(mine['cpu_mean'], row['seconds'], row['iterations'])} | "
                    f"{_mb(row['pss_per_user'])} |"
                )
            top = agent["stages"][-1]
            mine = next(iter(top["agents"].values()))
            per_journey = mine["cpu_mean"] / 100 * (os.cpu_count() or 1) * top["seconds"]
            per_journey /= max(top["iterations"], 1)
            cap = TARGET_CPU / 100 * (os.cpu_count() or 1) * 60 / per_journey
            lines += [
                "",
                f"Target: {top['users']} users with the agent's mean CPU at "
                f"{mine['cpu_mean']:.0f}% (highest sample {mine['cpu_max']:.0f}%), "
                f"{'below' if mine['cpu_mean'] < TARGET_CPU else 'above'} {TARGET_CPU:.0f}%; "
                f"{top['failed']} of {top['iterations']} journeys failed. Continuous users "
                "have no think time: each starts its next journey at once, so an agent runs "
                "journeys as fast as its CPU allows. At "
                f"{per_journey:.2f} CPU s a journey, staying under {TARGET_CPU:.0f}% of this "
                f"machine means at most {cap:.0f} journeys a minute ({top['users']} users "
                f"taking {top['users'] * 60 / cap:.1f} s or more each); this run made "
                f"{top['throughput']:.0f}. Memory per user is the agent's PSS above what it "
                "held with its browsers warm (one unmeasured journey done) and no user.",
            ]
    designs = [d for d in figures.get("designs", []) if "error" not in d]
    if designs:
        bare = next((d for d in designs if d["design"] == "bare"), None)
        lines += [
            "",
            f"### Designs: {figures['users']} users x {figures['iterations']} journeys on "
            f"{figures['page']}, each in its own process tree",
            "",
            "| design | journeys (ok) | wall | per min | journey median | CPU | "
            "CPU s per journey | peak PSS | PSS per user |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        labels = {
            "crowd": "crowd: greenlets on one Playwright thread, one browser (the product)",
            "threads": "a thread per user, each its own Playwright over CDP to one Chromium",
            "bare": "bare Playwright, async API, one browser (no HAR, collector, DevTools)",
        }
        for d in designs:
            lines.append(
                f"| {labels[d['design']]} | {d['iterations']} ({d['succeeded']}) | "
                f"{d['wall_s']} s | {d['per_min']} | {d['journey_ms']} ms | "
                f"{d['cpu_percent']:.0f}% | "
                f"{_cpu_s(d['cpu_percent'], d['wall_s'], d['iterations'])} | "
                f"{d['peak_pss_mb']} MB | {d['user_pss_mb']} MB |"
            )
        if bare:
            lines += [
                "",
                f"A bare Playwright context left open on the page costs {bare['context_pss_mb']} "
                "MB of PSS "
                f"({figures['users']} contexts open at once, above the browser alone).",
            ]
    crowd = next((d for d in designs if d["design"] == "crowd"), None)
    threads = next((d for d in designs if d["design"] == "threads"), None)
    bare = next((d for d in designs if d["design"] == "bare"), None)
    if crowd and threads and bare:
        lines += [
            "",
            "Per journey the crowd takes "
            f"{_ratio(crowd, bare, 'cpu')} the CPU of bare Playwright (what `measure` adds: "
            "HAR, collector, DevTools sessions, the result) and "
            f"{_ratio(crowd, threads, 'cpu')} that of a thread per user; per user "
            f"{_ratio(crowd, threads, 'user_pss_mb')} the memory of a thread per user.",
        ]
    if agent and agent.get("status") == "done" and bare:
        top = agent["stages"][-1]
        if top.get("pss_per_user"):
            lines.append(
                f"An agent's virtual user at {top['users']} users holds "
                f"{top['pss_per_user'] / 1e6:.1f} MB of PSS, "
                f"{top['pss_per_user'] / 1e6 / bare['context_pss_mb']:.2f} times a bare "
                f"Playwright context open on the page ({bare['context_pss_mb']} MB)."
            )
    failed = [d for d in figures.get("designs", []) if "error" in d]
    for d in failed:
        lines.append(f"\n{d['design']} failed: {d['error']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--stages", default="1,8")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--page", default="/chat")
    parser.add_argument("--quiet-ms", type=int, default=2000)
    parser.add_argument("--parts", default="designs,agent")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    setup_django()
    from demosite.server import DemoSite

    site = DemoSite().start()
    url = site.url(args.page)
    parts = args.parts.split(",")
    figures: dict[str, Any] = {"page": args.page, "users": args.users}
    figures["iterations"] = args.iterations
    before = os.getloadavg()[0]
    try:
        if "designs" in parts:
            print(f"designs: {args.users} users x {args.iterations} journeys on {url}")
            common = [url, str(args.users), str(args.iterations)]
            figures["designs"] = [
                run_child("crowd", common),
                run_child("threads", common),
                run_child("bare", [*common, str(args.quiet_ms)]),
            ]
        if "agent" in parts:
            print(f"agent: a load test of {args.stages} users, {args.seconds} s each, on {url}")
            redis = Redis()
            try:
                figures["agent"] = run_child(
                    "agent", [url, args.stages, str(args.seconds)], broker=redis.url
                )
            finally:
                redis.stop()
    finally:
        site.stop()
    text = report(figures, sys.argv[1:], (before, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section("Load mode", text)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        from bench.load_parts import child

        print(json.dumps(child(sys.argv[2], sys.argv[3:])), flush=True)
    else:
        main()
