"""Shared bench helpers: Django setup, scratch databases, the demo site in a process of its
own, the bare-Playwright reference load, process-tree memory, the commit a bench ran, and
writing bench/RESULTS.md."""

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfite.settings")
    # Every bench measures the demo site, on loopback: allow it (core.netpolicy), here and in
    # the processes a bench starts.
    os.environ.setdefault("PERFITE_ALLOWED_NETWORKS", "127.0.0.0/8")
    import django

    django.setup()


def fresh_database() -> str:
    """Create and migrate a scratch database named by $BENCH_DB_NAME (Django's test-database
    machinery: a file for SQLite, a database on the server for PostgreSQL) and switch the
    default connection to it; returns its engine's vendor."""
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = os.environ["BENCH_DB_NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    return connection.vendor


def drop_database(original: str) -> None:
    """Drop the scratch database of fresh_database() and switch back to ``original``."""
    from django.db import connection

    connection.creation.destroy_test_db(original, verbosity=0)


@contextlib.contextmanager
def site_process() -> Iterator[int]:
    """The demo site served by ``python -m demosite`` on a free port, in a process of its own,
    for the duration of the block; yields its port (``DemoSite(port=...).url()`` builds URLs).

    A measured site is never in the agent's process; served from a thread of the bench's own,
    its responses would share an interpreter with the agent's handling of the browser's
    events, and the page's timings would include that wait.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "demosite", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        home = process.stdout.readline().split("Demo site: ", 1)[1].strip()
        yield int(home.rstrip("/").rsplit(":", 1)[1])
    finally:
        process.terminate()
        process.wait(10)


def bare_page_load(browser: Any, url: str, quiet_ms: int) -> None:
    """The bare-Playwright reference load every ratio is taken against: a fresh context on a
    warm ``browser``, ``goto`` until load, then the same network quiet a run waits for. Call
    it on the Playwright thread (``BrowserPool.call``)."""
    context = browser.new_context()
    page = context.new_page()
    state = {"inflight": 0, "last": time.monotonic()}

    def began(_: Any) -> None:
        state["inflight"] += 1
        state["last"] = time.monotonic()

    def ended(_: Any) -> None:
        state["inflight"] -= 1
        state["last"] = time.monotonic()

    page.on("request", began)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    page.goto(url, wait_until="load")
    while state["inflight"] > 0 or (time.monotonic() - state["last"]) * 1000 < quiet_ms:
        page.wait_for_timeout(50)
    context.close()


def bare_load(pool: Any, url: str, quiet_ms: int) -> float:
    """Seconds of one bare_page_load() on the warm browser of ``pool`` (agents.browser's
    BrowserPool), run on its Playwright thread."""

    def run() -> float:
        start = time.perf_counter()
        bare_page_load(pool.browser(), url, quiet_ms)
        return time.perf_counter() - start

    return float(pool.call(run))


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid``: children of all its threads, recursively."""
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                kids += [int(x) for x in handle.read().split()]
        except OSError:
            continue
    return kids + [g for k in kids for g in _children(k)]


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between the processes sharing them, so a
    sum over Chromium's many processes does not count its shared libraries many times."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            match = re.search(r"^Pss:\s+(\d+) kB", handle.read(), re.M)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0


class PeakMemory:
    """Samples the PSS of this process and all its descendants (the browser) every 50 ms."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self.peak_self_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            own = _pss_kb(me)
            total = own + sum(_pss_kb(child) for child in _children(me))
            self.peak_kb = max(self.peak_kb, total)
            self.peak_self_kb = max(self.peak_self_kb, own)
            time.sleep(0.05)

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def commit() -> str:
    """The checked-out commit a bench ran (short hash; ``+`` when files differ from it)."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True
    ).stdout.strip()
    return (head.stdout.strip() or "unknown") + ("+" if dirty else "")


def write_section(title: str, body: str) -> None:
    """Replace (or append) the ``## title`` section of bench/RESULTS.md."""
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Bench results\n\nMade by the scripts in bench/; each section says the command.\n"
    )
    pattern = re.compile(rf"\n## {re.escape(title)}\n.*?(?=\n## |\Z)", re.S)
    section = f"\n## {title}\n\n{body.strip()}\n"
    text = (
        pattern.sub(lambda _: section, text)
        if pattern.search(text)
        else text.rstrip() + "\n" + section
    )
    RESULTS.write_text(text)
