"""Bench for the named metrics (issue 12): what a run with 20 user timings, 10 named requests,
5 expressions and the CPU counters costs in wall time, against the same journey with no
declarations, no expressions and the counters not read, in the same process, interleaved;
and how many bytes those metrics add to the stored result document (JSON, and PostgreSQL's
``pg_column_size`` of it as ``jsonb``).

    python bench/named_metrics.py [--runs 5] [--quiet-ms 300] [--postgres URL] [--no-write]

Prints the figures and writes the "Named metrics" section of bench/RESULTS.md unless
``--no-write``. ``--postgres ''`` leaves the PostgreSQL size out.
"""

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django, write_section  # noqa: E402

setup_django()

from agents import journey, page_counters  # noqa: E402
from agents.browser import measure  # noqa: E402
from agents.pool import BrowserPool  # noqa: E402
from core.netpolicy import AddressPolicy  # noqa: E402
from core.script import parse_script, split_setup  # noqa: E402
from demosite.server import DemoSite  # noqa: E402

LOCAL_POSTGRES = "postgres://root@127.0.0.1:5432/postgres"

# The journey: the timings page makes 13 marks and measures, the chat page 7 more (20 user
# timings); the chat page calls /api/init 8 times, /api/chats and /api/messages once each.
JOURNEY = """
- wait_for: 'body[data-state="done"]'
- navigate: /chat?calls=7
- wait_for: '#chat[data-state="ready"]'
- click: "#create"
- wait_for: '#chat[data-chats="1"]'
- measure_start: send
- fill: {selector: "#message", value: hello}
- click: "#send"
- wait_for: "#messages li"
- measure_stop: send
"""
DECLARATIONS = [
    '- request_metric: {name: init, match: "re:/api/init\\\\?delay="}',
    '- request_metric: {name: create_chat, match: "POST */api/chats*"}',
    '- request_metric: {name: add_message, match: "POST */api/messages*"}',
] + [f'- request_metric: {{name: init_{n}, match: "re:/api/init\\\\?n={n}&"}}' for n in range(1, 8)]
EXPRESSIONS = {
    "messages": "document.querySelectorAll('#messages li').length",
    "chats": "Number(document.getElementById('chat').dataset.chats)",
    "marks": "performance.getEntriesByType('mark').length",
    "elements": "document.getElementsByTagName('*').length",
    "uptime": "performance.now()",
}
EVALUATE = [
    f"- evaluate: {{name: {name}, expression: {json.dumps(expression)}}}"
    for name, expression in EXPRESSIONS.items()
]


def spec(site: DemoSite, script: str, quiet_ms: int) -> dict[str, Any]:
    setup, actions = split_setup(parse_script(script, "yaml"))
    return {
        "url": site.url("/timings?wait=50&extra=10"),
        "setup": setup,
        "steps": actions,
        "first_party": [],
        "quiet_ms": quiet_ms,
        "step_timeout_ms": 10_000,
        "run_timeout_ms": 60_000,
    }


@contextmanager
def counters_off() -> Iterator[None]:
    """The run without the counters: never turned on, so never read."""
    start = page_counters.PageCounters.start
    page_counters.PageCounters.start = lambda self, at_ms: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        page_counters.PageCounters.start = start  # type: ignore[method-assign]


