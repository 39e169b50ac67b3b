"""HAR retention: delete HAR files past a number of days; results stay."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from scenarios.models import Run


@dataclass(frozen=True)
class PurgeReport:
    deleted: int
    bytes_freed: int


def purge_hars(days: int, *, dry_run: bool = False) -> PurgeReport:
    """Delete the HAR files of runs created more than ``days`` ago (all of them with ``dry_run``
    False); return how many and how many bytes. Runs and their results are kept."""
    cutoff = timezone.now() - timedelta(days=days)
    runs = Run.objects.filter(created_at__lt=cutoff).exclude(har="")
    deleted = freed = 0
    for run in runs.iterator():
        deleted += 1
        freed += run.har_size
        if not dry_run:
            run.har.delete(save=False)
            Run.objects.filter(pk=run.pk).update(har="", har_size=0)
    return PurgeReport(deleted=deleted, bytes_freed=freed)
