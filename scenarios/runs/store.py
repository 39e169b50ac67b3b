"""Writes that cross systems: storing a delivered result (database + file storage + outbox)."""

import logging
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.har.redact import sanitize_result
from core.metrics import HOST
from core.profiles import NATIVE_NAME
from core.result.validate import ResultError, validate_result
from core.visual.archive import ArchiveError, check
from scenarios.models import Run, RunHost
from scenarios.models.run import METRIC_FIELDS
from scenarios.runs import backend, graphite
from scenarios.runs.har_spool import GzippedHar, SpooledHar, gzipped_har
from scenarios.runs.memory import gc_paused

log = logging.getLogger(__name__)


_IMAGE_MAGIC = {b"\xff\xd8\xff": "jpg", b"\x89PNG\r\n\x1a\n": "png"}


def screenshot_type(data: bytes) -> str:
    """``jpg`` or ``png`` for an acceptable screenshot, else raise ResultError."""
    if len(data) > settings.PERFITE_MAX_SCREENSHOT_BYTES:
        raise ResultError(f"screenshot larger than {settings.PERFITE_MAX_SCREENSHOT_BYTES} bytes")
    for magic, extension in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            return extension
    raise ResultError("screenshot is not a JPEG or PNG image")


def check_filmstrip(result: dict[str, Any], filmstrip: bytes | None) -> None:
    """Raise ResultError unless ``filmstrip`` (a validated result's frames) is what ``result``
    lists: an archive of exactly its ``filmstrip.frames`` (core.visual.archive) within
    PERFITE_FILMSTRIP_MAX_FRAMES and _MAX_BYTES, or nothing when it lists none."""
    frames = len((result.get("filmstrip") or {}).get("frames") or [])
    if filmstrip is None:
        if frames:
            raise ResultError(f"the result lists {frames} filmstrip frames but none came with it")
        return
    if not frames:
        raise ResultError("a filmstrip came with a result that lists no filmstrip frame")
    try:
        check(
            filmstrip,
            frames,
            max_frames=settings.PERFITE_FILMSTRIP_MAX_FRAMES,
            max_bytes=settings.PERFITE_FILMSTRIP_MAX_BYTES,
        )
    except ArchiveError as exc:
        raise ResultError(str(exc)) from exc


def _when(value: Any, default: datetime) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed or default


@gc_paused()
def store_result(
    run_id: int,
    result: dict[str, Any],
    har: dict[str, Any] | SpooledHar | GzippedHar | None,
    agent_name: str = "",
    screenshot: bytes | None = None,
    filmstrip: bytes | None = None,
) -> bool:
    """Store a run's result document, HAR, final screenshot and filmstrip; return False when
    it was already stored.

    Validates them first (raising ResultError / HarError and writing nothing; the filmstrip
    by check_filmstrip), strips
    credentials from the HAR and the result's URLs (core.har.redact, with the scenario's
    extra secret names), saves the HAR gzipped (read back one entry at a time when it comes
    spooled: scenarios.runs.har_spool), copies page metrics into columns, writes the
    per-host rows, fills the Graphite outbox (named by the run's kind: only scheduled runs go
    to the monitoring series) and, after commit, queues alert evaluation, the Graphite push
    and, when the scenario declares backend series, their fetch PERFITE_BACKEND_DELAY_S later
    (scenarios.runs.backend). Idempotent: a second delivery of the same run changes nothing.

    The HAR is gzipped before the run is locked (or comes gzipped, by gzipped_har): writing
    a large one never holds the database's write lock, which is the whole file's on SQLite.
    """
    validate_result(result)
    image = screenshot_type(screenshot) if screenshot is not None else ""
    check_filmstrip(result, filmstrip)
    gzipped: AbstractContextManager[GzippedHar | None] = nullcontext(None)
    if isinstance(har, GzippedHar):
        gzipped = nullcontext(har)
    elif har is not None:
        row = (
            Run.objects.filter(pk=run_id)
            .values("scenario__secret_names")
            .annotate(stored=ExpressionWrapper(Q(result__isnull=False), BooleanField()))
            .get()
        )
        if row["stored"]:
            return False  # a repeated delivery: nothing to gzip
        names = row["scenario__secret_names"] or []
        gzipped = gzipped_har(har, result.get("requests") or [], names)
    with gzipped as payload:
        return _store(run_id, result, payload, agent_name, screenshot, image, filmstrip)


