"""Threshold evaluation after each run: judge, open or resolve incidents, queue notifications.

Contract of ``evaluate_after_run(run_id)`` (called by the ``evaluate_run`` task after a result
is stored):

- Judges every enabled threshold of the run's scenario that applies to its location, on the
  history of that scenario+location up to and including the run (CI runs are not part of
  the monitoring history and are never judged), under the scenario's current conditions
  (browser and profile, scenarios.conditions): a run in another browser or under another
  profile (made before the scenario changed them, or a manual one) is not judged, and the
  history holds runs of those conditions only (imported runs count as Chromium's).
- Metric thresholds look at the median of the last K succeeded runs (K = ``window_runs``)
  so one noisy run does not alert. A named metric (one read from the result document) that
  a run did not measure is skipped, never 0: it is judged on the K newest runs that have it
  among the 3K newest (scenarios.alerts.series.span). Absolute: crossed when that median
  is above ``value``.
  Relative: crossed when it is more than ``value`` % above the trailing median of the N days
  (``baseline_days``) before those K runs; once 30 runs or more make it, that baseline is
  cached on the threshold for an hour of run time. Fewer than K values (or no baseline): no
  judgement, the state stays.
- Failure thresholds are crossed when most of the last K finished runs failed or timed out
  (the median of the failure indicator), so K=1 alerts on the first failure.
- An incident opens when a threshold becomes crossed and resolves when it no longer is; one
  open incident per threshold and location. Notifications (one Notification row per channel,
  sent by the ``notify_incident`` task after commit) go out on these state changes only, plus
  a reminder every ``reminder_minutes`` of a channel while the incident stays open and is not
  acknowledged. A muted incident sends nothing until ``muted_until``, not even its recovery.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from scenarios.alerts.insights import culprit_summary
from scenarios.alerts.messages import opened_message
from scenarios.alerts.series import at_location, load_snapshot, median, span, values
from scenarios.alerts.tasks import queue_notifications
from scenarios.conditions import Conditions
from scenarios.models import Channel, Incident, Run, Threshold
from scenarios.models.alerts import Notification
from scenarios.models.run import METRIC_FIELDS

BASELINE_MAX_AGE = timedelta(hours=1)
BASELINE_SETTLED_RUNS = 30  # a baseline from fewer runs is not cached
# A change point needs ~5 runs after it to be found: keep looking for the culprits of a page
# regression for this many runs after its incident opened.
CULPRIT_CHECKS = 12
JUDGED_STATUSES = (Run.SUCCEEDED, Run.FAILED, Run.TIMED_OUT)


@dataclass(frozen=True)
class Judgement:
    """A threshold's verdict on the latest runs; ``crossed`` is None when it cannot judge."""

    crossed: bool | None
    value: float | None = None
    limit: float | None = None
    baseline: float | None = None
    runs: int = 0
    note: str = ""


@dataclass(frozen=True)
class Transition:
    incident: Incident
    event: str  # Notification.OPENED | RESOLVED | REMINDER


def evaluate_after_run(
    run_id: int, now: datetime | None = None, *, prefix: str = ""
) -> list[Transition]:
    """Evaluate the thresholds concerned by run ``run_id``; return the notified transitions.

    ``now`` (default: the wall clock) stamps incidents and notifications and decides mutes
    and reminders; the judged history is always the runs up to the run itself. ``prefix``
    limits it to thresholds on metrics starting so (``backend.``: judged again once a run's
    backend series arrive, after the run's own evaluation).
    """
    now = now or timezone.now()
    run = Run.objects.select_related("scenario", "location").filter(pk=run_id).first()
    if run is None or run.status not in JUDGED_STATUSES or run.kind == Run.KIND_CI:
        return []
    if Conditions.of_run(run) != Conditions.of_scenario(run.scenario):
        return []  # thresholds watch the scenario's current conditions only
    thresholds = list(
        Threshold.objects.filter(scenario_id=run.scenario_id, enabled=True).filter(
            Q(location__isnull=True) | Q(location_id=run.location_id)
        )
    )
    if prefix:
        thresholds = [
            th for th in thresholds if th.kind != Threshold.FAILURE and th.metric.startswith(prefix)
        ]
    if not thresholds:
        return []
    judgements = judge(run, thresholds)
    return _apply(run, thresholds, judgements, now)


