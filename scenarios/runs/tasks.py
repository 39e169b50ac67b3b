"""Server-side periodic and follow-up tasks: thin wrappers over plain functions."""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from scenarios.models import Run
from scenarios.runs import backend, graphite
from scenarios.runs import dispatch as scheduling
from scenarios.runs.retention import purge_hars, purge_runs

log = logging.getLogger(__name__)


@shared_task(name="scenarios.runs.tasks.dispatch_due_scenarios", ignore_result=True)
def dispatch_due_scenarios() -> int:
    """Beat's tick: claim due scenarios and queue their runs. Returns how many were created."""
    return len(scheduling.dispatch_due())


@shared_task(
    name="scenarios.runs.tasks.push_graphite_outbox",
    bind=True,
    ignore_result=True,
    max_retries=None,
    default_retry_delay=15,
)
def push_graphite_outbox(self) -> int:  # type: ignore[no-untyped-def]
    """Deliver queued Graphite points; while carbon is down, retry (beat also re-runs it)."""
    if not graphite.enabled():
        return 0
    try:
        return graphite.push_outbox()
    except OSError as exc:
        log.warning("Graphite unreachable (%s); points stay queued", exc)
        return 0


@shared_task(name="scenarios.runs.tasks.reap_lost_runs", ignore_result=True)
def reap_lost_runs() -> int:
    """Mark lost every run no agent finished in time, so none stays queued or running forever."""
    return reap(timezone.now())


def reap(now: datetime) -> int:
    """Mark lost the queued or running runs created before now − PERFITE_RUN_LOST_AFTER_S."""
    from scenarios.ci.workflow import run_finished

    cutoff = now - timedelta(seconds=settings.PERFITE_RUN_LOST_AFTER_S)
    stale = Run.objects.filter(status__in=[Run.QUEUED, Run.RUNNING], created_at__lt=cutoff)
    in_comparisons = list(stale.exclude(comparison=None).values_list("pk", flat=True))
    count = stale.update(
        status=Run.LOST,
        finished_at=now,
        error=f"lost: no agent finished it within {settings.PERFITE_RUN_LOST_AFTER_S} s",
    )
    for run_id in in_comparisons:  # a comparison replaces its lost run or gives up
        run_finished(run_id)
    return count


@shared_task(name="scenarios.runs.tasks.purge_old_hars", ignore_result=True)
def purge_old_hars() -> int:
    """Delete HAR files older than the retention; results and metrics stay."""
    return purge_hars(days=settings.PERFITE_HAR_RETENTION_DAYS).deleted


@shared_task(name="scenarios.runs.tasks.purge_old_runs", ignore_result=True)
def purge_old_runs() -> int:
    """Hourly: delete whole runs past PERFITE_RUN_RETENTION_DAYS (0 keeps them forever)."""
    return purge_runs(days=settings.PERFITE_RUN_RETENTION_DAYS).deleted


@shared_task(name="scenarios.runs.tasks.evaluate_run", ignore_result=True)
def evaluate_run(run_id: int, prefix: str = "") -> None:
    """After a run is stored: evaluate its scenario's thresholds and notify on state changes
    (only those on metrics starting with ``prefix`` when given)."""
    from scenarios.alerts.evaluate import evaluate_after_run

    evaluate_after_run(run_id, prefix=prefix)


@shared_task(
    name="scenarios.runs.tasks.fetch_backend_series",
    bind=True,
    ignore_result=True,
    autoretry_for=(backend.GraphiteUnreachable,),
    max_retries=settings.PERFITE_BACKEND_RETRIES,
    retry_backoff=30,  # 30 s, 60 s, then 120 s apart: with 8 retries about 13 minutes in all
    # Under the broker's visibility timeout (240 s by default), so Redis never hands a retry
    # still waiting for its time to a second worker.
    retry_backoff_max=120,
    retry_jitter=False,
    soft_time_limit=300,  # each target is bounded by PERFITE_BACKEND_TIMEOUT_S; this bounds all
    time_limit=330,
)
def fetch_backend_series(self, run_id: int) -> int:  # type: ignore[no-untyped-def]
    """After a run declaring backend series is stored: read them over its window and write
    them on the run (scenarios.runs.backend). While Graphite does not answer, retried with
    backoff; the last try records the reason on the run instead. Returns the Graphite points
    queued for the values, whose push is queued here (beat sends them anyway)."""
    queued = backend.fetch_for_run(run_id, final=self.request.retries >= self.max_retries)
    try:  # the run's own evaluation came before its backend series
        evaluate_run.delay(run_id, prefix="backend.")
    except Exception:
        log.warning("could not queue the backend thresholds of run %s", run_id)
    if queued:
        try:
            push_graphite_outbox.delay()
        except Exception:
            log.warning("could not queue the Graphite push; the periodic task will send it")
    return queued


@shared_task(ignore_result=True, soft_time_limit=60, time_limit=90)
def fetch_lost_backend_series() -> int:
    """Periodic: queue the backend-series fetch of runs whose fetch was never queued (the
    broker was down as they were stored), so a broker outage delays their series, never
    drops them. Returns how many were queued."""
    queued = 0
    for run_id in backend.unfetched():
        try:
            fetch_backend_series.delay(run_id)
        except Exception:  # still down: the next sweep finds them again
            log.warning("could not queue the backend series of run %s", run_id)
            break
        queued += 1
    return queued
