"""perfite-ci load: start a load test, follow it, print its report, and say whether the chosen
metric held its limit long enough.

Exit status: 0 the limit held (or none was given); 1 the metric crossed its limit at fewer
virtual users than --fail-below (without --fail-below: at any stage); 2 anything else (a
refused plan, a failed or cancelled test, timed out or interrupted: the test is cancelled on
the server, so its users stop). Progress goes to stderr, the report to stdout.
"""

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from perfite_ci.client import CIError, Client

EXIT_OK, EXIT_FAIL = 0, 1
SETTLED = ("done", "cancelled", "failed")
POLL_S = 2.0


def add_parser(commands: Any, common: Any) -> None:
    """The ``load`` subcommand on ``commands`` (argparse subparsers); ``common`` adds
    --server and --token."""
    load = commands.add_parser(
        "load",
        help="run a scenario under growing load; where does it degrade?",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common(load)
    load.add_argument("--scenario", required=True, help="scenario slug")
    load.add_argument(
        "--stages",
        required=True,
        help="virtual users of each stage, e.g. 1,5,10,25; or a ramp FROM-TO/STEP, e.g. 1-10/3",
    )
    load.add_argument(
        "--kind",
        choices=("continuous", "parallel"),
        default="continuous",
        help="continuous: each user repeats the journey back to back (default); parallel: the "
        "users start each round together",
    )
    length = load.add_mutually_exclusive_group(required=True)
    length.add_argument("--seconds", type=int, help="length of each stage")
    length.add_argument(
        "--iterations", type=int, help="journeys per user (rounds, if parallel) per stage"
    )
    load.add_argument("--location", default=None, help="default: the scenario's first")
    load.add_argument("--metric", default="lcp", help="the metric judged (default lcp)")
    load.add_argument("--statistic", choices=("median", "p95"), default="p95")
    load.add_argument("--limit", type=float, default=None, help="in the metric's unit (ms …)")
    load.add_argument(
        "--fail-below",
        type=int,
        default=None,
        help="exit 1 when the metric crosses its limit at fewer virtual users than this",
    )
    load.add_argument("--json", type=Path, help="write the load test (with its report) here")
    load.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="give up after this many seconds (3600): the test is cancelled, exit 2",
    )


def stages_body(text: str) -> dict[str, Any]:
    """``{"stages": [...]}`` or ``{"ramp": {...}}`` from --stages; CIError when malformed."""
    text = text.strip()
    if "-" in text:
        bounds, _, step = text.partition("/")
        low, _, high = bounds.partition("-")
        parts = [low.strip(), high.strip(), (step or "1").strip()]
        if not all(p.isdigit() for p in parts):
            raise CIError(f"--stages: a ramp is FROM-TO/STEP, e.g. 1-10/3, not {text!r}")
        return {"ramp": dict(zip(("start", "stop", "step"), map(int, parts), strict=True))}
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise CIError(f"--stages: whole numbers of users, e.g. 1,5,10, not {text!r}")
    return {"stages": [int(p) for p in parts]}


def load_body(args: argparse.Namespace) -> dict[str, Any]:
    """The POST body of /api/load-tests/ from the arguments."""
    body: dict[str, Any] = {
        "scenario": args.scenario,
        "kind": args.kind,
        "metric": args.metric,
        "statistic": args.statistic,
        **stages_body(args.stages),
    }
    for key in ("seconds", "iterations", "location", "limit"):
        value = getattr(args, key)
        if value is not None:
            body[key] = value
    return body


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:.1f}"
    return f"{text} {unit}".rstrip()


