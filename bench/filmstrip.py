"""Bench for the filmstrip (issue 13): what capturing it adds to a run's wall time on the demo
home page, and how steady its Speed Index is.

    python bench/filmstrip.py [--runs 10] [--site-in-process] [--no-write]

The demo site is served from a process of its own (bench.common.site_process), as a measured
site always is; ``--site-in-process`` serves it from a thread of this process instead, as the
bench first did, to compare (on this shared machine the two differ by less than the machine's
own noise). Each round measures the home page twice with the same warm
browser, the filmstrip on and off, in alternating order (so a drift of the machine falls on
both alike); the ratio is of the medians. Done at the default end condition (2 s of network
quiet) and at a tight one (300 ms), where the capture's fixed costs weigh most.

The Speed Index spread is the median absolute deviation of the default runs' Speed Index over
their median, next to the same runs' first paint (the page's own FCP and the filmstrip's first
visual change), which it follows on this page. The same is measured on the steps page
(``/steps``: its content shown at fixed times from navigation start), whose Speed Index depends
on its first paint for only a third. Every filmed run's frames (ms, progress) are printed.
Prints the figures and writes the "Filmstrip" section of bench/RESULTS.md unless
``--no-write``.
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import commit, setup_django, site_process, write_section  # noqa: E402

setup_django()

from agents.browser import Measurement, measure  # noqa: E402
from agents.pool import BrowserPool  # noqa: E402
from demosite.server import DemoSite  # noqa: E402

WALL_TARGET = 1.10
SPREAD_TARGET = 0.05
STEPS_QUIET_MS = 1500  # the steps page is quiet long before its last step (tests/agents)


def spec(url: str, quiet_ms: int, filmstrip: bool) -> dict[str, Any]:
    return {
        "url": url,
        "setup": {},
        "steps": [],
        "first_party": [],
        "quiet_ms": quiet_ms,
        "step_timeout_ms": 30_000,
        "run_timeout_ms": 60_000,
        "screenshot": True,
        "filmstrip": filmstrip,
    }


def timed(pool: BrowserPool, url: str, quiet_ms: int, filmstrip: bool) -> tuple[float, Measurement]:
    start = time.perf_counter()
    measurement = measure(spec(url, quiet_ms, filmstrip), pool)
    seconds = time.perf_counter() - start
    status = measurement.result["status"]
    if status != "succeeded":
        raise SystemExit(f"a run {status}: {measurement.result['error']}")
    if filmstrip:
        show(url, measurement)
    return seconds, measurement


def show(url: str, measurement: Measurement) -> None:
    """Print a filmed run's visual metrics, first paint and frames (ms, progress)."""
    metrics = measurement.result["metrics"]
    frames = [(f["ms"], f["progress"]) for f in measurement.result["filmstrip"]["frames"]]
    print(
        f"{url}: SI {metrics.get('speed_index')} FCP {metrics.get('fcp')} first change "
        f"{metrics.get('first_visual_change')} frames {frames}",
        flush=True,
    )


def rounds(
    pool: BrowserPool, url: str, quiet_ms: int, runs: int
) -> tuple[list[float], list[float], list[Measurement]]:
    """(wall seconds with, without the filmstrip; the measurements with it), ``runs`` each,
    interleaved in alternating order."""
    on: list[float] = []
    off: list[float] = []
    filmed: list[Measurement] = []
    for index in range(runs):
        for filmstrip in (True, False) if index % 2 == 0 else (False, True):
            seconds, measurement = timed(pool, url, quiet_ms, filmstrip)
            (on if filmstrip else off).append(seconds)
            if filmstrip:
                filmed.append(measurement)
    return on, off, filmed


def mad(values: list[float]) -> float:
    middle = statistics.median(values)
    return statistics.median(abs(v - middle) for v in values)


def spread(values: list[float]) -> str:
    """``median … ms, MAD … ms = …% of the median``."""
    middle = statistics.median(values)
    return f"median {middle:.1f} ms, MAD {mad(values):.1f} ms = {mad(values) / middle:.1%}"


def metric(filmed: list[Measurement], name: str) -> list[float]:
    return [float(m.result["metrics"][name]) for m in filmed]


@contextlib.contextmanager
def served(in_process: bool) -> Iterator[DemoSite]:
    """The demo site, from its own process or (``in_process``) from a thread of this one."""
    if in_process:
        with DemoSite() as site:
            yield site
    else:
        with site_process() as port:
            yield DemoSite(port=port)


def first_paint_share(filmed: list[Measurement]) -> tuple[float, float]:
    """The lowest and highest progress of the runs' first frame that changed the picture."""
    shares = [
        next(f["progress"] for f in m.result["filmstrip"]["frames"] if f["progress"])
        for m in filmed
    ]
    return min(shares), max(shares)


