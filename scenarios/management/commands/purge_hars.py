"""manage.py purge_hars: delete HAR files, screenshots and filmstrips older than the
retention (results stay)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from scenarios.runs.retention import purge_hars


class Command(BaseCommand):
    help = (
        "Delete the HAR files, final screenshots and filmstrips of runs older than N days "
        "(default PERFITE_HAR_RETENTION_DAYS); results and metrics stay."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=settings.PERFITE_HAR_RETENTION_DAYS)
        parser.add_argument("--dry-run", action="store_true", help="Only report what would go.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = purge_hars(options["days"], dry_run=options["dry_run"])
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(
            f"{verb} the HAR files, screenshots and filmstrips of {report.deleted} runs "
            f"({report.bytes_freed} bytes) older than {options['days']} days"
        )
