"""perfite-ci: the command line a CI pipeline runs.

Commands: ``compare``, ``release`` and ``load`` (where does a scenario degrade under load?
see ``perfite-ci load --help``). Exit status of compare: 0 no regression and budgets met; 1 a
regression or a budget over its limit; 2 anything else (bad arguments, server unreachable,
token refused, runs failed, no stored base, timed out or interrupted), with a one-line reason
on stderr. A comparison given up on (--timeout or Ctrl-C) is cancelled on the server, so its
runs stop. Progress goes to stderr, the report to stdout.
"""

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from perfite_ci import load, report
from perfite_ci.client import CIError, Client

EXIT_OK, EXIT_FAIL, EXIT_ERROR = 0, 1, 2
SETTLED = ("done", "error", "cancelled")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line and exit 2 (argparse's default prints the whole usage first)."""
        self.exit(EXIT_ERROR, f"perfite-ci: {message} (see perfite-ci --help)\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--server",
        default=os.environ.get("PERFITE_SERVER"),
        help="Perfite's base URL, e.g. https://perfite.example.com (env PERFITE_SERVER)",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("PERFITE_TOKEN"),
        help="API token of an editor account (env PERFITE_TOKEN)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="perfite-ci", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    compare = commands.add_parser(
        "compare",
        help="is this build slower than its base?",
        description="Run a scenario against the branch (and the base URL, interleaved, when "
        "given) on the Perfite server and judge every metric. Without --base-url "
        "the base is the stored runs of --base-branch at --base-commit, else at "
        "the first of --base-commits with runs, else its latest runs.",
    )
    _common(compare)
    compare.add_argument("--scenario", required=True, help="scenario slug")
    compare.add_argument("--url", default="", help="branch URL (default: the scenario's URL)")
    compare.add_argument("--base-url", default="", help="base URL: paired, interleaved runs")
    compare.add_argument("--branch", default="", help="branch name of this build")
    compare.add_argument("--commit", default="", help="commit of this build")
    compare.add_argument("--base-branch", default="", help="branch to compare with, e.g. main")
    compare.add_argument("--base-commit", default="", help="commit of the base")
    compare.add_argument(
        "--base-commits",
        default="",
        help="ancestors of the base, nearest first, comma/space separated or "
        "@FILE (e.g. git rev-list --max-count=50 origin/main > FILE)",
    )
    compare.add_argument("--runs", type=int, default=5, help="runs per side (default 5)")
    compare.add_argument(
        "--warmup", type=int, default=None, help="unused warm-up runs per side first (default 1)"
    )
    compare.add_argument("--location", default=None, help="location to measure from")
    compare.add_argument(
        "--profile",
        default=None,
        help="connection and CPU profile to measure both sides under, e.g. 4g, 3g-fast, "
        "lighthouse-mobile or a custom one (default: the scenario's); a history base is taken "
        "from runs of this profile only",
    )
    compare.add_argument("--build-url", default="", help="link back to the CI build")
    compare.add_argument("--label", default="", help="free text shown with the runs")
    compare.add_argument(
        "--metrics",
        default="",
        help="gated metrics, comma separated (default fcp,lcp,cls,tbt,load): page metrics, "
        "splits (party.third.transfer_bytes), named metrics (user.checkout_ready, "
        "request.create_chat.duration_ms, custom.NAME, ws.NAME.reply_ms, backend.NAME, "
        "cpu.script_ms) and measured steps' (step.STEP.duration_ms, step.STEP.NAMED); a name "
        "the server does not know is refused (exit 2); every extra metric costs power: at 5 "
        "runs per side at most 6 can reach significance",
    )
    compare.add_argument("--alpha", type=float, default=None, help="significance (0.05)")
    compare.add_argument(
        "--min-effect-ms",
        type=float,
        default=None,
        help="smallest change in ms that can fail the build (50)",
    )
    compare.add_argument(
        "--min-effect-pct",
        type=float,
        default=None,
        help="smallest change in percent that can fail the build (5)",
    )
    compare.add_argument("--csv", type=Path, help="write one row per metric to this file")
    compare.add_argument("--html", type=Path, help="write a standalone HTML report")
    compare.add_argument("--junit", type=Path, help="write JUnit XML (metrics and budgets)")
    compare.add_argument(
        "--teamcity", action="store_true", help="print TeamCity buildStatisticValue messages"
    )
    compare.add_argument("--all", action="store_true", help="show every metric in the table")
    compare.add_argument(
        "--timeout",
        type=float,
        default=1800,
        help="give up after this many seconds (1800): the comparison is cancelled, exit 2",
    )

    release = commands.add_parser(
        "release", help="mark a deployment", description="Record a release marker on the server."
    )
    _common(release)
    release.add_argument("--name", required=True, help="release name, e.g. v1.4.2")
    release.add_argument(
        "--scenario",
        action="append",
        default=[],
        help="scenario slug (repeatable); none means every scenario",
    )
    release.add_argument("--note", default="", help="free text")
    release.add_argument("--link", default="", help="URL of the release notes or deploy")
    release.add_argument("--time", default=None, help="ISO 8601 time (default: now)")
    load.add_parser(commands, _common)
    return parser


def _base_commits(value: str) -> list[str]:
    if value.startswith("@"):
        try:
            value = Path(value[1:]).read_text()
        except OSError as exc:
            raise CIError(f"cannot read --base-commits file: {exc}") from None
    return [sha for sha in value.replace(",", " ").split() if sha]


def compare_body(args: argparse.Namespace) -> dict[str, Any]:
    """The POST body for /api/comparisons/ from the arguments; CIError when they clash."""
    if not args.base_url and not args.base_branch:
        raise CIError("give --base-url (paired runs) or --base-branch (stored base runs)")
    if not args.base_url and not (args.branch and args.commit):
        raise CIError("without --base-url, give --branch and --commit of this build")
    if not 1 <= args.runs <= 100:
        raise CIError("--runs must be between 1 and 100")
    body: dict[str, Any] = {"scenario": args.scenario, "runs": args.runs}
    for key in (
        "url",
        "base_url",
        "branch",
        "commit",
        "base_branch",
        "base_commit",
        "build_url",
        "label",
        "location",
        "profile",
        "alpha",
        "min_effect_ms",
        "min_effect_pct",
        "warmup",
    ):
        value = getattr(args, key)
        if value not in (None, ""):
            body[key] = value
    if args.base_commits:
        body["base_commits"] = _base_commits(args.base_commits)
    if args.metrics:
        body["metrics"] = [m.strip() for m in args.metrics.split(",") if m.strip()]
    return body


def _progress(comparison: dict[str, Any]) -> str:
    p = comparison.get("progress") or {}
    flagged = next((r["flagged"] for r in comparison.get("runs", []) if r.get("flagged")), "")
    text = (
        f"perfite-ci: comparison {comparison['id']} {comparison['status']}: "
        f"{p.get('finished', 0)}/{p.get('planned', '?')} runs finished"
        f"{', ' + str(p['failed']) + ' failed' if p.get('failed') else ''}"
    )
    return text + (f" (warning: {flagged})" if flagged else "")


class TimedOut(CIError):
    """The comparison did not finish within --timeout."""


def wait_for(client: Client, comparison: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Poll until the comparison is done or failed; progress lines on stderr."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        line = _progress(comparison)
        if line != last:
            print(line, file=sys.stderr, flush=True)
            last = line
        if comparison["status"] in SETTLED:
            return comparison
        if time.monotonic() >= deadline:
            raise TimedOut(f"comparison {comparison['id']} not finished after {timeout:g} s")
        comparison = client.get(f"comparisons/{comparison['id']}/", wait=10)


def cancel(client: Client, comparison: dict[str, Any]) -> str:
    """Cancel a comparison this run gave up on, so its runs stop; say how that went."""
    try:
        client.post(f"comparisons/{comparison['id']}/cancel/", {})
    except CIError as exc:
        return f"; cancelling it failed too ({exc})"
    return f"; comparison {comparison['id']} cancelled"


def run_compare(args: argparse.Namespace) -> int:
    client = Client(args.server, args.token)
    comparison = client.post("comparisons/", compare_body(args))
    try:
        comparison = wait_for(client, comparison, args.timeout)
    except TimedOut as exc:
        raise CIError(f"{exc}{cancel(client, comparison)}") from None
    except KeyboardInterrupt:
        raise CIError(f"interrupted{cancel(client, comparison)}") from None
    if comparison["status"] == "cancelled":
        raise CIError(f"comparison {comparison['id']} was cancelled: {comparison.get('error')}")
    if comparison["status"] == "error":
        raise CIError(f"comparison {comparison['id']} failed: {comparison.get('error')}")
    data = comparison.get("report") or {}
    sys.stdout.write(report.table(comparison, show_all=args.all))
    if args.teamcity:
        for message in report.teamcity(comparison):
            print(message)
    outputs = (
        (args.csv, report.to_csv(data)),
        (args.html, report.to_html(comparison)),
        (args.junit, report.junit(comparison)),
    )
    for path, text in outputs:
        if path is not None:
            try:
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise CIError(f"cannot write {path}: {exc}") from None
    return EXIT_FAIL if data.get("gate") == "fail" else EXIT_OK


def run_release(args: argparse.Namespace) -> int:
    client = Client(args.server, args.token)
    body: dict[str, Any] = {
        "name": args.name,
        "scenarios": args.scenario,
        "note": args.note,
        "link": args.link,
    }
    if args.time:
        body["time"] = args.time
    created = client.post("releases/", body)
    scope = ", ".join(created.get("scenarios") or []) or "every scenario"
    print(f"release {created['id']} {created['name']} at {created['time']} ({scope})")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``perfite-ci`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        if not args.server or not args.token:
            raise CIError("give --server and --token (or PERFITE_SERVER and PERFITE_TOKEN)")
        if args.command == "compare":
            return run_compare(args)
        if args.command == "load":
            return load.run_load(args)
        return run_release(args)
    except CIError as exc:
        print(f"perfite-ci: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("perfite-ci: interrupted", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
