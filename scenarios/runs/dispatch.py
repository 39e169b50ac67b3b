"""Dispatch: turn due scenarios into queued runs on the queues of their locations and browser.

A scenario's next due time lives on the scenario row. A tick claims a due scenario with a
compare-and-swap on ``next_due_at``, so two racing ticks (two beats, a restarted beat) never
create the same runs twice; after downtime a scenario runs once and resumes its cadence.

A run goes to the queue of its location for its browser (``Run.queue``, ``core.queues``):
``agents.<location>`` for Chromium, ``agents.<location>.<browser>`` for the others. A run no
live agent can take (none in its location, or none there with its browser) is still sent,
flagged with the reason (``Location.unstaffed``): it waits in its queue for an agent, and a
scenario gets one such run per location, not a pile.

"Try it now" (``try_now``) sends its run to the location's now-queue for its browser, which
agents serve before their scheduled runs (see agents/management/commands/agent.py).

A run the broker did not take stays queued, flagged ``broker unreachable``; every tick sends
such runs again (``resend_unsent``), so they run once the broker is back.
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from perfite.celery import app
from scenarios.models import Location, Run, Scenario
from scenarios.models.fleet import live_browsers

log = logging.getLogger(__name__)

RUN_TASK = "agents.tasks.run_scenario"
# Large batches are sent over this many broker connections at once: each message is a round
# trip to Redis, and threads overlap those waits (1,000 x 3 runs: ~2.0 s -> ~1.2 s).
SEND_THREADS = 4
SEND_THREADS_FROM = 400
# The flag of a run the broker did not take, and how many of those a tick sends again.
UNSENT = "broker unreachable"
RESEND_PER_TICK = 250


def unsent_flag(error: object) -> str:
    """The flag of a run not sent because of ``error``: ``broker unreachable: <error>``."""
    return f"{UNSENT}: {error}"[:200]


def enqueue_run(run: Run, queue: str = "") -> None:
    """Send ``run_scenario`` to ``queue`` (by default the run's queue: its location's for its
    browser) once the transaction commits. When the broker is unreachable the run stays
    queued, flagged, and a later tick sends it again (``resend_unsent``)."""
    queue = queue or run.queue
    run_id = run.pk

    def send() -> None:
        try:
            app.send_task(RUN_TASK, args=[run_id], queue=queue)
        except Exception as exc:  # broker down: the run stays queued; a later tick re-sends it
            log.warning("could not enqueue run %s on %s: %s", run_id, queue, exc)
            Run.objects.filter(pk=run_id).update(flagged=unsent_flag(exc))

    transaction.on_commit(send)


def next_after(scenario: Scenario, due: datetime, now: datetime) -> datetime:
    """Keep the cadence (due + period) unless that is already past: then restart from now."""
    following = scenario.next_due_after(due)
    return following if following > now else scenario.next_due_after(now)


def create_runs(
    scenario: Scenario,
    locations: list[Location],
    *,
    kind: str = Run.KIND_SCHEDULED,
    live: dict[int, set[str]] | None = None,
) -> list[Run]:
    """Create and enqueue one run per location, in the scenario's browser; runs no live agent
    can take (``Location.unstaffed``; ``live`` is a tick's ``live_browsers``) are flagged,
    and scheduled ones not repeated while an earlier one still waits."""
    runs = []
    for location in locations:
        flagged = location.unstaffed(scenario.browser, live)
        if (
            flagged
            and kind == Run.KIND_SCHEDULED
            and Run.objects.filter(
                scenario=scenario, location=location, status__in=[Run.QUEUED, Run.RUNNING]
            ).exists()
        ):
            continue
        run = Run.objects.create(
            scenario=scenario,
            location=location,
            kind=kind,
            flagged=flagged,
            profile=scenario.profile,
            browser=scenario.browser,
        )
        enqueue_run(run)
        runs.append(run)
    return runs


def dispatch_due(now: datetime | None = None, batch_size: int = 250) -> list[int]:
    """Send again the runs the broker did not take (``resend_unsent``), then claim every due,
    unpaused scenario and create its runs; return the new run ids.

    Works in batches of ``batch_size`` scenarios, one transaction each, in primary-key order
    (so racing ticks on PostgreSQL lock rows in the same order and never deadlock). Each
    scenario is still claimed by its own compare-and-swap on ``next_due_at``; the runs of a
    batch are inserted together and sent to the broker over one connection after commit.
    """
    resent = resend_unsent()
    if resent:
        log.info("sent %d runs the broker had not taken", len(resent))
    now = now or timezone.now()
    live = live_browsers()
    due_ids = list(
        Scenario.objects.filter(paused=False, next_due_at__lte=now)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    created: list[int] = []
    for start in range(0, len(due_ids), batch_size):
        with transaction.atomic():
            runs = _claim_batch(due_ids[start : start + batch_size], now, live)
            Run.objects.bulk_create(runs)
            enqueue_runs(runs)
        created.extend(run.pk for run in runs)
    return created


def _pause_unschedulable(scenario: Scenario, error: Exception) -> None:
    """Pause a scenario whose next run cannot be computed, saying why (shown with it)."""
    reason = f"paused by the scheduler: its schedule cannot be computed ({error})"[:300]
    Scenario.objects.filter(pk=scenario.pk).update(paused=True, paused_reason=reason)
    log.warning("scenario %s: %s", scenario.slug, reason)


def _claim_batch(ids: list[int], now: datetime, live: dict[int, set[str]]) -> list[Run]:
    """Claim the scenarios ``ids`` that are still due; return their (unsaved) runs, flagged
    where no live agent of ``live`` (``live_browsers``) serves their location and browser."""
    scenarios = (
        Scenario.objects.filter(pk__in=ids, paused=False, next_due_at__lte=now)
        .order_by("pk")
        .prefetch_related("locations")
    )
    claimed = []
    for scenario in scenarios:
        try:
            following = next_after(scenario, scenario.next_due_at or now, now)
        except Exception as exc:  # noqa: BLE001 - one bad schedule must not stop the others
            _pause_unschedulable(scenario, exc)
            continue
        if Scenario.objects.filter(
            pk=scenario.pk, paused=False, next_due_at=scenario.next_due_at
        ).update(next_due_at=following):
            claimed.append(scenario)
    flags = {
        (scenario.pk, location.pk): location.unstaffed(scenario.browser, live)
        for scenario in claimed
        for location in scenario.locations.all()
    }
    unstaffed = {location for (_, location), flag in flags.items() if flag}
    # A run no live agent can take is flagged once per scenario and location, not piled up.
    waiting = (
        set(
            Run.objects.filter(
                scenario__in=claimed,
                location__in=unstaffed,
                status__in=[Run.QUEUED, Run.RUNNING],
            ).values_list("scenario_id", "location_id")
        )
        if unstaffed
        else set()
    )
    runs = []
    for scenario in claimed:
        for location in scenario.locations.all():
            flagged = flags[scenario.pk, location.pk]
            if flagged and (scenario.pk, location.pk) in waiting:
                continue
            runs.append(
                Run(
                    scenario=scenario,
                    location=location,
                    flagged=flagged,
                    profile=scenario.profile,
                    browser=scenario.browser,
                )
            )
    return runs


def _send(jobs: list[tuple[int, str]]) -> tuple[list[int], str]:
    """Send ``jobs`` (run id, queue) in order over one producer; return the ids not sent and
    why. The first failure stops the rest: the broker is down, trying each would only wait.
    No database access: this runs on sender threads."""
    sent = 0
    declared: set[str] = set()
    try:
        with app.producer_or_acquire() as producer:
            for run_id, queue in jobs:
                # Declaring a queue once per batch is enough; kombu would repeat it per run.
                extra: dict[str, Any] = {"declare": []} if queue in declared else {}
                app.send_task(RUN_TASK, args=[run_id], queue=queue, producer=producer, **extra)
                declared.add(queue)
                sent += 1
    except Exception as exc:
        return [run_id for run_id, _ in jobs[sent:]], str(exc)
    return [], ""


def enqueue_runs(runs: list[Run]) -> None:
    """Send ``run_scenario`` for each saved run once the transaction commits. When the broker
    is unreachable, the unsent runs stay queued and are flagged (a later tick sends them
    again) without trying each one in turn. Large batches go over SEND_THREADS connections,
    each sending its contiguous share in order."""
    jobs = [(run.pk, run.queue) for run in runs]
    if not jobs:
        return

    def send() -> None:
        if len(jobs) < SEND_THREADS_FROM:
            outcomes = [_send(jobs)]
        else:
            size = -(-len(jobs) // SEND_THREADS)
            shares = [jobs[i : i + size] for i in range(0, len(jobs), size)]
            with ThreadPoolExecutor(len(shares), thread_name_prefix="perfite-send") as pool:
                outcomes = list(pool.map(_send, shares))
        for unsent, error in outcomes:
            if unsent:
                log.warning("could not enqueue %d runs: %s", len(unsent), error)
                Run.objects.filter(pk__in=unsent).update(flagged=unsent_flag(error))

    transaction.on_commit(send)


def resend_queue(run: Run) -> str:
    """Where a run the broker did not take is sent again: a manual run to its location's
    now-queue for its browser (someone asked for it, a while ago by now), any other to its
    run queue."""
    return run.now_queue if run.kind == Run.KIND_MANUAL else run.queue


def resend_unsent(limit: int = RESEND_PER_TICK) -> list[int]:
    """Send ``run_scenario`` again for up to ``limit`` queued runs flagged ``broker
    unreachable``, oldest first (to ``resend_queue``), clearing the flag of each one sent;
    return their ids. At the first failure (the broker is still down) the rest keep their
    flag, with the new reason.

    Each run is taken by a compare-and-swap on its flag, inside one transaction that holds
    the rows (skip_locked) until the sends are done: two racing ticks never send a run twice,
    and a tick that dies half-way leaves every flag in place for the next one.
    """
    with transaction.atomic():
        waiting = list(
            Run.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("location")
            .filter(status=Run.QUEUED, flagged__startswith=UNSENT)
            .order_by("pk")[:limit]
        )
        taken = [
            run
            for run in waiting
            if Run.objects.filter(pk=run.pk, status=Run.QUEUED, flagged=run.flagged).update(
                flagged=""
            )
        ]
        if not taken:
            return []
        unsent, error = _send([(run.pk, resend_queue(run)) for run in taken])
        if unsent:
            log.warning("could not send again %d runs: %s", len(unsent), error)
            Run.objects.filter(pk__in=unsent).update(flagged=unsent_flag(error))
    missed = set(unsent)
    return [run.pk for run in taken if run.pk not in missed]


def run_now(scenario: Scenario, locations: list[Location] | None = None) -> list[Run]:
    """Queue one manual run per location (all the scenario's locations by default)."""
    with transaction.atomic():
        return create_runs(
            scenario, locations or list(scenario.locations.all()), kind=Run.KIND_MANUAL
        )


class TryNowRefused(Exception):
    """The scenario cannot be tried now; the message says why, to the person who asked."""


def try_now(scenario: Scenario, location: Location | None = None) -> Run:
    """Queue one manual run of ``scenario`` on ``location`` (default: its first location by
    name) and, once the transaction commits, send ``run_scenario`` to that location's
    now-queue for the scenario's browser. Returns the run (queued; an agent claims, measures
    and stores it).

    Raises TryNowRefused, creating nothing, when the scenario has no location, ``location``
    is not one of its locations, or no live agent there has its browser (the run would only
    wait).
    """
    if location is None:
        location = scenario.locations.order_by("name").first()
        if location is None:
            raise TryNowRefused(f"{scenario.name} has no location to run from: add one first.")
    elif not scenario.locations.filter(pk=location.pk).exists():
        raise TryNowRefused(f"{location.name} is not one of the locations of {scenario.name}.")
    if unstaffed := location.unstaffed(scenario.browser):
        where = "" if not location.has_live_agent else f" on a machine with {scenario.browser}"
        raise TryNowRefused(
            f"{unstaffed[0].upper()}{unstaffed[1:]}: start one with "
            f"`manage.py agent --location {location.name}`{where}."
        )
    with transaction.atomic():
        run = Run.objects.create(
            scenario=scenario,
            location=location,
            kind=Run.KIND_MANUAL,
            profile=scenario.profile,
            browser=scenario.browser,
        )
        enqueue_run(run, run.now_queue)
    return run