@contextmanager
def timed_calls(spent: dict[str, list[float]]) -> Iterator[None]:
    """Record the seconds of every counter read (``start`` included) and every expression
    evaluated: the DevTools round trips the named metrics add to a run."""
    start, sample = page_counters.PageCounters.start, page_counters.PageCounters.sample
    evaluate = journey.js_values.evaluate

    def timed(kind: str, call: Any) -> Any:
        def run(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return call(*args, **kwargs)
            finally:
                spent[kind].append(time.perf_counter() - began)

        return run

    page_counters.PageCounters.start = timed("counters", start)  # type: ignore[method-assign]
    page_counters.PageCounters.sample = timed("counters", sample)  # type: ignore[method-assign]
    journey.js_values.evaluate = timed("expressions", evaluate)
    try:
        yield
    finally:
        page_counters.PageCounters.start = start  # type: ignore[method-assign]
        page_counters.PageCounters.sample = sample  # type: ignore[method-assign]
        journey.js_values.evaluate = evaluate


NAMED_KEYS = ("user.", "request.", "custom.", "cpu.", "ws.", "backend.")


def without_named(result: dict[str, Any]) -> dict[str, Any]:
    """The same document with every named metric and what comes with them taken out."""
    plain = json.loads(json.dumps(result))
    plain["metrics"] = {k: v for k, v in plain["metrics"].items() if not k.startswith(NAMED_KEYS)}
    for step in plain["steps"]:
        step.pop("metrics", None)
    for socket in plain["websockets"]:
        socket.pop("name", None)
        socket.pop("replies_ms", None)
    plain.pop("user_timings", None)
    plain.pop("metric_errors", None)
    return plain


def size(document: Any) -> int:
    """Bytes of ``document`` as JSON, as the server stores it (compact, UTF-8)."""
    return len(json.dumps(document, separators=(",", ":")).encode())


def pg_sizes(postgres: str, documents: list[dict[str, Any]]) -> list[int]:
    """``pg_column_size`` of each document stored as ``jsonb`` in a table (so a large one is
    compressed as PostgreSQL stores it)."""
    import psycopg

    with psycopg.connect(postgres, autocommit=True) as connection:
        connection.execute("CREATE TEMP TABLE named_bench (id int, doc jsonb)")
        for index, document in enumerate(documents):
            connection.execute(
                "INSERT INTO named_bench VALUES (%s, %s::jsonb)", (index, json.dumps(document))
            )
        rows = connection.execute(
            "SELECT pg_column_size(doc) FROM named_bench ORDER BY id"
        ).fetchall()
    return [int(row[0]) for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quiet-ms", type=int, default=300)
    parser.add_argument("--postgres", default=LOCAL_POSTGRES, help="'' to leave it out")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()
    load = os.getloadavg()
    site = DemoSite().start()
    pool = BrowserPool(policy=AddressPolicy.parse(["127.0.0.0/8"]))
    full = spec(site, "\n".join([*DECLARATIONS, JOURNEY, *EVALUATE]), args.quiet_ms)
    plain = spec(site, JOURNEY, args.quiet_ms)
    seconds: dict[str, list[float]] = {"with": [], "without": []}
    spent: dict[str, list[float]] = {"counters": [], "expressions": []}
    results: list[dict[str, Any]] = []
    try:
        measure(full, pool)  # warm both paths once
        with counters_off():
            measure(plain, pool)
        for index in range(args.runs):  # interleaved, in turn first, so drift hits both alike
            for variant in ("with", "without") if index % 2 == 0 else ("without", "with"):
                start = time.perf_counter()
                if variant == "with":
                    with timed_calls(spent):
                        results.append(measure(full, pool).result)
                else:
                    with counters_off():
                        measure(plain, pool)
                seconds[variant].append(time.perf_counter() - start)
    finally:
        pool.close()
        site.stop()
    last = results[-1]
    assert all(r["status"] == "succeeded" for r in results), [r["error"] for r in results]
    metrics = last["metrics"]
    counts = {prefix: sum(k.startswith(prefix) for k in metrics) for prefix in NAMED_KEYS}
    assert (counts["user."], counts["request."], counts["custom."], counts["cpu."]) == (
        20,
        50,
        5,
        7,
    ), counts
    step_count = len(last["steps"][0]["metrics"])
    ratio = statistics.median(seconds["with"]) / statistics.median(seconds["without"])
    growth = [size(r) - size(without_named(r)) for r in results]
    parts = {
        "metrics": size({k: v for k, v in metrics.items() if k.startswith(NAMED_KEYS)}),
        "steps[].metrics": size(last["steps"][0]["metrics"]),
        "user_timings": size(last["user_timings"]),
        "metric_errors": size(last["metric_errors"]),
    }
    lines = [
        f"Command: `python bench/named_metrics.py --runs {args.runs}` (demo site on loopback; "
        "the timings page, then the chat page: 20 user timings, 10 named requests matching its "
        "10 API calls, a WebSocket, one measured step, 5 expressions at the end; "
        f"{args.quiet_ms} ms network quiet).",
        "",
        "| run | measure() median s | runs |",
        "|---|---|---|",
        f"| declarations, expressions and CPU counters | {statistics.median(seconds['with']):.3f} "
        f"| {args.runs} |",
        f"| same journey: no declarations or expressions, counters not read | "
        f"{statistics.median(seconds['without']):.3f} | {args.runs} |",
        "",
        f"Wall time ratio: {ratio:.3f}x (target <= 1.05x). User timings are collected in "
        "both (the page makes them; nothing declares them). The DevTools calls the named "
        f"metrics add, timed inside the runs: {len(spent['counters']) // args.runs} counter "
        f"reads ({statistics.median(spent['counters']) * 1000:.1f} ms median each) and "
        f"{len(spent['expressions']) // args.runs} expressions "
        f"({statistics.median(spent['expressions']) * 1000:.1f} ms each), "
        f"{(sum(spent['counters']) + sum(spent['expressions'])) * 1000 / args.runs:.0f} ms a "
        "run in all.",
        "",
        f"Metrics: {counts['user.']} user timings, {counts['request.']} named-request values "
        f"(10 requests x 5 fields), {counts['custom.']} JS values, {counts['cpu.']} CPU "
        f"counters: {sum(counts.values())} in `metrics`, {step_count} more in the step's "
        "`steps[].metrics`.",
        "",
        f"Document growth as JSON (compact, uncompressed: what an agent sends; median of "
        f"{len(growth)}): {statistics.median(growth):.0f} bytes per run, of which "
        + ", ".join(f"`{name}` {value}" for name, value in parts.items())
        + " (the rest: the socket's name and replies).",
    ]
    if args.postgres:
        stored = pg_sizes(args.postgres, [last, without_named(last)])
        lines += [
            "",
            f"Stored (PostgreSQL `pg_column_size` of the document as `jsonb`, compressed as "
            f"the database keeps it): {stored[0]} bytes with the named metrics, {stored[1]} "
            f"without: {stored[0] - stored[1]} bytes per run (target <= 2048).",
        ]
    lines += [
        "",
        f"Load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end "
        f"({os.cpu_count()} CPUs, shared): on a busy machine the ratio moves by a few percent "
        "from one invocation to the next; the DevTools time above is the named metrics' own.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("Named metrics", "\n".join(lines))


if __name__ == "__main__":
    main()
