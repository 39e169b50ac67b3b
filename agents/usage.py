"""What the agent itself costs its machine, read from /proc: the CPU and the memory (PSS) of
its process tree, browsers included.

A load test reports these beside the site's numbers, so that a saturated agent is not taken
for a slow site. CPU is a share of the whole machine (100 = every core busy for the whole
interval). It counts each process's own time and the time of its children that ended and
were reaped (``cutime``/``cstime``): a renderer that exits between two samples still counts,
in its parent. Memory is the proportional set size (``Pss`` of ``smaps_rollup``): pages
shared by several processes of the tree (Chromium's libraries, the zygote's) count once,
split among them, so the sum over the tree is what the tree costs.

Linux only, as agents are; a process that goes away while it is read counts as nothing.
"""

import os
import re
import time
from dataclasses import dataclass

_PSS = re.compile(rb"^Pss:\s+(\d+) kB", re.M)
_TICKS = os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every descendant of ``pid`` (children of any of its threads, recursively)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                kids = [int(x) for x in handle.read().split()]
        except OSError:
            continue
        for kid in kids:
            found += [kid, *descendants(kid)]
    return found


def tree(root: int) -> list[int]:
    """``root`` and its descendants."""
    return [root, *descendants(root)]


def stat_ticks(stat: bytes) -> int:
    """utime + stime + cutime + cstime of a ``/proc/<pid>/stat`` line."""
    # The command name may hold spaces and parentheses: fields start after the last ")".
    fields = stat[stat.rindex(b")") + 2 :].split()
    # utime, stime, cutime, cstime are fields 14-17 of proc(5); fields[0] here is field 3.
    return sum(int(value) for value in fields[11:15])


def rollup_pss(rollup: bytes) -> int:
    """The ``Pss`` of a ``/proc/<pid>/smaps_rollup`` text, in bytes (0 without one)."""
    match = _PSS.search(rollup)
    return int(match.group(1)) * 1024 if match else 0


def cpu_ticks(pid: int) -> int:
    """Clock ticks ``pid`` and its reaped children spent on a CPU (user + system); 0 when it
    is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return stat_ticks(handle.read())
    except OSError:
        return 0


def pss_bytes(pid: int) -> int:
    """The proportional set size of ``pid`` in bytes; 0 when it is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            return rollup_pss(handle.read())
    except OSError:
        return 0


@dataclass(frozen=True)
class Sample:
    """The tree's CPU since the previous sample (percent of the machine) and its PSS now."""

    cpu_percent: float
    pss_bytes: int


class Meter:
    """Samples the process tree under ``root``: each :meth:`sample` gives the CPU it used
    since the one before (since the meter was made, for the first)."""

    def __init__(self, root: int, cores: int | None = None) -> None:
        self.root = root
        self.cores = cores or os.cpu_count() or 1
        self._ticks = self._tree_ticks()
        self._at = time.monotonic()

    def _tree_ticks(self) -> int:
        return sum(cpu_ticks(pid) for pid in tree(self.root))

    def sample(self) -> Sample:
        pids = tree(self.root)
        ticks = sum(cpu_ticks(pid) for pid in pids)
        now = time.monotonic()
        elapsed = max(now - self._at, 1e-6)
        # A process of the tree that ended and was reaped by a parent outside it takes its
        # ticks away: never a negative share.
        used = max(ticks - self._ticks, 0) / _TICKS
        self._ticks, self._at = ticks, now
        percent = used / (elapsed * self.cores) * 100
        return Sample(round(percent, 1), sum(pss_bytes(pid) for pid in pids))


def agent_root() -> int:
    """The process whose tree is the agent: the worker's main process when this is one of its
    pool processes (a prefork child of ``manage.py agent``), else this process."""
    from billiard.process import current_process

    if current_process().name != "MainProcess":
        return os.getppid()
    return os.getpid()
