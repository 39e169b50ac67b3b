"""Deployment settings: HTTPS switches, no public secret key, login throttling."""

import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[2]


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PERFITE_"))}
    return subprocess.run(
        [sys.executable, *code.split()],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.system  # runs manage.py in a fresh interpreter
def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path: Path) -> None:
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "perfite.example.com",
        "PERFITE_HTTPS": "1",
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
        "PERFITE_VAR_DIR": str(tmp_path),
    }
    done = _run("manage.py check --deploy --fail-level WARNING", env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


@pytest.mark.system  # runs manage.py in a fresh interpreter
def test_without_https_check_deploy_names_each_missing_switch(tmp_path: Path) -> None:
    env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "PERFITE_VAR_DIR": str(tmp_path)}
    done = _run("manage.py check --deploy", env)
    for warning in ("W004", "W008", "W012", "W016"):
        assert warning in done.stdout + done.stderr


@pytest.mark.system  # runs manage.py in a fresh interpreter
def test_without_a_key_every_process_of_the_machine_shares_one_generated_into_var(
    tmp_path: Path,
) -> None:
    env = {"DJANGO_SETTINGS_MODULE": "perfite.settings", "PERFITE_VAR_DIR": str(tmp_path)}
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SECRET_KEY)"
    )
    keys = [
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=BASE_DIR,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        for _ in range(2)
    ]
    path = tmp_path / "secret_key"
    assert keys[0] == keys[1] == path.read_text().strip()
    assert len(keys[0]) >= 50 and "insecure" not in keys[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_logins_are_throttled_per_account_and_address(settings: object) -> None:
    User.objects.create_user("eve", password="right-password-1")
    client = Client(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post("/accounts/login/", {"username": "eve", "password": "wrong"}).status_code
        for _ in range(10)
    ]
    assert statuses == [200] * 9 + [429]  # the tenth failure locks the account at this address
    locked = client.post("/accounts/login/", {"username": "eve", "password": "right-password-1"})
    assert locked.status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.9")
    fine = other.post("/accounts/login/", {"username": "eve", "password": "right-password-1"})
    assert fine.status_code == 302
