"""Retention: HAR files, screenshots and filmstrips of old runs are deleted, their results
stay."""

import gzip
import json
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from core.visual.archive import pack
from scenarios.models import Run, Scenario
from scenarios.runs.retention import purge_hars
from scenarios.runs.store import store_result
from tests.factories import measured

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 96  # 100 bytes with a JPEG signature
MEASURED, HAR = measured(url="http://x.localhost/", scenario="s", ttfb=10.0, lcp=100.0)
RESULT = {**MEASURED, "filmstrip": {"frames": [{"ms": 0.0, "progress": None}], "error": "x"}}
FILM = pack([JPEG])


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored_run(scenario: Scenario, age_days: float) -> Run:
    run = Run.objects.create(scenario=scenario)
    assert store_result(run.pk, RESULT, HAR, screenshot=JPEG, filmstrip=FILM)
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=age_days))
    return Run.objects.get(pk=run.pk)


@pytest.fixture
def runs(db: None, media: Path) -> tuple[Run, Run]:
    scenario = Scenario.objects.create(name="s", slug="s", url="http://x.localhost/", paused=True)
    return stored_run(scenario, 31), stored_run(scenario, 29)


def files(media: Path) -> list[str]:
    return sorted(p.suffix for p in media.rglob("*") if p.is_file())


def test_files_of_runs_past_the_retention_go_and_their_results_stay(
    runs: tuple[Run, Run], media: Path
) -> None:
    old, recent = runs
    har_bytes = len(gzip.compress(json.dumps(HAR).encode()))  # roughly: the exact size is har_size
    assert abs(old.har_size - har_bytes) < 40
    assert files(media) == [".gz", ".gz", ".jpg", ".jpg", ".zip", ".zip"]

    report = purge_hars(30)

    assert (report.deleted, report.bytes_freed) == (1, old.har_size + len(JPEG) + len(FILM))
    old.refresh_from_db()
    assert (old.har.name, old.har_size, old.screenshot.name, old.filmstrip.name) == ("", 0, "", "")
    assert old.result == RESULT
    assert (old.status, old.lcp) == (Run.SUCCEEDED, 100.0)
    recent.refresh_from_db()
    assert recent.har and recent.screenshot and recent.filmstrip
    assert files(media) == [".gz", ".jpg", ".zip"]
    assert purge_hars(30).deleted == 0  # nothing left to purge


def test_a_dry_run_reports_and_deletes_nothing(runs: tuple[Run, Run], media: Path) -> None:
    old, _ = runs
    out = StringIO()
    call_command("purge_hars", "--days", "30", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        "would delete the HAR files, screenshots and filmstrips of 1 runs "
        f"({old.har_size + len(JPEG) + len(FILM)} bytes) older than 30 days"
    )
    assert files(media) == [".gz", ".gz", ".jpg", ".jpg", ".zip", ".zip"]
    out = StringIO()
    call_command("purge_hars", "--days", "0", stdout=out)
    assert out.getvalue().startswith("deleted the HAR files, screenshots and filmstrips of 2 runs")
    assert files(media) == []


def test_the_hourly_beat_task_purges_with_the_configured_retention(
    runs: tuple[Run, Run], media: Path, settings: Any
) -> None:
    from scenarios.runs.tasks import purge_old_hars

    entry = django_settings.CELERY_BEAT_SCHEDULE["purge-old-hars"]
    assert (entry["task"], entry["schedule"]) == ("scenarios.runs.tasks.purge_old_hars", 3600.0)
    settings.PERFITE_HAR_RETENTION_DAYS = 30
    assert purge_old_hars() == 1
    settings.PERFITE_HAR_RETENTION_DAYS = 20
    assert purge_old_hars() == 1
    assert files(media) == []


@pytest.fixture
def aged(db: None, media: Path) -> dict[str, Run]:
    """Runs of every kind the run retention must tell apart, with a Graphite point queued."""
    from scenarios.models import Comparison, GraphitePoint

    scenario = Scenario.objects.create(name="r", slug="r", url="http://x.localhost/", paused=True)
    old, recent = stored_run(scenario, 401), stored_run(scenario, 399)
    running = Run.objects.create(scenario=scenario, status=Run.RUNNING)
    pending = Comparison.objects.create(scenario=scenario, status=Comparison.RUNNING)
    done = Comparison.objects.create(scenario=scenario, status=Comparison.DONE)
    in_pending, in_done = stored_run(scenario, 500), stored_run(scenario, 500)
    Run.objects.filter(pk=in_pending.pk).update(comparison=pending)
    Run.objects.filter(pk=in_done.pk).update(comparison=done)
    Run.objects.filter(pk=running.pk).update(created_at=timezone.now() - timedelta(days=600))
    GraphitePoint.objects.create(path="perfite.r.local.chromium.native.lcp", value=1.0, timestamp=1)
    return {
        "old": old,
        "recent": recent,
        "running": running,
        "in_pending": in_pending,
        "in_done": in_done,
    }


def test_runs_past_the_run_retention_go_with_their_files_and_graphite_stays(
    aged: dict[str, Run], media: Path
) -> None:
    from scenarios.models import GraphitePoint, RunHost
    from scenarios.runs.retention import purge_runs

    sizes = aged["old"].har_size + aged["in_done"].har_size + 2 * (len(JPEG) + len(FILM))
    hosts_before = RunHost.objects.count()
    report = purge_runs(400)
    assert (report.deleted, report.bytes_freed) == (2, sizes)
    left = set(Run.objects.values_list("pk", flat=True))
    assert left == {aged[k].pk for k in ("recent", "running", "in_pending")}
    assert files(media) == [".gz", ".gz", ".jpg", ".jpg", ".zip", ".zip"]
    assert RunHost.objects.filter(run_id__in=[aged["old"].pk, aged["in_done"].pk]).count() == 0
    assert RunHost.objects.count() <= hosts_before
    assert GraphitePoint.objects.count() == 1


def test_a_dry_run_and_a_zero_retention_delete_no_run(aged: dict[str, Run], media: Path) -> None:
    from scenarios.runs.retention import purge_runs

    out = StringIO()
    call_command("purge_runs", "--days", "400", "--dry-run", stdout=out)
    assert out.getvalue().startswith("would delete 2 runs (")
    assert purge_runs(0).deleted == 0
    assert Run.objects.count() == 5
    assert len(files(media)) == 12  # four runs' HAR, screenshot and filmstrip


def test_the_hourly_beat_task_deletes_runs_with_the_configured_retention(
    aged: dict[str, Run], settings: Any
) -> None:
    from scenarios.runs.tasks import purge_old_runs

    entry = django_settings.CELERY_BEAT_SCHEDULE["purge-old-runs"]
    assert (entry["task"], entry["schedule"]) == ("scenarios.runs.tasks.purge_old_runs", 3600.0)
    settings.PERFITE_RUN_RETENTION_DAYS = 0
    assert purge_old_runs() == 0
    settings.PERFITE_RUN_RETENTION_DAYS = 400
    assert purge_old_runs() == 2