def _check_profile(run: Run, result: dict[str, Any]) -> dict[str, Any]:
    """``result``, failed when it says it succeeded under another profile than the run's (an
    agent that does not apply profiles measured it natively): its numbers would otherwise
    join the runs of a profile they were not measured under. A document without ``profile``
    was measured natively."""
    measured = result.get("profile", {"name": NATIVE_NAME})
    name = measured.get("name") if isinstance(measured, dict) else None
    if result.get("status") != Run.SUCCEEDED or name == run.profile:
        return result
    return {
        **result,
        "status": Run.FAILED,
        "error": f"measured under profile {name!r}, not the run's {run.profile!r}: "
        "the agent does not apply profiles (upgrade it)",
    }


@transaction.atomic
def _store(
    run_id: int,
    result: dict[str, Any],
    har: GzippedHar | None,
    agent_name: str,
    screenshot: bytes | None,
    image: str,
    filmstrip: bytes | None,
) -> bool:
    # of=("self",): PostgreSQL cannot lock the nullable side of the outer join to location
    run = (
        Run.objects.select_for_update(of=("self",))
        .select_related("scenario", "location")
        .get(pk=run_id)
    )
    if run.result is not None:
        return False
    now = timezone.now()
    result = _check_profile(run, result)
    secret_names = run.scenario.secret_names or []
    result = sanitize_result(result, secret_names)
    run.result = result
    run.status = result["status"]
    run.error = result.get("error") or ""
    run.started_at = _when(result.get("started_at"), run.started_at or now)
    run.finished_at = _when(result.get("finished_at"), now)
    if agent_name:
        run.agent_name = agent_name
    metrics = result.get("metrics", {})
    for name in METRIC_FIELDS:
        setattr(run, name, metrics.get(name))
    if har is not None:
        run.har.save(f"run-{run.pk}.har.gz", File(har.file), save=False)
        run.har_size = har.size
    if screenshot is not None:
        run.screenshot.save(f"run-{run.pk}.{image}", ContentFile(screenshot), save=False)
    if filmstrip is not None:
        run.filmstrip.save(f"run-{run.pk}.zip", ContentFile(filmstrip), save=False)
    run.save()
    RunHost.objects.bulk_create(
        RunHost(
            run=run,
            host=host[:255],
            entity=str(totals.get("entity", ""))[:255],
            party=str(totals.get("party", ""))[:5],
            # A number the browser could not measure stays empty (core.result.absent).
            **{
                name: None if name in totals and totals[name] is None else totals.get(name) or 0
                for name in HOST.field_names()
            },
        )
        for host, totals in HOST.members(result)
    )
    if graphite.queue_run(run, result):
        transaction.on_commit(_queue_graphite_push)
    transaction.on_commit(lambda: _queue_after_run(run.pk))
    if backend.declarations(run):
        transaction.on_commit(lambda: _queue_backend_series(run.pk))
    if run.comparison_id:
        transaction.on_commit(lambda: _advance_comparison(run.pk))
    return True


def _advance_comparison(run_id: int) -> None:
    from scenarios.ci.workflow import run_finished

    try:
        run_finished(run_id)
    except Exception:  # the next status poll advances it anyway
        log.exception("could not advance the comparison of run %s", run_id)


def _queue_graphite_push() -> None:
    from scenarios.runs.tasks import push_graphite_outbox

    try:
        push_graphite_outbox.delay()
    except Exception:  # the broker being down only delays the push: beat retries it
        log.warning("could not queue the Graphite push; the periodic task will send it")


def _queue_after_run(run_id: int) -> None:
    from scenarios.runs.tasks import evaluate_run

    try:
        evaluate_run.delay(run_id)
    except Exception:
        log.warning("could not queue alert evaluation for run %s", run_id)


def _queue_backend_series(run_id: int) -> None:
    from scenarios.runs.tasks import fetch_backend_series

    try:
        # The window's last points may reach Graphite a little after the run ends.
        fetch_backend_series.apply_async((run_id,), countdown=settings.PERFITE_BACKEND_DELAY_S)
    except Exception:  # the periodic sweep (fetch_lost_backend_series) queues it later
        log.warning("could not queue the backend series of run %s", run_id)
