"""The whole stack of bench/chaos.py, as real processes: Redis (append-only file, so a restart
keeps its queues), gunicorn, the server worker, beat, the demo site, two local and two remote
agents, and a counting fake carbon. Every process runs in its own process group with a log
under the work folder, and can be killed and started again on the same port.

Import after Django is set up (bench.common.setup_django): it builds on tests/loop/services.
"""

import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from scenarios.management.commands.start import WEB_WORKERS
from tests.loop.services import (
    Process,
    celery_argv,
    free_port,
    listening,
    manage_argv,
    require_program,
)

LOCAL, REMOTE = "chaos", "remote"
LOCAL_AGENTS, REMOTE_AGENTS = ("chaos-a", "chaos-b"), ("remote-a", "remote-b")
# A reset carbon reads this much of a connection first: mid-batch (a run yields some 10 kB).
RESET_AFTER_BYTES = 3000
BROWSERS = {"chromium", "chrome", "headless_shell", "chrome-headless-shell"}


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (children of all its threads, recursively)."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(child) for child in f.read().split()]
    return found + [grandchild for child in found for grandchild in descendants(child)]


def argv_of(pid: int) -> list[str]:
    """The command line of ``pid``; empty once it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return [part.decode(errors="replace") for part in handle.read().split(b"\0") if part]
    except OSError:
        return []


def start_time(pid: int) -> int:
    """When ``pid`` started (clock ticks since boot); 0 once it is gone. With the pid, it
    names one process: a pid alone may have been reused by now."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return int(handle.read().rpartition(")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def kill_pids(pids: dict[int, int]) -> int:
    """SIGKILL each process of ``pids`` (pid: start time) still alive as that same process;
    returns how many were."""
    killed = 0
    for pid, started in pids.items():
        if started and start_time(pid) == started:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed += 1
    return killed


class CountingCarbon:
    """A fake carbon on a free port that writes down every ``path value timestamp`` line of
    each connection it read to the end and closed in order (carbon's confirmation,
    scenarios.runs.graphite.deliver). ``refuse()`` stops listening (connection refused);
    ``resetting`` makes it read RESET_AFTER_BYTES of each connection and reset it, as a
    carbon dying mid-batch: what it read then is not kept, as such a carbon would not."""

    def __init__(self) -> None:
        self.port = free_port()
        self.points: defaultdict[tuple[str, int], list[float]] = defaultdict(list)
        self.connections: Counter[str] = Counter()
        self.resetting = False
        self._server: socket.socket | None = None
        self._lock = threading.Lock()

    def listen(self) -> None:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def refuse(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)  # stops a blocked accept at once
            self._server.close()
            self._server = None

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(60)
        with client:
            if self.resetting:
                with contextlib.suppress(OSError):
                    client.recv(RESET_AFTER_BYTES)
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connections["reset"] += 1
                return
            data = bytearray()
            try:
                while chunk := client.recv(65536):
                    data += chunk
            except OSError:
                self.connections["broken by the sender"] += 1
                return
            with self._lock:
                self.connections["read to the end"] += 1
                for line in bytes(data).decode().splitlines():
                    path, value, stamp = line.split()
                    self.points[(path, int(stamp))].append(float(value))


