"""CI comparisons: which runs are base and branch, running them in turn, and the report.

Two ways to get a base:

- **paired** (a base URL is given): base and branch are both measured here, interleaved on
  one location in pairs (one base and one branch run, in random order) so drift of the
  machine or network cancels;
- **history** (no base URL): only the branch is measured; the base is stored runs of the base
  branch. Perfite has no git access, so "the base" is, in order: succeeded runs of the base
  branch at ``base_commit``; else at the first of ``options["base_commits"]`` (the client's
  ``git rev-list`` of ancestors, nearest first) that has runs; else the runs of the most
  recent base-branch commit measured before the comparison was created.

Each measured side first gets an unused warm-up run (:func:`warmups`). Runs are created one
at a time: :func:`advance` creates and enqueues the next run only once every earlier run has
finished, so the runs of a comparison never overlap and alternate on the location's queue.
:func:`advance` is idempotent and cheap; it is called when a run of a comparison is stored
(:func:`run_finished`) and whenever the comparison's status is read through the API, so a
lost hook only slows a comparison down, never stalls it while a client is polling.
"""

import random
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.stats import verdict as stats
from core.stats.attribution import attribute
from core.stats.budgets import evaluate_budgets, has_requests, is_group_metric, metric_values
from scenarios.models import Comparison, Location, Release, Run, Scenario
from scenarios.runs.dispatch import enqueue_run

BASE = "base"
BRANCH = "branch"
WARMUP = "warmup"
WARMUP_PER_SIDE = 1
# TTFB is part of FCP, LCP and load, so it is reported but not gated by default: each gated
# metric costs power under Holm (see docs/ci.md).
DEFAULT_FAMILY = ("fcp", "lcp", "cls", "tbt", "load")
# Split fields worth a row in the report; the rest stay in the run documents.
REPORTED_SPLITS = {
    "party": ("requests", "transfer_bytes", "time_ms", "blocking_ms"),
    "entity": ("requests", "transfer_bytes", "time_ms", "blocking_ms"),
    "type": ("transfer_bytes",),
}
MAX_HISTORY_RUNS = 50
MIN_RUNS = 3


class ComparisonError(ValueError):
    """The comparison cannot be created or finished; the message says why."""


def default_location(scenario: Scenario) -> Location:
    """The scenario's first location, else the server's own (created if needed)."""
    location = scenario.locations.order_by("name").first()
    if location is not None:
        return location
    location, _ = Location.objects.get_or_create(name=settings.PERFITE_LOCATION)
    return location


def create_comparison(scenario: Scenario, **fields: Any) -> Comparison:
    """Create a comparison from API fields and enqueue its first run (after commit).

    ``fields`` are Comparison fields plus ``options``. Raises ComparisonError when neither a
    base URL nor a base branch says where the base comes from.
    """
    if not fields.get("base_url") and not fields.get("base_branch"):
        raise ComparisonError("give a base URL (paired runs) or a base branch (stored runs)")
    with transaction.atomic():
        fields.setdefault("location", None)
        if fields["location"] is None:
            fields["location"] = default_location(scenario)
        comparison = Comparison.objects.create(scenario=scenario, **fields)
        _step(comparison)
    return comparison


def needed(comparison: Comparison) -> dict[str, int]:
    """Succeeded runs each measured side needs."""
    n = comparison.iterations
    return {BASE: n, BRANCH: n} if comparison.paired else {BRANCH: n}


def warmups(comparison: Comparison) -> list[str]:
    """The sides warmed up, in order, before the measured runs (their results are not used).

    The first load after a pause is slower more often than the rest (in bench/ci_ab.py the
    first run of a comparison was over 350 ms twice as often as later ones), and a preview
    deployment's first request may start it cold; without a warm-up those costs would land on
    whichever side runs first. ``options["warmup"]`` runs per side, default 1.
    """
    per_side = max(int(comparison.options.get("warmup", WARMUP_PER_SIDE)), 0)
    return list(needed(comparison)) * per_side


def run_finished(run_id: int) -> None:
    """Hook for after a run is stored: move its comparison on, if it has one."""
    comparison_id = Run.objects.filter(pk=run_id).values_list("comparison_id", flat=True).first()
    if comparison_id:
        advance(comparison_id)


