"""manage.py measure: measure a URL or scenario file in-process and print the result."""

import json
import statistics
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from agents.engines import BrowserNotFound, InfrastructureError
from agents.measuring import measure
from agents.pool import shared_pool
from agents.scenario_file import spec_from_target
from core.browsers import BROWSERS
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.har.analyse import repair_har
from core.har.redact import sanitize_har
from core.metrics import HOST, NUMBER, PAGE, SCORE, format_value, page_metrics, page_names, unit_of
from core.profiles import BUILTIN, Profile, ProfileError, builtin, from_spec
from core.script import ScriptError

# The host table's columns: a host's totals (fields of the registry's host family) and widths.
HOST_COLUMNS = (("requests", 10), ("transfer_bytes", 16), ("time_ms", 10), ("blocking_ms", 13))


def summary_line(metrics: dict[str, Any]) -> str:
    """One run's summary metrics (registry flag ``summary``), printed by the one formatter:
    ``TTFB 120 ms  LCP 310 ms  Transfer 1.2 MB  Third-party bytes 300.0 kB``."""
    return "  ".join(
        f"{m.label} {m.format(metrics.get(m.name))}" for m in page_metrics(summary=True)
    )


def resolve_profile(name: str) -> Profile:
    """A built-in profile, else a custom one from the server's database (when this process
    has it). Raises ProfileError saying which exist, or why custom ones could not be read."""
    found = builtin(name)
    if found is not None:
        return found
    # Custom profiles are the server's rows; an agent machine has only the built-in ones.
    from scenarios.models import UnknownProfile
    from scenarios.models import resolve_profile as custom

    try:
        return custom(name)
    except UnknownProfile as exc:
        raise ProfileError(str(exc)) from None
    except DatabaseError as exc:
        raise ProfileError(
            f"no built-in profile {name!r} (built in: {', '.join(BUILTIN)}), and custom "
            f"profiles could not be read from the database: {exc}"
        ) from None


def medians(results: list[dict[str, Any]]) -> dict[str, float | None]:
    """Median of every metric over the runs that have it, to 0.1 (a score or a page's own
    number to 0.001, the digits their formatter prints)."""
    names = {name for r in results for name in r["metrics"]}
    out: dict[str, float | None] = {}
    for name in sorted(names):
        values = [r["metrics"][name] for r in results if r["metrics"].get(name) is not None]
        digits = 3 if unit_of(name) in (SCORE, NUMBER) else 1
        out[name] = round(statistics.median(values), digits) if values else None
    return out


def flat_named(result: dict[str, Any]) -> dict[str, Any]:
    """A run's named metrics (user timings, named requests, JS values, WebSockets …) and its
    measured steps' duration and own metrics (``step.<step>.<name>``), flat by name."""
    page = set(page_names())
    flat = {name: value for name, value in result["metrics"].items() if name not in page}
    for step in result.get("steps") or []:
        prefix = f"step.{step['name']}."
        flat[prefix + "duration_ms"] = step.get("duration_ms")
        flat.update({prefix + name: value for name, value in (step.get("metrics") or {}).items()})
    return flat


def named_lines(results: list[dict[str, Any]]) -> list[str]:
    """:func:`flat_named` of the runs, median over the runs that have each, then the last
    run's reasons for the named metrics it has not; no lines when there is nothing."""
    med = medians([{"metrics": flat_named(r)} for r in results])
    errors = results[-1].get("metric_errors") or {}
    if not med and not errors:
        return []
    width = max(len(name) for name in [*med, *errors]) + 2
    lines = [f"{'named metric':<{width}}{'median':>14}"]
    lines += [f"{name:<{width}}{format_value(name, value):>14}" for name, value in med.items()]
    lines += [
        f"{name:<{width}}{format_value(name, None):>14}  {reason}"
        for name, reason in errors.items()
    ]
    return lines


