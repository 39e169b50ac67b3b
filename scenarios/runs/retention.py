"""Retention: how long what runs leave behind is kept.

Two horizons, each its own setting: HAR files, final screenshots and filmstrips go first
(``purge_hars``: the run and its numbers stay); whole runs, with their result documents and
per-host rows, go later (``purge_runs``). Graphite's copy of the numbers is never touched:
its own retention rules (storage-schemas) govern it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from scenarios.models import Comparison, Run

FINISHED_COMPARISONS = Comparison.SETTLED


@dataclass(frozen=True)
class PurgeReport:
    deleted: int
    bytes_freed: int


def purge_hars(days: int, *, dry_run: bool = False) -> PurgeReport:
    """Delete the HAR files, screenshots and filmstrips of runs created more than ``days`` ago
    (nothing with ``dry_run``); return how many runs lost them and how many bytes that frees.
    Runs and their results are kept."""
    cutoff = timezone.now() - timedelta(days=days)
    runs = Run.objects.filter(created_at__lt=cutoff).exclude(
        Q(har="") & Q(screenshot="") & Q(filmstrip="")
    )
    deleted = freed = 0
    for run in runs.iterator():
        deleted += 1
        freed += run.har_size + _size(run.screenshot) + _size(run.filmstrip)
        if not dry_run:
            run.har.delete(save=False)
            run.screenshot.delete(save=False)
            run.filmstrip.delete(save=False)
            Run.objects.filter(pk=run.pk).update(har="", har_size=0, screenshot="", filmstrip="")
    return PurgeReport(deleted=deleted, bytes_freed=freed)


def purge_runs(days: int, *, dry_run: bool = False, batch: int = 500) -> PurgeReport:
    """Delete finished runs created more than ``days`` ago, with their result documents,
    per-host rows, HAR files, screenshots and filmstrips (nothing with ``dry_run``; nothing at
    all when ``days`` is 0, which keeps runs forever). Runs still queued or running, and runs of a
    comparison that has not finished, are kept. Returns how many runs went and how many
    bytes of files that frees. Incidents keep their text; their links to the runs are
    cleared by the database (SET NULL).
    """
    if days <= 0:
        return PurgeReport(deleted=0, bytes_freed=0)
    cutoff = timezone.now() - timedelta(days=days)
    old = (
        Run.objects.filter(created_at__lt=cutoff, status__in=Run.FINISHED)
        .filter(Q(comparison__isnull=True) | Q(comparison__status__in=FINISHED_COMPARISONS))
        .order_by("pk")
    )
    deleted = freed = 0
    last = 0
    while True:
        chunk = list(old.filter(pk__gt=last)[:batch])
        if not chunk:
            break
        last = chunk[-1].pk
        deleted += len(chunk)
        freed += sum(run.har_size + _size(run.screenshot) + _size(run.filmstrip) for run in chunk)
        if dry_run:
            continue
        for run in chunk:
            run.har.delete(save=False)
            run.screenshot.delete(save=False)
            run.filmstrip.delete(save=False)
        Run.objects.filter(pk__in=[run.pk for run in chunk]).delete()
    return PurgeReport(deleted=deleted, bytes_freed=freed)


def _size(stored: FieldFile) -> int:
    try:
        return stored.size if stored else 0
    except OSError:  # already gone from storage
        return 0