class Stack:
    """The processes of one chaos run, started from ``env`` with logs in ``workdir``."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.processes: dict[str, Process] = {}
        self.web_port = free_port()
        self.demo_port = free_port()
        self.redis_port = free_port()
        self.carbon = CountingCarbon()
        env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{self.redis_port}/0"
        env["GRAPHITE_HOST"], env["GRAPHITE_PORT"] = "127.0.0.1", str(self.carbon.port)
        self.tokens: dict[str, str] = {}
        # pid: start time of all we started or saw started, for the clean-up
        self.every_pid: dict[int, int] = {}

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, name: str, argv: list[str], **extra: str) -> Process:
        """Start (or start again) the process ``name``; its log is appended to."""
        env = {**self.env, **extra}
        process = Process(name, argv, env, self.workdir / f"{name}.log").start()
        self.processes[name] = process
        self.every_pid[process.pid] = start_time(process.pid)
        return process

    def wait_ready(self, name: str, text: str, after: int = 0, timeout: float = 120) -> None:
        """Wait until process ``name`` prints ``text`` past byte ``after`` of its log."""
        process = self.processes[name]
        deadline = time.monotonic() + timeout
        while text not in process.log.read_text(errors="replace")[after:]:
            if not process.alive() or time.monotonic() > deadline:
                raise SystemExit(f"{name} did not print {text!r}\n{process.output()}")
            time.sleep(0.3)

    def wait_port(self, name: str, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not listening(port):
            if not self.processes[name].alive() or time.monotonic() > deadline:
                raise SystemExit(
                    f"{name} is not listening on {port}\n{self.processes[name].output()}"
                )
            time.sleep(0.2)

    def log_size(self, name: str) -> int:
        return self.processes[name].log.stat().st_size

    # --- each part, startable again after a kill -------------------------------------------

    def start_redis(self) -> None:
        program = require_program("redis-server", "apt-get install redis-server")
        (self.workdir / "redis").mkdir(exist_ok=True)
        argv = [program, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "yes", "--dir", str(self.workdir / "redis")]
        self.start("redis", argv)
        self.wait_port("redis", self.redis_port, 20)

    def start_web(self) -> None:
        argv = [sys.executable, "-m", "gunicorn", "perfite.wsgi"]
        argv += ["-b", f"127.0.0.1:{self.web_port}", *WEB_WORKERS, "--timeout", "120"]
        self.start("web", argv)
        self.wait_port("web", self.web_port)

    def start_server_side(self) -> None:
        """The server worker (queue perfite: dispatch, Graphite pushes, reaper) and beat."""
        worker = ["worker", "-Q", "perfite", "-n", "server@%h", "--concurrency", "2"]
        worker += ["--without-mingle", "--without-gossip", "--loglevel", "info"]
        self.start("server-worker", celery_argv(*worker))
        self.wait_ready("server-worker", "ready.")
        beat = ["beat", "--loglevel", "info", "-s", str(self.workdir / "beat-schedule")]
        self.start("beat", celery_argv(*beat))

    def start_demo(self) -> None:
        argv = [sys.executable, "-m", "demosite", "--port", str(self.demo_port)]
        self.start("demo-site", argv)
        self.wait_port("demo-site", self.demo_port)

    def issue_tokens(self) -> None:
        """A token per remote agent, from ``manage.py create_agent_token``, as an operator."""
        for name in REMOTE_AGENTS:
            argv = manage_argv("create_agent_token", "--location", REMOTE, "--name", name)
            done = subprocess.run(argv, env=self.env, capture_output=True, text=True, check=True)
            self.tokens[name] = done.stdout.strip()

    def start_agent(self, name: str, wait: bool = True) -> None:
        """``manage.py agent`` for ``name``: local agents write to the database; remote ones
        deliver to the web server with their token and have no database at all."""
        location = REMOTE if name in REMOTE_AGENTS else LOCAL
        argv = manage_argv("agent", "--location", location, "--name", name, "--loglevel", "info")
        extra: dict[str, str] = {}
        if location == REMOTE:
            extra = {
                "PERFITE_SERVER_URL": self.web_url,
                "PERFITE_AGENT_TOKEN": self.tokens[name],
                "DATABASE_URL": "sqlite:////nonexistent/perfite-remote-agent.sqlite3",
            }
        after = self.log_size(name) if name in self.processes else 0
        self.start(name, argv, **extra)
        if wait:
            self.wait_ready(name, "ready.", after)

    def agent_pool_children(self, name: str) -> list[int]:
        """The prefork pool's children of agent ``name`` (its main process's children)."""
        pid = self.processes[name].pid
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as handle:
            return [int(child) for child in handle.read().split()]
        return []

    def browsers_of(self, name: str) -> list[int]:
        """Chromium's browser processes (not renderers or helpers) under agent ``name``."""
        found = []
        for pid in descendants(self.processes[name].pid):
            # Chromium's helpers rewrite their command line into one string: read it whole.
            line = " ".join(argv_of(pid))
            if Path(line.split(" ")[0]).name in BROWSERS and "--type=" not in line:
                found.append(pid)
        return found

    def remember_descendants(self) -> None:
        """Note every descendant now alive, so that the clean-up can end it even after its
        parent was killed (a Chromium whose agent died is adopted by init)."""
        for process in self.processes.values():
            if process.alive():
                self.every_pid.update({pid: start_time(pid) for pid in descendants(process.pid)})

    def stop(self) -> None:
        """Stop everything we started: each group in order, then any descendant left."""
        self.remember_descendants()
        self.carbon.refuse()
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            with contextlib.suppress(Exception):
                process.stop(grace=15)
        kill_pids(self.every_pid)
