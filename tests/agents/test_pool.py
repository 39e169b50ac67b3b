"""The warm-browser pool: one per process (a forked child gets its own), a dead browser is
replaced, a reset starts afresh, and the process's pool closes cleanly at exit."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agents import pool as pools
from agents.pool import BrowserPool, close_shared_pool, shared_pool

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_shared_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test starts without a shared pool; the session's own is put back afterwards."""
    monkeypatch.setattr(pools, "_shared", None)


def test_the_process_has_one_shared_pool_until_it_is_closed(
    own_shared_pool: None, settings: Any
) -> None:
    settings.PERFITE_BROWSER_PATH = "/usr/bin/chromium"
    first = shared_pool()
    again = shared_pool()
    close_shared_pool()
    with pytest.raises(RuntimeError, match="this browser pool is closed"):
        first.call(lambda: 1)
    second = shared_pool()
    close_shared_pool()

    assert again is first
    assert second is not first
    assert first._explicit == "/usr/bin/chromium"


def test_a_forked_child_starts_its_own_pool(own_shared_pool: None) -> None:
    parent = shared_pool()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the parent's pool thread does not exist here: a call on it would hang
        try:
            mine = shared_pool()
            answer = b"own" if mine is not parent and mine.call(lambda: 6 * 7) == 42 else b"bad"
        except BaseException:
            answer = b"err"
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    answer = os.read(read, 10)
    os.close(read)
    os.waitpid(child, 0)
    close_shared_pool()

    assert answer == b"own"


@pytest.mark.system  # a real Chromium
def test_a_disconnected_browser_is_relaunched_and_a_reset_starts_afresh() -> None:
    pool = BrowserPool()
    try:
        first = pool.call(pool.browser)
        pool.call(first.close)
        second = pool.call(pool.browser)
        relaunched = (second is not first, pool.call(second.is_connected))
        pool.reset()
        after_reset = (pool.playwright, dict(pool._browsers))
        version = pool.version()
    finally:
        pool.close()

    assert relaunched == (True, True)
    assert after_reset == (None, {})
    assert version.count(".") == 3


@pytest.mark.system  # a real Chromium
def test_the_shared_pool_closes_cleanly_when_the_process_exits() -> None:
    script = (
        "import django; django.setup()\n"
        "from agents.pool import shared_pool\n"
        "print(shared_pool().version())\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "perfite.settings"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.strip().count(".") == 3