def advance(comparison_id: int) -> Comparison:
    """Move a comparison on by at most one step and return it (fresh from the database).

    While a run is queued or running nothing happens. Otherwise the next run is created and
    enqueued, or — when every side has its runs — the report is built and the comparison is
    done (or failed, with ``error`` saying why).
    """
    comparison = Comparison.objects.select_related("scenario").get(pk=comparison_id)
    settled = comparison.status in (Comparison.DONE, Comparison.ERROR)
    if settled or comparison.runs.exclude(status__in=Run.FINISHED).exists():
        return comparison  # the common case while polling: no lock, no write
    with transaction.atomic():
        comparison = (
            Comparison.objects.select_for_update().select_related("scenario").get(pk=comparison_id)
        )
        if comparison.status not in (Comparison.DONE, Comparison.ERROR):
            _step(comparison)
    return comparison


def _step(comparison: Comparison) -> None:
    runs = list(comparison.runs.order_by("sequence"))
    if any(not run.is_finished for run in runs):
        return
    warm = warmups(comparison)
    warmed = [run for run in runs if run.role == WARMUP]
    if len(warmed) < len(warm):
        _create_run(comparison, warm[len(warmed)], sequence=len(runs), warmup=True)
        _mark_running(comparison)
        return
    measured = [run for run in runs if run.role != WARMUP]
    succeeded = {role: 0 for role in needed(comparison)}
    for run in measured:
        if run.status == Run.SUCCEEDED and run.role in succeeded:
            succeeded[run.role] += 1
    failed = [run for run in measured if run.status != Run.SUCCEEDED]
    if len(failed) > comparison.iterations:
        last = failed[-1]
        _fail(
            comparison,
            f"{len(failed)} runs failed; last: run {last.pk} {last.status}"
            f"{': ' + last.error if last.error else ''}",
        )
        return
    missing = [role for role, count in succeeded.items() if count < needed(comparison)[role]]
    if not missing:
        _finish(comparison, runs)
        return
    role = missing[0]
    if len(missing) == 2:
        role = _paired_side(comparison, measured)
    _create_run(comparison, role, sequence=len(runs))
    _mark_running(comparison)


def _paired_side(comparison: Comparison, measured: Sequence[Run]) -> str:
    """The side of the next paired run: runs come in pairs (one base, one branch) whose order
    is drawn at random, seeded by the comparison and the pair so it is reproducible.

    A strict base, branch, base … order lines every base run up with the same phase of
    anything periodic on the machine (another job's timer, a GC cycle) that has about the
    period of a pair; in bench/ci_ab.py that made an A/A comparison a "regression" with every
    branch run slower. Random order within each pair keeps the drift cancelling and spreads
    periodic disturbances over both sides.
    """
    if len(measured) % 2 == 1:
        return BRANCH if measured[-1].role == BASE else BASE
    pair = len(measured) // 2
    return random.Random(f"{comparison.pk}:{pair}").choice((BASE, BRANCH))


def _mark_running(comparison: Comparison) -> None:
    if comparison.status == Comparison.PENDING:
        comparison.status = Comparison.RUNNING
        comparison.save(update_fields=["status"])


def _create_run(comparison: Comparison, side: str, sequence: int, warmup: bool = False) -> Run:
    location = comparison.location
    flagged = ""
    if location is not None and not location.has_live_agent:
        flagged = f"no live agent in location {location.name}"
    is_base = side == BASE
    # Warm-ups carry no branch or commit: they must never be taken for stored history.
    tagged = not warmup
    run = Run.objects.create(
        scenario=comparison.scenario,
        location=location,
        kind=Run.KIND_CI,
        flagged=flagged,
        target_url=(comparison.base_url if is_base else comparison.branch_url) or "",
        branch=(comparison.base_branch if is_base else comparison.branch) if tagged else "",
        commit=(comparison.base_commit if is_base else comparison.commit) if tagged else "",
        base_branch="" if is_base or warmup else comparison.base_branch,
        base_commit="" if is_base or warmup else comparison.base_commit,
        build_url=comparison.build_url,
        label=comparison.label,
        comparison=comparison,
        role=WARMUP if warmup else side,
        sequence=sequence,
    )
    enqueue_run(run)
    return run


def _fail(comparison: Comparison, reason: str) -> None:
    comparison.status = Comparison.ERROR
    comparison.error = reason[:2000]
    comparison.save(update_fields=["status", "error"])


