"""manage.py start on embedded defaults: the login box comes last; a restart says how to reset."""

import os
import re
import signal
from pathlib import Path

import pytest

from tests.loop.services import Process, free_port, manage_argv, wait_until

# Starts manage.py start: web, agent, beat and the demo site.
pytestmark = pytest.mark.system

BOX_END = "Ctrl-C stops everything."


def _start(tmp_path: Path, run: int) -> tuple[Process, str]:
    # No PERFITE_ALLOWED_*: start allows the demo site's hosts itself (its demo scenarios
    # are validated against the address policy when seeded).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "GRAPHITE_HOST", "PYTHONUNBUFFERED")
        and not k.startswith("PERFITE_ALLOWED_")
    }
    env["PERFITE_VAR_DIR"] = str(tmp_path / "var")
    port, demo_port = free_port(), free_port()
    log = tmp_path / f"start-{run}.log"
    process = Process(
        "start",
        manage_argv("start", "--port", str(port), "--demo-port", str(demo_port)),
        env,
        log,
    ).start()
    try:
        process.wait_for_output(BOX_END, timeout=120)
    except BaseException:
        process.stop()
        raise
    return process, log.read_text()


def _interrupt(process: Process) -> int:
    assert process.popen is not None
    process.popen.send_signal(signal.SIGINT)
    wait_until(lambda: not process.alive(), 60, "start to stop on Ctrl-C", process.output)
    return process.popen.returncode


def test_the_login_box_is_printed_last_and_a_restart_says_how_to_reset(tmp_path: Path) -> None:
    first, output = _start(tmp_path, 1)
    try:
        password = re.search(r"Password:  (\S+)   \(shown once", output)
        assert password is not None, output
        assert "Log in as: admin" in output
        # The children's banners went to their logs, not here.
        assert "celery@" not in output and "Booting worker" not in output, output
        assert (tmp_path / "var" / "logs" / "agent.log").exists()
        assert output.rstrip().endswith("+"), output
    finally:
        assert _interrupt(first) == 0

    second, output = _start(tmp_path, 2)
    try:
        assert "changepassword admin" in output
        assert "shown once" not in output
    finally:
        assert _interrupt(second) == 0