def report_text(test: dict[str, Any]) -> str:
    """The plain-text report: one line per stage, the answer, the earlier test beside it."""
    report = test.get("report") or {}
    metric, statistic = test["metric"], test["statistic"]
    rows = [
        ("users", "iterations", "failed", "errors", "per min", "median", "p95", "cpu", "mem/user")
    ]
    for stage in report.get("stages", []):
        values = (stage.get("metrics") or {}).get(metric) or {}
        errors = stage.get("error_rate")
        pss = stage.get("pss_per_user")
        rows.append(
            (
                str(stage["users"]),
                str(stage["iterations"]),
                str(stage["failed"]),
                "-" if errors is None else f"{errors * 100:.1f}%",
                _number(stage.get("throughput")),
                _number(values.get("median")),
                _number(values.get("p95")),
                "-" if stage.get("cpu_percent") is None else f"{stage['cpu_percent']:.0f}%",
                "-" if pss is None else f"{pss / 1e6:.1f} MB",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        f"Perfite load test {test['id']} of {test['scenario']} ({test['kind']}, from "
        f"{test['location']} in {test['browser']}): {test['status']}",
        f"median and p95 of {metric}; limit on the {statistic}: {_number(test.get('limit'))}",
        *("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) for row in rows),
    ]
    crossed = report.get("crossed")
    if crossed:
        lines.append(
            f"The {statistic} of {metric} crosses {_number(test.get('limit'))} at "
            f"{crossed['users']} users ({_number(crossed.get('value'))})."
        )
    elif test.get("limit") is not None:
        lines.append(f"The {statistic} of {metric} stays within {_number(test['limit'])}.")
    saturated = sorted({n for s in report.get("stages", []) for n in s.get("saturated", [])})
    if saturated:
        lines.append(f"Warning: saturated agents (their CPU, not only the site): {saturated}")
    compared = test.get("compared")
    if compared:
        lines.append(f"Compared with load test {compared['load_test']} ({statistic} of {metric}):")
        for row in compared["rows"]:
            lines.append(
                f"  {row['users']} users: {_number(row['current'])} now, "
                f"{_number(row['earlier'])} then"
            )
    return "\n".join(lines) + "\n"


def outcome(test: dict[str, Any], fail_below: int | None) -> int:
    """EXIT_FAIL when the limit was crossed below ``fail_below`` users (at any stage without
    it), else EXIT_OK."""
    crossed = (test.get("report") or {}).get("crossed")
    if crossed is None:
        return EXIT_OK
    if fail_below is None or crossed["users"] < fail_below:
        return EXIT_FAIL
    return EXIT_OK


def _progress(test: dict[str, Any]) -> str:
    p = test.get("progress") or {}
    return (
        f"perfite-ci: load test {test['id']} {test['status']}: stage {p.get('stage', 0)} of "
        f"{p.get('stages', '?')} ({p.get('users', 0)} users)"
    )


def _cancel(client: Client, test: dict[str, Any]) -> str:
    try:
        client.post(f"load-tests/{test['id']}/cancel/", {})
    except CIError as exc:
        return f"; cancelling it failed too ({exc})"
    return f"; load test {test['id']} cancelled"


def run_load(args: argparse.Namespace) -> int:
    client = Client(args.server, args.token)
    test = client.post("load-tests/", load_body(args))
    deadline = time.monotonic() + args.timeout
    last = ""
    try:
        while True:
            line = _progress(test)
            if line != last:
                print(line, file=sys.stderr, flush=True)
                last = line
            if test["status"] in SETTLED:
                break
            if time.monotonic() >= deadline:
                raise CIError(f"load test {test['id']} not finished after {args.timeout:g} s")
            time.sleep(POLL_S)
            test = client.get(f"load-tests/{test['id']}/")
    except CIError as exc:
        raise CIError(f"{exc}{_cancel(client, test)}") from None
    except KeyboardInterrupt:
        raise CIError(f"interrupted{_cancel(client, test)}") from None
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(test, indent=2), encoding="utf-8")
        except OSError as exc:
            raise CIError(f"cannot write {args.json}: {exc}") from None
    sys.stdout.write(report_text(test))
    if test["status"] != "done":
        raise CIError(f"load test {test['id']} {test['status']}: {test.get('error')}")
    return outcome(test, args.fail_below)