def find_base_runs(comparison: Comparison) -> tuple[list[Run], dict[str, Any]]:
    """Stored base runs for a history comparison and a description of where they came from.

    See the module docstring for the order. Only succeeded runs of the same scenario count,
    at the comparison's location or imported (no location); at most the 50 most recent.
    """
    runs = Run.objects.filter(
        scenario=comparison.scenario, status=Run.SUCCEEDED, branch=comparison.base_branch
    ).exclude(comparison=comparison)
    if comparison.location_id:
        runs = runs.filter(Q(location_id=comparison.location_id) | Q(location__isnull=True))
    candidates: list[tuple[str, str]] = []
    if comparison.base_commit:
        candidates.append((comparison.base_commit, "base commit"))
    for sha in comparison.options.get("base_commits") or []:
        candidates.append((str(sha), "nearest ancestor with runs"))
    found = set(
        runs.filter(commit__in=[sha for sha, _ in candidates]).values_list("commit", flat=True)
    )
    for sha, source in candidates:
        if sha in found:
            chosen = runs.filter(commit=sha)
            return _recent(chosen), {
                "source": source,
                "branch": comparison.base_branch,
                "commit": sha,
            }
    latest = runs.filter(created_at__lt=comparison.created_at).order_by("-created_at").first()
    if latest is None:
        return [], {"source": "none", "branch": comparison.base_branch, "commit": ""}
    chosen = runs.filter(commit=latest.commit, created_at__lt=comparison.created_at)
    return _recent(chosen), {
        "source": "latest base-branch runs before the comparison",
        "branch": comparison.base_branch,
        "commit": latest.commit,
    }


def _recent(runs: Any) -> list[Run]:
    return list(runs.order_by("-created_at")[:MAX_HISTORY_RUNS])


def _finish(comparison: Comparison, runs: Sequence[Run]) -> None:
    branch = [run for run in runs if run.role == BRANCH and run.status == Run.SUCCEEDED]
    if comparison.paired:
        base = [run for run in runs if run.role == BASE and run.status == Run.SUCCEEDED]
        source = {
            "source": "paired",
            "url": comparison.base_url,
            "branch": comparison.base_branch,
            "commit": comparison.base_commit,
        }
    else:
        base, source = find_base_runs(comparison)
        starts_history = comparison.branch == comparison.base_branch
        if starts_history and len(base) < MIN_RUNS:
            # The base branch measured against itself with too little history: its runs
            # become the history (verdicts inconclusive, budgets still checked).
            source["note"] = (
                f"too few earlier runs of {comparison.base_branch!r}: these start its history"
            )
        elif len(base) < MIN_RUNS:
            _fail(
                comparison,
                f"only {len(base)} stored succeeded runs of base branch "
                f"{comparison.base_branch!r} found (need {MIN_RUNS}); run the base first",
            )
            return
    report = compare_runs(
        [run.result or {} for run in base],
        [run.result or {} for run in branch],
        options=comparison.options,
        budgets=comparison.scenario.budgets,
    )
    report["base"] = {**source, "runs": [run.pk for run in base]}
    report["branch"] = {
        "url": comparison.branch_url or comparison.scenario.url,
        "branch": comparison.branch,
        "commit": comparison.commit,
        "runs": [run.pk for run in branch],
    }
    report["mode"] = "paired" if comparison.paired else "history"
    report["failed_runs"] = [run.pk for run in runs if run.status != Run.SUCCEEDED]
    comparison.report = report
    comparison.verdict = report["verdict"]
    comparison.status = Comparison.DONE
    comparison.save(update_fields=["report", "verdict", "status"])


def _values(results: Sequence[Mapping[str, Any]], names: set[str]) -> dict[str, list[float]]:
    """Per metric name, the values of the runs that have it; absent splits count as 0."""
    values: dict[str, list[float]] = {name: [] for name in names}
    for result in results:
        named = metric_values(result)
        recorded = has_requests(result)
        for name in names:
            if name in named:
                values[name].append(named[name])
            elif recorded and is_group_metric(name):
                values[name].append(0.0)
    return values


def _reported(result: Mapping[str, Any]) -> list[str]:
    names = []
    for name in metric_values(result):
        if not is_group_metric(name):
            names.append(name)
            continue
        prefix, rest = name.split(".", 1)
        member, _, field = rest.rpartition(".")
        if field not in REPORTED_SPLITS.get(prefix, ()):
            continue
        if (
            prefix == "entity"
            and (result.get("entities") or {}).get(member, {}).get("party") == "first"
        ):
            continue
        names.append(name)
    return names


