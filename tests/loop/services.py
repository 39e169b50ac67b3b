"""Real processes for the monitoring-loop tests: a throwaway Redis and carbon-cache on free
ports, Celery workers, agents and beats. Each runs in its own session (process group), logs to
a file, and is stopped with its children. Nothing here skips: a missing program fails with
the command that installs it.
"""

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], T], timeout: float, what: str, on_timeout: Callable[[], str] | None = None
) -> T:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = on_timeout() if on_timeout else ""
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{extra}", pytrace=False)
        time.sleep(0.1)


def require_program(name: str, how: str) -> str:
    """The path of ``name``: first beside this interpreter (the project's virtual environment
    need not be activated), then on PATH; a missing program fails the test with ``how``."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not installed. Install it with: {how}", pytrace=False)
    return path


def listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Process:
    """One command in its own process group, output to ``log``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> "Process":
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=BASE_DIR,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def output(self, tail: int = 4000) -> str:
        try:
            return f"--- {self.name} ({self.log}) ---\n" + self.log.read_text()[-tail:]
        except OSError:
            return ""

    def wait_for_output(self, text: str, timeout: float) -> None:
        def seen() -> bool:
            if not self.alive():
                pytest.fail(f"{self.name} exited early\n{self.output()}", pytrace=False)
            return text in self.log.read_text(errors="replace")

        wait_until(seen, timeout, f"{self.name} to print {text!r}", self.output)

    def kill9(self) -> None:
        """SIGKILL the whole process group at once, as a crashed machine would."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def terminate(self) -> None:
        """SIGTERM the group (Celery's warm shutdown) without waiting."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, SIGKILL what is left of it after ``grace`` seconds."""
        if self.popen is None:
            return
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=grace)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


def start_redis(workdir: Path) -> tuple[Process, str]:
    """A throwaway redis-server on a free port, without persistence; returns it and its URL."""
    program = require_program(
        "redis-server", "apt-get install redis-server (or `make bootstrap` as root)"
    )
    port = free_port()
    argv = [
        program,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
    ]
    process = Process("redis", argv, dict(os.environ), workdir / "redis.log").start()
    wait_until(lambda: listening(port), 10, f"redis-server on port {port}", process.output)
    return process, f"redis://127.0.0.1:{port}/0"


CARBON_CONF = """[cache]
STORAGE_DIR = {root}/storage
LOCAL_DATA_DIR = {root}/storage/whisper
WHISPER_DIR = {root}/storage/whisper
LOG_DIR = {root}/log
PID_DIR = {root}
ENABLE_TAGS = False
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
LOG_UPDATES = False
LOG_LISTENER_CONNECTIONS = False
"""
# One-second precision: a point per run start, never averaged with a neighbour.
STORAGE_SCHEMAS = "[all]\npattern = .*\nretentions = 1s:2d\n"
STORAGE_AGGREGATION = "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n"


class Carbon:
    """A throwaway carbon-cache writing whisper files under ``root``, restartable on the same
    ports, behind a counting relay: ``port`` is where Perfite sends, ``lines`` counts every
    ``path timestamp`` pair carbon was handed. The relay listens only while carbon runs, so a
    sender sees carbon's own "connection refused" when it is down, and it ends a connection
    as carbon does: closed in order once carbon closed its side, reset when carbon reset."""

    def __init__(self, root: Path) -> None:
        self.program = require_program(
            "carbon-cache.py",
            "GRAPHITE_NO_PREFIX=1 pip install carbon whisper (or `make bootstrap`)",
        )
        self.root = root
        self.whisper_dir = root / "storage" / "whisper"
        self.carbon_port = free_port()
        self.port = free_port()
        (root / "carbon.conf").write_text(
            CARBON_CONF.format(
                root=root,
                line_port=self.carbon_port,
                pickle_port=free_port(),
                query_port=free_port(),
            )
        )
        (root / "storage-schemas.conf").write_text(STORAGE_SCHEMAS)
        (root / "storage-aggregation.conf").write_text(STORAGE_AGGREGATION)
        self.process: Process | None = None
        self.relay: socket.socket | None = None
        self.lines: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def start(self) -> "Carbon":
        pidfile = self.root / "carbon.pid"
        pidfile.unlink(missing_ok=True)
        argv = [
            sys.executable,
            self.program,
            f"--config={self.root / 'carbon.conf'}",
            f"--pidfile={pidfile}",
            "--nodaemon",
            "start",
        ]
        env = {**os.environ, "GRAPHITE_NO_PREFIX": "1"}
        self.process = Process("carbon-cache", argv, env, self.root / "carbon.log").start()
        wait_until(
            lambda: listening(self.carbon_port), 20, "carbon-cache to listen", self.process.output
        )
        self.relay = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.relay,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.relay is not None:
            # shutdown() stops listening at once (close() alone waits for the blocked accept).
            with contextlib.suppress(OSError):
                self.relay.shutdown(socket.SHUT_RDWR)
            self.relay.close()
            self.relay = None
        if self.process is not None:
            self.process.stop()
            self.process = None

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", self.carbon_port)) as upstream:
            pending = b""
            while chunk := client.recv(65536):
                upstream.sendall(chunk)
                pending += chunk
                *complete, pending = pending.split(b"\n")
                with self._lock:
                    for line in complete:
                        path, _value, stamp = line.decode().split()
                        self.lines[(path, int(stamp))] += 1
            # The sender's end, passed on: carbon closes its side once it has read everything.
            upstream.shutdown(socket.SHUT_WR)
            try:
                while upstream.recv(65536):
                    pass
            except ConnectionResetError:
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def whisper_file(self, path: str) -> Path:
        return self.whisper_dir.joinpath(*path.split(".")).with_suffix(".wsp")

    def values(self, path: str, around: int) -> list[tuple[int, float]]:
        """(timestamp, value) pairs stored for ``path`` within a minute of ``around``."""
        import whisper

        (start, _end, step), values = whisper.fetch(
            str(self.whisper_file(path)), around - 60, around + 60
        )
        return [(start + i * step, v) for i, v in enumerate(values) if v is not None]


def celery_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "perfite", *args]


def manage_argv(*args: str) -> list[str]:
    return [sys.executable, str(BASE_DIR / "manage.py"), *args]


def database_url() -> str:
    """A DATABASE_URL for the test database this pytest run created (after django_db_setup)."""
    from urllib.parse import quote

    from django.db import connection

    conf: dict[str, Any] = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = quote(conf.get("USER") or "")
    password = quote(conf.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    port = f":{conf['PORT']}" if conf.get("PORT") else ""
    return f"postgres://{auth}{conf.get('HOST') or 'localhost'}{port}/{conf['NAME']}"


class Outage:
    """A TCP relay in front of a server that can be taken down and brought back on the same
    port: while down, clients get "connection refused" as from a server that is away."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self.server: socket.socket | None = None
        self.open: set[socket.socket] = set()  # live connections: an outage cuts them too

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> "Outage":
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(64)
        self.server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return self

    def down(self) -> None:
        if self.server is not None:
            with contextlib.suppress(OSError):
                self.server.shutdown(socket.SHUT_RDWR)
            self.server.close()
            self.server = None
        for conn in list(self.open):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe_both, args=(client,), daemon=True).start()

    def _pipe_both(self, client: socket.socket) -> None:
        with client, socket.create_connection(self.upstream) as upstream:
            self.open.add(client)
            try:
                back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
                back.start()
                self._pipe(client, upstream)
                back.join(timeout=60)
            finally:
                self.open.discard(client)

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                sink.sendall(chunk)
            sink.shutdown(socket.SHUT_WR)
