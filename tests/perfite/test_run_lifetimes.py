"""With the default settings, a dead agent's run is re-delivered long before it is marked lost."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each test reads the settings in a fresh interpreter.
pytestmark = pytest.mark.system

BASE_DIR = Path(__file__).resolve().parents[2]
READ = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from agents.tasks import run_scenario as t; "
    "print(json.dumps([s.CELERY_BROKER_TRANSPORT_OPTIONS, s.PERFITE_RUN_LOST_AFTER_S, "
    "t.soft_time_limit, t.time_limit]))"
)


def _settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PERFITE_", "CELERY_"))}
    return subprocess.run(
        [sys.executable, "-c", READ],
        cwd=BASE_DIR,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "perfite.settings",
            "PERFITE_VAR_DIR": str(tmp_path),
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_defaults_redeliver_a_dead_agents_run_within_minutes_and_before_it_is_lost(
    tmp_path: Path,
) -> None:
    done = _settings(tmp_path)
    assert done.returncode == 0, done.stderr
    options, lost_after, soft, hard = json.loads(done.stdout)
    assert (soft, hard) == (180, 210)  # the 120 s run timeout plus room to deliver
    assert options["visibility_timeout"] == 240  # no healthy agent holds a message longer
    assert options["unacked_restore_interval"] == 30
    # Re-delivered after at most 240 + 30 s, then a whole attempt of 210 s, before the reaper.
    assert lost_after == 540 >= 240 + 30 + 210


def test_the_lifetimes_follow_the_run_timeout(tmp_path: Path) -> None:
    done = _settings(tmp_path, PERFITE_RUN_TIMEOUT_MS="300000")
    options, lost_after, soft, hard = json.loads(done.stdout)
    assert (soft, hard, options["visibility_timeout"], lost_after) == (360, 390, 420, 900)


def test_a_lost_cutoff_shorter_than_a_redelivery_is_refused_by_the_checks(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PERFITE_", "CELERY_"))}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env={**clean, "PERFITE_VAR_DIR": str(tmp_path), "PERFITE_RUN_LOST_AFTER_S": "300"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "perfite.E001" in done.stderr and "PERFITE_RUN_LOST_AFTER_S=300" in done.stderr
