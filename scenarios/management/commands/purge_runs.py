"""manage.py purge_runs: delete whole runs older than the run retention (Graphite untouched)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from scenarios.runs.retention import purge_runs


class Command(BaseCommand):
    help = (
        "Delete finished runs older than N days (default PERFITE_RUN_RETENTION_DAYS; 0 keeps "
        "them forever) with their result documents, per-host rows, HARs, screenshots and "
        "filmstrips. Graphite's series are not touched."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=settings.PERFITE_RUN_RETENTION_DAYS)
        parser.add_argument("--dry-run", action="store_true", help="Only report what would go.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_runs(options["days"], dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(
            f"{verb} {report.deleted} runs ({report.bytes_freed} bytes of files) older than "
            f"{options['days']} days"
        )
