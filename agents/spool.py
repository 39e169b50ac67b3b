"""The agent's outbox on disk: finished measurements the server could not take yet.

When delivery fails because the server is unreachable (or answers 5xx), the measurement is
written here and the run is never measured again: one flusher per agent (a lock file keeps
other processes of the same agent out) re-sends it with growing pauses (5 s doubling to
5 min) for as long as it takes. An agent that restarts finds its spool and resumes. The spool
is bounded (PERFITE_AGENT_SPOOL_MAX_BYTES); a measurement that does not fit is dropped with
an error in the log, and the server reaps that run as lost, with its reason.
"""

import contextlib
import fcntl
import gzip
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.delivery import Delivery, DeliveryError, DeliveryRefused

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 5.0
LONGEST_PAUSE_S = 300.0


@dataclass(frozen=True)
class Spooled:
    """One measurement waiting for the server."""

    run_id: int
    path: Path

    def load(self) -> tuple[dict[str, Any], dict[str, Any] | None, bytes | None]:
        result = json.loads((self.path / "result.json").read_text())
        har_file, shot = self.path / "har.json.gz", self.path / "screenshot"
        har = json.loads(gzip.decompress(har_file.read_bytes())) if har_file.exists() else None
        return result, har, shot.read_bytes() if shot.exists() else None

    def filmstrip(self) -> bytes | None:
        """The measurement's filmstrip (core.visual.archive), None when it has none."""
        film = self.path / "filmstrip.zip"
        return film.read_bytes() if film.exists() else None


class Spool:
    """A folder of measurements, one sub-folder per run, written atomically."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def put(
        self,
        run_id: int,
        result: dict[str, Any],
        har: dict[str, Any] | None,
        screenshot: bytes | None,
        filmstrip: bytes | None = None,
    ) -> bool:
        """Keep one measurement; False (and nothing kept) when the spool would overflow."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            (staging / "result.json").write_text(json.dumps(result))
            if har is not None:
                (staging / "har.json.gz").write_bytes(gzip.compress(json.dumps(har).encode()))
            if screenshot is not None:
                (staging / "screenshot").write_bytes(screenshot)
            if filmstrip is not None:
                (staging / "filmstrip.zip").write_bytes(filmstrip)
            if self.size() > self.max_bytes:
                shutil.rmtree(staging)
                return False
            final = self.root / f"run-{run_id}"
            shutil.rmtree(final, ignore_errors=True)
            os.replace(staging, final)  # atomic: a flusher never sees half a measurement
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return True

    def items(self) -> list[Spooled]:
        """Waiting measurements, oldest first."""
        if not self.root.exists():
            return []
        found = [p for p in self.root.glob("run-*") if (p / "result.json").exists()]
        found.sort(key=lambda p: p.stat().st_mtime)
        return [Spooled(int(p.name.removeprefix("run-")), p) for p in found]

    def remove(self, item: Spooled) -> None:
        shutil.rmtree(item.path, ignore_errors=True)

    def flush(self, delivery: Delivery, agent_name: str) -> int:
        """Deliver what waits, oldest first; stop at the first transient failure (the server
        is still away). A refused measurement (4xx: the run is gone or was taken over) is
        dropped with an error in the log. Returns how many were delivered."""
        delivered = 0
        for item in self.items():
            result, har, screenshot = item.load()
            try:
                delivery.deliver(
                    item.run_id, result, har, agent_name, screenshot, filmstrip=item.filmstrip()
                )
            except DeliveryRefused as exc:
                log.error("run %s: the server refused the spooled result: %s", item.run_id, exc)
            except DeliveryError:
                return delivered
            else:
                delivered += 1
            self.remove(item)
        return delivered

    @contextlib.contextmanager
    def flusher_lock(self) -> Iterator[bool]:
        """Yield True to the one process of this agent that may flush, False to the others."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def flush_until_empty(
    spool: Spool,
    delivery: Delivery,
    agent_name: str,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Re-send until the spool is empty, pausing 5 s, 10 s … up to 5 min between tries."""
    pause = FIRST_PAUSE_S
    with spool.flusher_lock() as mine:
        if not mine:
            return
        while spool.items():
            if spool.flush(delivery, agent_name):
                pause = FIRST_PAUSE_S
                continue
            sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_S)


_flusher: threading.Thread | None = None
_flusher_guard = threading.Lock()


def start_flusher(spool: Spool, delivery: Delivery, agent_name: str) -> None:
    """Start this process's flusher thread unless one is already running."""
    global _flusher
    with _flusher_guard:
        if _flusher is not None and _flusher.is_alive():
            return
        _flusher = threading.Thread(
            target=flush_until_empty,
            args=(spool, delivery, agent_name),
            name="perfite-spool-flusher",
            daemon=True,
        )
        _flusher.start()
