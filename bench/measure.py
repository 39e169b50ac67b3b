"""Bench for the measuring core (issue 2): measure() vs a bare Playwright load, HAR analysis
of 5,000 entries, peak memory while measuring, and the cost of the address-policy proxy
(issue 11): the same loads through it and direct.

    python bench/measure.py [--runs 10] [--no-write]

Prints the figures and writes the "Measuring core" section of bench/RESULTS.md unless
``--no-write``.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import PeakMemory, bare_load, setup_django, write_section  # noqa: E402

setup_django()

from agents.browser import measure  # noqa: E402
from agents.pool import BrowserPool  # noqa: E402
from core.netpolicy import AddressPolicy  # noqa: E402
from core.result.build import build_result  # noqa: E402
from demosite.server import DemoSite  # noqa: E402


def synthetic_har(entries: int) -> dict[str, Any]:
    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    rows = []
    for i in range(entries):
        host = f"h{i % 50}.{'example.com' if i % 3 else 'thirdparty' + str(i % 7) + '.net'}"
        kind = ("script", "image", "stylesheet", "font", "xhr")[i % 5]
        rows.append(
            {
                "startedDateTime": (t0 + timedelta(milliseconds=i))
                .isoformat()
                .replace("+00:00", "Z"),
                "time": 20,
                "_resourceType": kind,
                "request": {
                    "url": f"https://{host}/r/{i}.bin?x={i}",
                    "method": "GET",
                    "headers": [],
                },
                "response": {
                    "status": 200,
                    "headers": [],
                    "_transferSize": 1200 + i,
                    "content": {"size": 1000 + i, "mimeType": "application/octet-stream"},
                },
                "timings": {
                    "blocked": 1,
                    "dns": -1,
                    "connect": -1,
                    "ssl": -1,
                    "send": 0,
                    "wait": 10,
                    "receive": 9,
                },
            }
        )
    return {"log": {"entries": rows}}


def proxy_cost(site: DemoSite, proxied: BrowserPool, runs: int) -> list[str]:
    """The address-policy proxy's cost: bare loads and measure() page metrics through
    ``proxied`` and through a pool without a proxy (a policy allowing everything),
    interleaved in the same run."""
    direct = BrowserPool(policy=AddressPolicy.parse(["*"]))
    url = site.url("/")
    spec: dict[str, Any] = {"url": url, "quiet_ms": 300, "steps": [], "setup": {}}
    pools = {"direct (PERFITE_ALLOWED_NETWORKS=*)": direct, "through the proxy": proxied}
    bare: dict[str, list[float]] = {name: [] for name in pools}
    metrics: dict[str, list[dict[str, Any]]] = {name: [] for name in pools}
    try:
        for pool in pools.values():
            measure(spec, pool)
            bare_load(pool, url, 300)
        for _ in range(runs):
            for name, pool in pools.items():
                bare[name].append(bare_load(pool, url, 300))
                result = measure(spec, pool).result
                subresource_connects = [
                    r["timings"]["connect"]
                    for r in result["requests"]
                    if r["resource_type"] != "document"
                ]
                metrics[name].append(
                    {**result["metrics"], "sub_connect": max(subresource_connects, default=0)}
                )
    finally:
        direct.close()
    lines = [
        "| path | bare load median s | TTFB median ms | load median ms | slowest subresource "
        "connect median ms |",
        "|---|---|---|---|---|",
    ]
    for name in pools:
        ttfb, load, connect = (
            statistics.median(m[key] for m in metrics[name])
            for key in ("ttfb", "load", "sub_connect")
        )
        lines.append(
            f"| {name} | {statistics.median(bare[name]):.3f} | {ttfb:.1f} | {load:.1f} | "
            f"{connect:.1f} |"
        )
    names = list(pools)
    ratio = statistics.median(bare[names[1]]) / statistics.median(bare[names[0]])
    lines += [
        "",
        f"Proxy cost: a bare load through the proxy takes {ratio:.2f}x the direct one "
        f"(median of {runs}, interleaved, home page with 300 ms network quiet).",
    ]
    print("\n".join(lines))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    site = DemoSite().start()
    # The default path: through the address-policy proxy, loopback (the demo site) allowed.
    pool = BrowserPool(policy=AddressPolicy.parse(["127.0.0.0/8"]))
    lines = [
        f"Command: `python bench/measure.py --runs {args.runs}` (demo site on loopback, home "
        "page: 8 requests on 4 hosts).",
        "",
    ]
    try:
        pool.version()
        url = site.url("/")
        lines.append("| end condition | measure() median s | bare Playwright median s | ratio |")
        lines.append("|---|---|---|---|")
        for quiet in (2000, 300):
            spec: dict[str, Any] = {"url": url, "quiet_ms": quiet, "steps": [], "setup": {}}
            measure(spec, pool)
            bare_load(pool, url, quiet)  # warm both paths once
            ours, bare = [], []
            for _ in range(args.runs):  # interleaved so drift hits both alike
                start = time.perf_counter()
                measure(spec, pool)
                ours.append(time.perf_counter() - start)
                bare.append(bare_load(pool, url, quiet))
            ratio = statistics.median(ours) / statistics.median(bare)
            lines.append(
                f"| load + {quiet} ms network quiet | {statistics.median(ours):.3f} | "
                f"{statistics.median(bare):.3f} | {ratio:.2f}x (target <= 1.25x) |"
            )
            print(
                f"quiet {quiet} ms: measure {statistics.median(ours):.3f} s, bare "
                f"{statistics.median(bare):.3f} s, ratio {ratio:.2f}"
            )
        spec = {"url": url, "quiet_ms": 300, "steps": [], "setup": {}}
        with PeakMemory() as bare_memory:
            for _ in range(3):
                bare_load(pool, url, 300)
        with PeakMemory() as memory:
            for _ in range(3):
                measure(spec, pool)
        lines += [
            "",
            "Peak memory (PSS, sampled every 50 ms, same warm browser, 3 loads each): "
            f"measure() {memory.peak_kb / 1024:.0f} MB for the agent process tree (Python + "
            f"Chromium), of which {memory.peak_self_kb / 1024:.0f} MB the Python process; bare "
            f"Playwright {bare_memory.peak_kb / 1024:.0f} MB "
            f"({bare_memory.peak_self_kb / 1024:.0f} MB Python): "
            f"{memory.peak_kb / max(bare_memory.peak_kb, 1):.2f}x (target <= 1.5x).",
        ]
        print(lines[-1])
        lines += ["", *proxy_cost(site, pool, args.runs)]
    finally:
        pool.close()
        site.stop()
    har = synthetic_har(5000)
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        result = build_result(
            spec={"url": "https://www.example.com/"},
            status="succeeded",
            error=None,
            started_at="",
            finished_at="",
            browser_version="",
            har=har,
            snapshots=[],
        )
        timings.append(time.perf_counter() - start)
    assert result["metrics"]["requests"] == 5000
    line = (
        f"HAR analysis of 5,000 entries (50 hosts, 8 entities): median "
        f"{statistics.median(timings):.3f} s over 5 runs (target <= 0.5 s)."
    )
    print(line)
    lines += ["", line]
    if not args.no_write:
        write_section("Measuring core", "\n".join(lines))


if __name__ == "__main__":
    main()
