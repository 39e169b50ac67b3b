"""agents.usage: the agent's process tree, its CPU ticks and its PSS, read from /proc."""

import os
import signal
import subprocess
import sys
import time

import pytest

from agents.usage import (
    Meter,
    agent_root,
    cpu_ticks,
    descendants,
    pss_bytes,
    rollup_pss,
    stat_ticks,
)

pytestmark = pytest.mark.system  # starts processes

STAT = (
    b"4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
    b"150 30 7 3 20 0 1 0 1234 1000 10 18446744073709551615"
)
ROLLUP = b"""55a1-7ffc ---p 00000000 00:00 0 [rollup]
Rss:              204800 kB
Pss:              150123 kB
Pss_Anon:          90000 kB
Shared_Clean:      40000 kB
"""


def test_the_cpu_of_a_process_is_its_own_and_its_reaped_childrens_ticks() -> None:
    assert stat_ticks(STAT) == 150 + 30 + 7 + 3  # a name with spaces and parentheses too


def test_pss_is_read_from_the_rollup_in_bytes() -> None:
    assert rollup_pss(ROLLUP) == 150123 * 1024
    assert rollup_pss(b"Rss: 1 kB\n") == 0


def test_the_tree_holds_children_and_grandchildren_and_a_gone_process_counts_nothing() -> None:
    script = (
        "import subprocess, sys, time; "
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); "
        "print(p.pid, flush=True); time.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        grandchild = int(child.stdout.readline())
        assert {child.pid, grandchild} <= set(descendants(os.getpid()))
        assert descendants(child.pid) == [grandchild]
        assert pss_bytes(grandchild) > 0
    finally:
        os.kill(grandchild, signal.SIGKILL)
        child.kill()
        child.wait()
    assert (cpu_ticks(child.pid), pss_bytes(child.pid)) == (0, 0)


def test_outside_a_worker_the_agent_is_this_process() -> None:
    assert agent_root() == os.getpid()


def test_a_sleeping_tree_uses_no_cpu_and_a_busy_one_does() -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(1)  # both past their start-up
        idle, spinning = Meter(sleeper.pid), Meter(busy.pid, cores=1)
        time.sleep(1)
        assert idle.sample().cpu_percent == 0.0
        assert spinning.sample().cpu_percent > 0.0
    finally:
        sleeper.kill()
        busy.kill()
        sleeper.wait()
        busy.wait()