def history_of(run: Run) -> QuerySet[Run]:
    """The runs a threshold judges for ``run``: same scenario, location and conditions
    (browser and profile), not CI, not later."""
    return (
        Run.objects.filter(
            Conditions.of_run(run).runs(),
            scenario_id=run.scenario_id,
            created_at__lte=run.created_at,
        )
        .filter(at_location(run.location_id))
        .exclude(kind=Run.KIND_CI)
    )


def judge(run: Run, thresholds: Sequence[Threshold]) -> dict[int, Judgement]:
    """Judge each threshold on ``run``'s history; returns threshold id → Judgement."""
    history = history_of(run)
    out: dict[int, Judgement] = {}
    metric_ths = [th for th in thresholds if th.kind != Threshold.FAILURE]
    failure_ths = [th for th in thresholds if th.kind == Threshold.FAILURE]
    if metric_ths:
        newest = max(span(th) for th in metric_ths)
        snap = load_snapshot(history.filter(status=Run.SUCCEEDED), metric_ths, limit=newest)
        for th in metric_ths:
            judged = values(th, snap, runs=span(th))[: th.window_runs]
            out[th.pk] = _judge_metric(th, judged, run, history)
    if failure_ths:
        k_max = max(th.window_runs for th in failure_ths)
        recent = list(
            history.filter(status__in=JUDGED_STATUSES)
            .order_by("-created_at", "-id")
            .values_list("status", "error")[:k_max]
        )
        for th in failure_ths:
            out[th.pk] = _judge_failure(th, recent[: th.window_runs])
    return out


def _judge_metric(
    th: Threshold, recent: list[float], run: Run, history: QuerySet[Run]
) -> Judgement:
    if len(recent) < th.window_runs:
        return Judgement(None, runs=len(recent))
    value = median(recent)
    note = f"median of the last {th.window_runs} runs" if th.window_runs > 1 else "last run"
    if th.kind == Threshold.ABSOLUTE:
        return Judgement(value > th.value, value, th.value, runs=len(recent), note=note)
    baseline = _baseline(th, run, history)
    if baseline is None:
        return Judgement(None, value, runs=len(recent), note=note)
    limit = baseline * (1 + th.value / 100)
    return Judgement(value > limit, value, limit, baseline, len(recent), note)


def _baseline(th: Threshold, run: Run, history: QuerySet[Run]) -> float | None:
    """The trailing median of the N days before the judged runs, cached for an hour."""
    ref = run.created_at
    fresh = th.baseline_at is not None and ref - BASELINE_MAX_AGE <= th.baseline_at <= ref
    if fresh:
        return th.baseline
    since = ref - timedelta(days=th.baseline_days)
    snap = load_snapshot(history.filter(status=Run.SUCCEEDED, created_at__gte=since), [th])
    older = values(th, snap)[th.window_runs :]
    # Too short a history is no baseline: wait for as many runs as the judged window. A short
    # history is cheap to read, so its baseline is recomputed each run until it has settled.
    th.baseline = median(older) if len(older) >= th.window_runs else None
    th.baseline_at = ref if len(older) >= BASELINE_SETTLED_RUNS else None
    Threshold.objects.filter(pk=th.pk).update(baseline=th.baseline, baseline_at=th.baseline_at)
    return th.baseline


def _judge_failure(th: Threshold, recent: list[tuple[str, str]]) -> Judgement:
    if len(recent) < th.window_runs:
        return Judgement(None, runs=len(recent))
    failing = [error for status, error in recent if status != Run.SUCCEEDED]
    crossed = len(failing) * 2 > len(recent)
    note = f"{len(failing)} of the last {len(recent)} runs failed"
    if failing and failing[0]:
        note += f" ({failing[0].splitlines()[0][:200]})"
    return Judgement(crossed, float(len(failing)), len(recent) / 2, runs=len(recent), note=note)