def compare_runs(
    base: Sequence[Mapping[str, Any]],
    branch: Sequence[Mapping[str, Any]],
    *,
    options: Mapping[str, Any] | None = None,
    budgets: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """The comparison report of two sets of result documents (plain data in, plain data out).

    ``options``: ``alpha`` (0.05), ``min_effect_ms`` (50), ``min_effect_pct`` (5),
    ``metrics`` (the gated family, default fcp lcp cls tbt load). Returns
    ``{"verdict", "gate", "metrics": [MetricComparison dicts], "attribution": [...],
    "budgets": [...], "budgets_passed", "runs": {"base", "branch"}}``; ``gate`` is "fail" on
    a regression or a budget over its limit, else "pass". Attribution covers every gated
    page metric that regressed or improved.
    """
    options = options or {}
    ordered: dict[str, None] = {}
    for result in [*base, *branch]:
        ordered.update(dict.fromkeys(_reported(result)))
    requested = list(options.get("metrics") or DEFAULT_FAMILY)
    names = set(ordered) | set(requested)
    base_values, branch_values = _values(base, names), _values(branch, names)
    # A metric whose pooled values are all equal can never be significant; leaving it out of
    # the Holm family before testing is decided on the pooled values alone (the same under
    # every relabelling of the runs), so the family-wise error rate is still controlled.
    constant = [
        m
        for m in requested
        if len(set(base_values[m] + branch_values[m])) <= 1
        and bool(base_values[m]) == bool(branch_values[m])
    ]
    family = [m for m in requested if m not in constant]
    present = [m for m in names if base_values[m] or branch_values[m]]
    results = stats.compare(
        {m: base_values[m] for m in present},
        {m: branch_values[m] for m in present},
        alpha=float(options.get("alpha", 0.05)),
        min_effect_ms=float(options.get("min_effect_ms", 50.0)),
        min_effect_pct=float(options.get("min_effect_pct", 5.0)),
        min_runs=MIN_RUNS,
        family=family,
    )
    order = {name: i for i, name in enumerate(dict.fromkeys([*requested, *ordered]))}
    results.sort(key=lambda r: order.get(r.metric, len(order)))
    verdict = stats.overall_verdict(results)
    attribution = [
        attribute(r.metric, base, branch)
        for r in results
        if r.gated
        and r.verdict in (stats.REGRESSION, stats.IMPROVEMENT)
        and not is_group_metric(r.metric)
        and r.metric != "cls"
    ]
    budget_results = [b.as_dict() for b in evaluate_budgets(budgets or {}, branch)]
    budgets_passed = all(b["passed"] for b in budget_results)
    return {
        "verdict": verdict,
        "gate": "fail" if verdict == stats.REGRESSION or not budgets_passed else "pass",
        "metrics": [r.as_dict() for r in results],
        "attribution": attribution,
        "budgets": budget_results,
        "budgets_passed": budgets_passed,
        "runs": {"base": len(base), "branch": len(branch)},
        "options": {
            "alpha": float(options.get("alpha", 0.05)),
            "metrics": requested,
            "constant": constant,
        },
    }


def release_report(release: Release, runs: int = 20) -> dict[str, Any]:
    """Is it slower or faster since ``release``? Per scenario and location: the last ``runs``
    succeeded runs before the release time against the first ``runs`` after it, with the
    same statistics as a CI comparison (base = before, branch = after)."""
    scenarios = list(release.scenarios.all()) or list(Scenario.objects.all())
    reports = []
    for scenario in scenarios:
        located = Run.objects.filter(scenario=scenario, status=Run.SUCCEEDED)
        for location_id in sorted(
            set(located.values_list("location_id", flat=True)), key=lambda v: (v is None, v)
        ):
            here = located.filter(location_id=location_id).exclude(kind=Run.KIND_CI)
            before = list(here.filter(created_at__lt=release.time).order_by("-created_at")[:runs])
            after = list(here.filter(created_at__gte=release.time).order_by("created_at")[:runs])
            if not before and not after:
                continue
            report = compare_runs(
                [r.result or {} for r in before], [r.result or {} for r in after], budgets={}
            )
            location = Location.objects.filter(pk=location_id).first()
            reports.append(
                {
                    "scenario": scenario.slug,
                    "location": location.name if location else None,
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
