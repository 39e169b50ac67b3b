"""manage.py measure: measure a URL or scenario file in-process and print the result."""

import json
import statistics
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from agents.browser import BrowserNotFound, measure
from agents.pool import shared_pool
from agents.scenario_file import spec_from_target
from core.har.files import sanitize_har
from core.script.parse import ScriptError

TABLE_METRICS = (
    ("ttfb", "ms"),
    ("fcp", "ms"),
    ("lcp", "ms"),
    ("cls", ""),
    ("tbt", "ms"),
    ("dom_content_loaded", "ms"),
    ("load", "ms"),
    ("fully_loaded", "ms"),
    ("requests", ""),
    ("transfer_bytes", "B"),
    ("body_bytes", "B"),
    ("first_party_bytes", "B"),
    ("third_party_bytes", "B"),
    ("third_party_blocking_ms", "ms"),
)


def medians(results: list[dict[str, Any]]) -> dict[str, float | None]:
    """Median of every page metric over the runs that have it."""
    names = {name for r in results for name in r["metrics"]}
    out: dict[str, float | None] = {}
    for name in sorted(names):
        values = [r["metrics"][name] for r in results if r["metrics"].get(name) is not None]
        out[name] = round(statistics.median(values), 1) if values else None
    return out


class Command(BaseCommand):
    help = (
        "Measure a URL or a scenario file (YAML or Given/When/Then) in a real Chromium, in "
        "this process (no broker, no server), and print the result document. Exits 1 when a "
        "run fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("target", help="http(s) URL or path of a scenario file")
        parser.add_argument("--runs", type=int, default=1, help="measure N times (default 1)")
        parser.add_argument("--json", action="store_true", help="print JSON result documents")
        parser.add_argument("--har-out", metavar="FILE", help="write the (last) run's HAR here")
        parser.add_argument(
            "--screenshot-out",
            metavar="FILE",
            help="write the (last) run's final screenshot (JPEG) here",
        )
        parser.add_argument(
            "--first-party",
            metavar="PATTERN",
            nargs="+",
            default=None,
            help="host patterns counted as first party (glob or re:REGEX)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1")
        try:
            spec = spec_from_target(options["target"], options["first_party"])
        except ScriptError as exc:
            raise CommandError(f"{options['target']}: {exc}") from exc
        spec["screenshot"] = bool(options["screenshot_out"])
        pool = shared_pool()  # closed when the process exits
        results = []
        har = screenshot = None
        try:
            for index in range(options["runs"]):
                measurement = measure(spec, pool)
                results.append(measurement.result)
                har, screenshot = measurement.har, measurement.screenshot
                if not options["json"]:
                    m = measurement.result["metrics"]
                    self.stderr.write(
                        f"run {index + 1}/{options['runs']}: {measurement.result['status']}"
                        f"  ttfb {m.get('ttfb')} ms  lcp {m.get('lcp')} ms"
                        f"  {m.get('requests')} requests  {m.get('transfer_bytes')} B"
                        + (
                            f"  error: {measurement.result['error']}"
                            if measurement.result["error"]
                            else ""
                        )
                    )
        except BrowserNotFound as exc:
            raise CommandError(str(exc)) from exc
        if options["har_out"] and har is not None:
            with open(options["har_out"], "w", encoding="utf-8") as handle:
                json.dump(sanitize_har(har), handle)
        if options["screenshot_out"] and screenshot is not None:
            with open(options["screenshot_out"], "wb") as shot:
                shot.write(screenshot)
        if options["json"]:
            document: Any = (
                results[0] if len(results) == 1 else {"runs": results, "median": medians(results)}
            )
            self.stdout.write(json.dumps(document, indent=2))
        else:
            self._table(results)
        if any(r["status"] != "succeeded" for r in results):
            sys.exit(1)

    def _table(self, results: list[dict[str, Any]]) -> None:
        last = results[-1]
        med = medians(results)
        self.stdout.write(f"{last['url']}  ({len(results)} run(s), {last['browser_version']})")
        self.stdout.write(f"{'metric':<26}{'median':>14}")
        for name, unit in TABLE_METRICS:
            value = med.get(name)
            shown = "-" if value is None else f"{value:g} {unit}".strip()
            self.stdout.write(f"{name:<26}{shown:>14}")
        self.stdout.write("")
        self.stdout.write(
            f"{'host':<36}{'party':<7}{'req':>5}{'bytes':>10}{'time ms':>10}{'block ms':>10}"
        )
        for host, totals in sorted(last["hosts"].items(), key=lambda kv: -kv[1]["transfer_bytes"]):
            self.stdout.write(
                f"{host[:35]:<36}{totals['party']:<7}{totals['requests']:>5}"
                f"{totals['transfer_bytes']:>10}{totals['time_ms']:>10.1f}{totals['blocking_ms']:>10.1f}"
            )
