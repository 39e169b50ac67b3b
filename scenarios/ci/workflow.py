"""CI comparison workflow: the runs of a comparison, created one at a time until its report.

Two ways to get a base:

- **paired** (a base URL is given): base and branch are both measured here, interleaved on
  one location in pairs (one base and one branch run, in random order) so drift of the
  machine or network cancels;
- **history** (no base URL): only the branch is measured; the base is stored runs of the base
  branch. Perfite has no git access, so "the base" is, in order: succeeded runs of the base
  branch at ``base_commit``; else at the first of ``options["base_commits"]`` (the client's
  ``git rev-list`` of ancestors, nearest first) that has runs; else the runs of the most
  recent base-branch commit measured before the comparison was created.

Both sides are measured in the scenario's browser under one profile (the comparison's, by
default the scenario's), and a history base is taken from runs of those conditions only
(scenarios.conditions): runs under other conditions are never compared.

Each measured side first gets an unused warm-up run (:func:`warmups`). Runs are created one
at a time: :func:`advance` creates and enqueues the next run only once every earlier run has
finished, so the runs of a comparison never overlap and alternate on the location's queue.
:func:`advance` is idempotent and cheap; it is called when a run of a comparison is stored
(:func:`run_finished`) and whenever the comparison's status is read through the API, so a
lost hook only slows a comparison down, never stalls it while a client is polling. The
report itself is pure (``core.stats.report``); release reports are ``scenarios.ci.releases``.
"""

import random
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from core.browsers import profile_refusal
from core.stats.report import MIN_RUNS, compare_runs
from scenarios.conditions import Conditions
from scenarios.models import Comparison, Location, Run, Scenario, UnknownProfile, resolve_profile
from scenarios.runs.dispatch import enqueue_run

BASE = "base"
BRANCH = "branch"
WARMUP = "warmup"
WARMUP_PER_SIDE = 1
MAX_HISTORY_RUNS = 50


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

    ``fields`` are Comparison fields plus ``options``; ``profile`` (default: the scenario's)
    is the one both sides are measured under, and a history base is taken under. Raises
    ComparisonError when neither a base URL nor a base branch says where the base comes
    from, when no profile has that name, or when the scenario's browser cannot apply it.
    """
    if not fields.get("base_url") and not fields.get("base_branch"):
        raise ComparisonError("give a base URL (paired runs) or a base branch (stored runs)")
    fields["profile"] = fields.get("profile") or scenario.profile
    try:
        refusal = profile_refusal(scenario.browser, resolve_profile(fields["profile"]))
    except UnknownProfile as exc:
        raise ComparisonError(str(exc)) from exc
    if refusal:
        raise ComparisonError(refusal)
    with transaction.atomic():
        fields.setdefault("location", None)
        if fields["location"] is None:
            fields["location"] = default_location(scenario)
        comparison = Comparison.objects.create(scenario=scenario, **fields)
        _check_history(comparison)  # before any run: fail fast, and roll the comparison back
        _step(comparison)
    return comparison


def _check_history(comparison: Comparison) -> None:
    """A history comparison needs stored base runs: refuse it before spending branch runs.

    The base branch measured against itself may start its own history (see ``_finish``).
    """
    if comparison.paired or comparison.branch == comparison.base_branch:
        return
    base, _ = find_base_runs(comparison)
    if len(base) < MIN_RUNS:
        raise ComparisonError(_too_few(comparison, len(base)))


def _too_few(comparison: Comparison, found: int) -> str:
    return (
        f"only {found} stored succeeded runs of base branch {comparison.base_branch!r} in "
        f"{comparison.scenario.browser} under profile {comparison.profile!r} found (need "
        f"{MIN_RUNS}); run the base first"
    )


def cancel(comparison_id: int, reason: str) -> Comparison:
    """Stop a comparison: it is cancelled (``error`` says why) and its queued runs are
    withdrawn (deleted: an agent that receives one finds nothing to claim). A run an agent is
    already measuring finishes and is stored, but moves nothing on. A settled comparison is
    returned unchanged."""
    with transaction.atomic():
        comparison = Comparison.objects.select_for_update().get(pk=comparison_id)
        if comparison.status in Comparison.SETTLED:
            return comparison
        comparison.runs.filter(status=Run.QUEUED).delete()
        comparison.status = Comparison.CANCELLED
        comparison.error = reason[:2000]
        comparison.save(update_fields=["status", "error"])
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
    settled = comparison.status in Comparison.SETTLED
    if settled or comparison.runs.exclude(status__in=Run.FINISHED).exists():
        return comparison  # the common case while polling: no lock, no write
    with transaction.atomic():
        comparison = (
            Comparison.objects.select_for_update().select_related("scenario").get(pk=comparison_id)
        )
        if comparison.status not in Comparison.SETTLED:
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
    browser = comparison.scenario.browser
    flagged = location.unstaffed(browser) if location is not None else ""
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
        profile=comparison.profile,
        browser=browser,
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
    measured under the comparison's conditions (the scenario's browser, the comparison's
    profile; an imported run counts as Chromium's: scenarios.conditions), at the
    comparison's location or imported (no location); at most the 50 most recent.
    """
    runs = Run.objects.filter(
        Conditions(comparison.scenario.browser, comparison.profile).runs(),
        scenario=comparison.scenario,
        status=Run.SUCCEEDED,
        branch=comparison.base_branch,
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
            _fail(comparison, _too_few(comparison, len(base)))
            return
    report = compare_runs(
        [run.result or {} for run in base],
        [run.result or {} for run in branch],
        options=comparison.options,
        budgets=comparison.scenario.budgets,
        requests=comparison.scenario.spec()["setup"]["requests"],
    )
    report["base"] = {**source, "runs": [run.pk for run in base]}
    report["branch"] = {
        "url": comparison.branch_url or comparison.scenario.url,
        "branch": comparison.branch,
        "commit": comparison.commit,
        "runs": [run.pk for run in branch],
    }
    report["mode"] = "paired" if comparison.paired else "history"
    report["profile"] = comparison.profile
    report["failed_runs"] = [run.pk for run in runs if run.status != Run.SUCCEEDED]
    comparison.report = report
    comparison.verdict = report["verdict"]
    comparison.status = Comparison.DONE
    comparison.save(update_fields=["report", "verdict", "status"])
