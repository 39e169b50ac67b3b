"""HAR retention: delete HAR files (and final screenshots) past a number of days; results
stay."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from scenarios.models import Run


@dataclass(frozen=True)
class PurgeReport:
    deleted: int
    bytes_freed: int


def purge_hars(days: int, *, dry_run: bool = False) -> PurgeReport:
    """Delete the HAR files and screenshots of runs created more than ``days`` ago (nothing
    with ``dry_run``); return how many runs lost them and how many bytes that frees. Runs and
    their results are kept."""
    cutoff = timezone.now() - timedelta(days=days)
    runs = Run.objects.filter(created_at__lt=cutoff).exclude(Q(har="") & Q(screenshot=""))
    deleted = freed = 0
    for run in runs.iterator():
        deleted += 1
        freed += run.har_size + _size(run.screenshot)
        if not dry_run:
            run.har.delete(save=False)
            run.screenshot.delete(save=False)
            Run.objects.filter(pk=run.pk).update(har="", har_size=0, screenshot="")
    return PurgeReport(deleted=deleted, bytes_freed=freed)


def _size(stored: FieldFile) -> int:
    try:
        return stored.size if stored else 0
    except OSError:  # already gone from storage
        return 0
