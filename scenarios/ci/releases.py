"""Release reports: is it slower or faster since a release, per scenario, location and
conditions.

Reads stored runs around the release time and judges them with the CI comparison report
(``core.stats.report``): the runs before are the base, the runs after the branch.
"""

from typing import Any

from core.stats import verdict as stats
from core.stats.report import compare_runs
from scenarios.conditions import Conditions, browser_of
from scenarios.models import Location, Release, Run, Scenario


def release_report(release: Release, runs: int = 20) -> dict[str, Any]:
    """Is it slower or faster since ``release``? Per scenario, location, browser and profile
    (runs under different conditions are never compared: scenarios.conditions): the last
    ``runs`` succeeded runs before the release time against the first ``runs`` after it, with
    the same statistics as a CI comparison (base = before, branch = after)."""
    scenarios = list(release.scenarios.all()) or list(Scenario.objects.all())
    reports = []
    for scenario in scenarios:
        located = Run.objects.filter(scenario=scenario, status=Run.SUCCEEDED).exclude(
            kind=Run.KIND_CI
        )
        found = {
            (location_id, Conditions(browser_of(browser), profile))
            for location_id, browser, profile in located.values_list(
                "location_id", "browser", "profile"
            )
        }
        for location_id, measured in sorted(
            found, key=lambda v: (v[0] is None, v[0] or 0, v[1].browser, v[1].profile)
        ):
            here = located.filter(measured.runs(), location_id=location_id)
            before = list(here.filter(created_at__lt=release.time).order_by("-created_at")[:runs])
            after = list(here.filter(created_at__gte=release.time).order_by("created_at")[:runs])
            if not before and not after:
                continue
            report = compare_runs(
                [r.result or {} for r in before],
                [r.result or {} for r in after],
                budgets={},
                requests=scenario.spec()["setup"]["requests"],
            )
            location = Location.objects.filter(pk=location_id).first()
            reports.append(
                {
                    "scenario": scenario.slug,
                    "location": location.name if location else None,
                    "browser": measured.browser,
                    "profile": measured.profile,
                    "before": [r.pk for r in before],
                    "after": [r.pk for r in after],
                    "verdict": report["verdict"],
                    "metrics": report["metrics"],
                    "attribution": report["attribution"],
                }
            )
    verdicts = {r["verdict"] for r in reports}
    overall = next(
        (v for v in (stats.REGRESSION, stats.IMPROVEMENT, stats.INCONCLUSIVE) if v in verdicts),
        stats.NO_CHANGE,
    )
    return {
        "release": {"id": release.pk, "name": release.name, "time": release.time.isoformat()},
        "verdict": overall,
        "scenarios": reports,
    }
