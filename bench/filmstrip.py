"""Bench for the filmstrip (issue 13): what capturing it adds to a run's wall time on the demo
home page, and how steady its Speed Index is.

    python bench/filmstrip.py [--runs 10] [--no-write]

Each round measures the home page twice with the same warm browser, the filmstrip on and off,
in alternating order (so a drift of the machine falls on both alike); the ratio is of the
medians. Done at the default end condition (2 s of network quiet) and at a tight one (300 ms),
where the capture's fixed costs weigh most. The Speed Index spread is the median absolute
deviation of the default runs' Speed Index over their median. Prints the figures and writes
the "Filmstrip" section of bench/RESULTS.md unless ``--no-write``.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django, write_section  # noqa: E402

setup_django()

from agents.browser import Measurement, measure  # noqa: E402
from agents.pool import BrowserPool  # noqa: E402
from demosite.server import DemoSite  # noqa: E402

WALL_TARGET = 1.10
SPREAD_TARGET = 0.05


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
    return seconds, measurement


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    site = DemoSite().start()
    pool = BrowserPool()
    try:
        url = site.url("/")
        timed(pool, url, 300, True)  # warm-up: the browser, the proxy, the decoder
        results = {quiet: rounds(pool, url, quiet, args.runs) for quiet in (2000, 300)}
    finally:
        pool.close()
        site.stop()
    load_after = os.getloadavg()[0]
    lines = [
        f"Command: `python bench/filmstrip.py --runs {args.runs}` (demo site on loopback, home "
        "page, 1280 × 720; the same warm browser, filmstrip on and off alternating). Machine: "
        f"{os.cpu_count()} cores, load average {load_before:.1f} before and {load_after:.1f} "
        "after (other work on the machine inflates the spreads).",
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
    filmed = results[2000][2]
    speed = [float(m.result["metrics"]["speed_index"]) for m in filmed]
    frames = [len(m.result["filmstrip"]["frames"]) for m in filmed]
    stored = [len(m.filmstrip or b"") for m in filmed]
    spread = mad(speed) / statistics.median(speed)
    print(f"speed index {speed}: median {statistics.median(speed)} MAD {mad(speed):.1f}")
    fcp = [float(m.result["metrics"]["fcp"]) for m in filmed]
    lines += [
        "",
        f"Speed Index over the {len(speed)} runs with the filmstrip (2 s quiet): median "
        f"{statistics.median(speed):.1f} ms, MAD {mad(speed):.1f} ms = {spread:.1%} of the "
        f"median (target < {SPREAD_TARGET:.0%}); range {min(speed):.1f} to {max(speed):.1f} ms. "
        f"The same runs' FCP: median {statistics.median(fcp):.1f} ms, MAD {mad(fcp):.1f} ms = "
        f"{mad(fcp) / statistics.median(fcp):.1%} (the home page paints most of its picture at "
        "once, so its Speed Index moves with its first paint).",
        "",
        f"A run keeps a median of {statistics.median(frames):.0f} frames, "
        f"{statistics.median(stored) / 1000:.1f} kB stored (zip of JPEGs, at most 400 px).",
    ]
    if not args.no_write:
        write_section("Filmstrip", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