def home_lines(results: dict[int, tuple[list[float], list[float], list[Measurement]]]) -> list[str]:
    filmed = results[2000][2]
    speed, fcp = metric(filmed, "speed_index"), metric(filmed, "fcp")
    first = metric(filmed, "first_visual_change")
    low, high = first_paint_share(filmed)
    after_first = [s - f for s, f in zip(speed, first, strict=True)]
    frames = [len(m.result["filmstrip"]["frames"]) for m in filmed]
    stored = [len(m.filmstrip or b"") for m in filmed]
    met = "met" if mad(speed) / statistics.median(speed) < SPREAD_TARGET else "missed"
    return [
        f"Home page, Speed Index over the {len(speed)} runs with the filmstrip (2 s quiet): "
        f"{spread(speed)} (target < {SPREAD_TARGET:.0%}: **{met}**); range {min(speed):.1f} "
        f"to {max(speed):.1f} ms. Per run: {', '.join(f'{v:.0f}' for v in speed)} ms.",
        "",
        f"What it follows: the first frame that changes the picture already holds "
        f"{low:.0%} to {high:.0%} of the final one (the page's background, #f6f7fb, is not "
        "near-white, so it counts as painted, as in WebPageTest), so the Speed Index is the "
        f"first paint plus little: Speed Index minus first visual change, median "
        f"{statistics.median(after_first):.1f} ms, MAD {mad(after_first):.1f} ms. The same "
        f"runs' first visual change: {spread(first)}; the page's own FCP: {spread(fcp)} (per "
        f"run: {', '.join(f'{v:.0f}' for v in fcp)} ms). Its spread is the page's first paint "
        "on this machine, which the page's own timing shows as much as the filmstrip does.",
        "",
        f"A run keeps a median of {statistics.median(frames):.0f} frames, "
        f"{statistics.median(stored) / 1000:.1f} kB stored (zip of JPEGs, at most 400 px).",
    ]


def steps_lines(filmed: list[Measurement]) -> list[str]:
    speed, fcp = metric(filmed, "speed_index"), metric(filmed, "fcp")
    last = metric(filmed, "last_visual_change")
    met = "met" if mad(speed) / statistics.median(speed) < SPREAD_TARGET else "missed"
    return [
        f"Steps page (`/steps`: a third of the picture at the first paint, a third at 500 ms, "
        f"a third at 1,000 ms), {len(speed)} runs with the filmstrip "
        f"({STEPS_QUIET_MS} ms quiet): Speed Index {spread(speed)} (< {SPREAD_TARGET:.0%}: "
        f"**{met}**); range {min(speed):.1f} to {max(speed):.1f} ms. Its last visual change "
        f"(the 1,000 ms step): {spread(last)}. Its FCP: {spread(fcp)}, which moves its Speed "
        "Index by only a third of that.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--site-in-process",
        action="store_true",
        help="serve the demo site from a thread of this process (the bench's first method)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    pool = BrowserPool()
    try:
        with served(args.site_in_process) as site:
            url = site.url("/")
            timed(pool, url, 300, True)  # warm-up: the browser, the proxy, the decoder
            results = {quiet: rounds(pool, url, quiet, args.runs) for quiet in (2000, 300)}
            steps = [
                timed(pool, site.url("/steps"), STEPS_QUIET_MS, True)[1] for _ in range(args.runs)
            ]
    finally:
        pool.close()
    load_after = os.getloadavg()[0]
    where = "a thread of the bench's process" if args.site_in_process else "its own process"
    flag = " --site-in-process" if args.site_in_process else ""
    lines = [
        f"Command: `python bench/filmstrip.py --runs {args.runs}{flag}` at {commit()} (demo site "
        f"on loopback, served from {where}; home page, 1280 × 720; the same warm browser, "
        f"filmstrip on and off alternating). Machine: {os.cpu_count()} cores, load average "
        f"{load_before:.1f} before and {load_after:.1f} after (other work on the machine "
        "inflates the spreads).",
        "",
        "| end condition | with filmstrip median s | without median s | ratio |",
        "|---|---|---|---|",
    ]
    for quiet, (on, off, _) in results.items():
        ratio = statistics.median(on) / statistics.median(off)
        target = f" (target <= {WALL_TARGET:.2f}x)" if quiet == 2000 else ""
        lines.append(
            f"| load + {quiet} ms network quiet | {statistics.median(on):.3f} | "
            f"{statistics.median(off):.3f} | {ratio:.3f}x{target} |"
        )
        print(f"quiet {quiet} ms: on {on}\n  off {off}\n  ratio {ratio:.3f}")
    lines += ["", *home_lines(results), "", *steps_lines(steps)]
    if not args.no_write:
        write_section("Filmstrip", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