def _apply(
    run: Run, thresholds: Sequence[Threshold], judgements: dict[int, Judgement], now: datetime
) -> list[Transition]:
    open_now = {
        inc.threshold_id: inc
        for inc in Incident.objects.filter(
            at_location(run.location_id), threshold__in=thresholds, resolved_at__isnull=True
        )
    }
    transitions: list[Transition] = []
    still_open: list[Incident] = []
    for th in thresholds:
        verdict = judgements[th.pk]
        incident = open_now.get(th.pk)
        if verdict.crossed is None:
            continue
        if verdict.crossed and incident is None:
            opened = _open(th, run, verdict, now)
            if opened is not None:
                transitions.append(Transition(opened, Notification.OPENED))
        elif not verdict.crossed and incident is not None:
            _resolve(incident, run, verdict, now)
            transitions.append(Transition(incident, Notification.RESOLVED))
        elif verdict.crossed and incident is not None:
            if incident.value != verdict.value:
                incident.value = verdict.value
                Incident.objects.filter(pk=incident.pk).update(value=verdict.value)
            _look_for_culprits(incident, th, run)
            still_open.append(incident)
    channels = list(Channel.for_scenario(run.scenario_id)) if transitions or still_open else []
    sent: list[Transition] = []
    for transition in transitions:
        if _notify(transition.incident, transition.event, channels, now):
            sent.append(transition)
    if still_open:
        sent.extend(_remind(still_open, channels, now))
    return sent


def _open(th: Threshold, run: Run, verdict: Judgement, now: datetime) -> Incident | None:
    details = {
        "kind": th.kind,
        "label": th.label,
        "metric": th.metric,
        "value": verdict.value,
        "limit": verdict.limit,
        "baseline": verdict.baseline,
        "note": verdict.note,
    }
    # Culprits come from the run columns' history (scenarios.alerts.insights): a named
    # metric or a step's has none to search.
    if th.kind != Threshold.FAILURE and th.scope == "page" and th.metric in METRIC_FIELDS:
        details["culprits"] = culprit_summary(run, th.metric)
        details["culprit_checks"] = 1
    incident = Incident(
        threshold=th,
        location_id=run.location_id,
        opened_at=now,
        value=verdict.value,
        opened_run=run,
        details=details,
    )
    incident.message = opened_message(incident, run)
    try:
        with transaction.atomic():
            incident.save()
    except IntegrityError:  # another evaluation opened it a moment ago
        return None
    return incident


def _look_for_culprits(incident: Incident, th: Threshold, run: Run) -> None:
    """Name the culprits of a page regression once its change point becomes detectable.

    The incident's message and details gain the summary (shown by the dashboard, the API and
    later reminders); no notification is sent for it: that is not a state change.
    """
    checks = incident.details.get("culprit_checks")
    if checks is None or checks >= CULPRIT_CHECKS or incident.details.get("culprits"):
        return
    incident.threshold = th
    incident.details = {
        **incident.details,
        "culprit_checks": checks + 1,
        "culprits": culprit_summary(run, th.metric),
    }
    incident.message = opened_message(incident)
    Incident.objects.filter(pk=incident.pk).update(
        details=incident.details, message=incident.message
    )


def _resolve(incident: Incident, run: Run, verdict: Judgement, now: datetime) -> None:
    incident.resolved_at = now
    incident.resolved_run = run
    incident.details = {**incident.details, "resolved_value": verdict.value}
    incident.save(update_fields=["resolved_at", "resolved_run", "details"])


def _notify(
    incident: Incident, event: str, channels: Sequence[Channel], now: datetime
) -> list[Notification]:
    """Record one notification per channel and queue their delivery after commit."""
    if incident.is_muted(now) or not channels:
        return []
    notes = Notification.objects.bulk_create(
        Notification(incident=incident, channel=channel, event=event, created_at=now)
        for channel in channels
    )
    incident.last_notified_at = now
    Incident.objects.filter(pk=incident.pk).update(last_notified_at=now)
    ids = [note.pk for note in notes]
    transaction.on_commit(lambda: queue_notifications(ids))
    return notes


def _remind(
    incidents: list[Incident], channels: Sequence[Channel], now: datetime
) -> list[Transition]:
    """Reminders for open, unacknowledged, unmuted incidents whose channel interval elapsed."""
    reminding = [c for c in channels if c.reminder_minutes]
    due = [i for i in incidents if i.acknowledged_at is None and not i.is_muted(now)]
    if not reminding or not due:
        return []
    last = {
        (row["incident_id"], row["channel_id"]): row["last"]
        for row in Notification.objects.filter(incident__in=due, channel__in=reminding)
        .values("incident_id", "channel_id")
        .annotate(last=Max("created_at"))
    }
    out: list[Transition] = []
    for incident in due:
        targets = [
            c
            for c in reminding
            if (at := last.get((incident.pk, c.pk))) is None
            or now - at >= timedelta(minutes=c.reminder_minutes or 0)
        ]
        if targets and _notify(incident, Notification.REMINDER, targets, now):
            out.append(Transition(incident, Notification.REMINDER))
    return out