class Command(BaseCommand):
    help = (
        "Measure a URL or a scenario file (YAML or Given/When/Then) in a real browser "
        "(Chromium unless --browser or the file says otherwise), in this process (no broker, "
        "no server), and print the result document. Exits 1 when a run fails."
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
            "--profile",
            metavar="NAME",
            default=None,
            help="measure under this connection and CPU profile (README, Connection and CPU "
            "profiles): native (no shaping, the default), "
            + ", ".join(name for name in BUILTIN if name != "native")
            + ", or a custom profile of the server's database; wins over a scenario file's "
            "'profile'",
        )
        parser.add_argument(
            "--browser",
            metavar="NAME",
            choices=BROWSERS,
            default=None,
            help=f"measure in this browser: {', '.join(BROWSERS)} (default {DEFAULT_BROWSER}); "
            "wins over a scenario file's 'browser'",
        )
        parser.add_argument(
            "--filmstrip-out",
            metavar="FILE",
            help="write the (last) run's filmstrip here: a zip of its frames (JPEG), frame i "
            "shown at the result's filmstrip.frames[i].ms",
        )
        parser.add_argument(
            "--no-filmstrip",
            action="store_true",
            help="capture no frames (no filmstrip, no visual metrics such as Speed Index)",
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
            profile = resolve_profile(options["profile"]) if options["profile"] else None
            spec = spec_from_target(
                options["target"],
                options["first_party"],
                screenshot=bool(options["screenshot_out"]),
                profile=profile,
                resolve=resolve_profile,
                filmstrip=False if options["no_filmstrip"] else None,
                browser=options["browser"],
            )
        except ScriptError as exc:
            raise CommandError(f"{options['target']}: {exc}") from exc
        except ProfileError as exc:
            raise CommandError(str(exc)) from exc
        pool = shared_pool()  # closed when the process exits
        results = []
        har = screenshot = filmstrip = None
        try:
            for index in range(options["runs"]):
                measurement = measure(spec, pool)
                results.append(measurement.result)
                har, screenshot = measurement.har, measurement.screenshot
                filmstrip = measurement.filmstrip
                if not options["json"]:
                    self.stderr.write(
                        f"run {index + 1}/{options['runs']}: {measurement.result['status']}"
                        f"  {summary_line(measurement.result['metrics'])}"
                        + (
                            f"  error: {measurement.result['error']}"
                            if measurement.result["error"]
                            else ""
                        )
                    )
        except BrowserNotFound as exc:
            raise CommandError(str(exc)) from exc
        except InfrastructureError as exc:  # the browser or the page's renderer crashed
            raise CommandError(f"the browser failed, nothing was measured: {exc}") from exc
        if options["har_out"] and har is not None:
            # The repaired HAR, as the server stores it: it agrees with the printed numbers.
            repaired = repair_har(har, results[-1].get("requests") or [])
            with open(options["har_out"], "w", encoding="utf-8") as handle:
                json.dump(sanitize_har(repaired), handle)
        if options["screenshot_out"] and screenshot is not None:
            with open(options["screenshot_out"], "wb") as shot:
                shot.write(screenshot)
        if options["filmstrip_out"] and filmstrip is not None:
            with open(options["filmstrip_out"], "wb") as film:
                film.write(filmstrip)
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
        profile = from_spec(last.get("profile")).describe() if last.get("profile") else "—"
        self.stdout.write(
            f"{last['url']}  ({len(results)} run(s), {last['browser_version']}, profile {profile})"
        )
        self.stdout.write(f"{'metric':<26}{'median':>14}")
        for metric in PAGE:
            self.stdout.write(f"{metric.name:<26}{metric.format(med.get(metric.name)):>14}")
        self.stdout.write("")
        if named := named_lines(results):
            self.stdout.write("\n".join(named))
            self.stdout.write("")
        self.stdout.write(
            f"{'host':<36}{'party':<7}"
            + "".join(f"{name:>{width}}" for name, width in HOST_COLUMNS)
        )
        for host, totals in sorted(last["hosts"].items(), key=lambda kv: -kv[1]["transfer_bytes"]):
            self.stdout.write(
                f"{host[:35]:<36}{totals['party']:<7}"
                + "".join(
                    f"{HOST.field(name).format(totals.get(name)):>{width}}"
                    for name, width in HOST_COLUMNS
                )
            )
