"""manage.py start: Perfite on one machine — web, one agent, the scheduler and the demo site."""

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from demosite.content import HOSTS
from scenarios.management.commands.seed_demo import ensure_admin

ADMIN = "admin"
# Web workers: processes × threads. Threads let a worker answer the login page while another
# of its threads ingests a large HAR (bench/har_ingest.py measures it).
WEB_WORKERS = ("-w", "2", "--threads", "4")


class Command(BaseCommand):
    help = (
        "Start Perfite on embedded defaults: migrate, seed the demo scenarios, then run the web "
        "app (gunicorn), one agent for location 'local' (which also runs server tasks), Celery "
        "beat and the bundled demo site, until Ctrl-C."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PERFITE_PORT", 8000)))
        parser.add_argument("--bind", default=os.environ.get("PERFITE_BIND", "127.0.0.1"))
        parser.add_argument("--demo-port", type=int, default=8123)
        parser.add_argument("--no-demo", action="store_true", help="do not serve the demo site")
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="show the web server's, agent's and scheduler's own output here "
            "(by default it goes to var/logs/<name>.log)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "PERFITE_LOCATION": "local"}
        if not options["no_demo"]:
            allow_demo_site(env, options["demo_port"])
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        if not options["no_demo"]:
            call_command(
                "seed_demo", demo_port=options["demo_port"], admin="", stdout=io.StringIO()
            )
        password = ensure_admin(ADMIN)
        python = sys.executable
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "perfite.wsgi",
                "-b",
                f"{options['bind']}:{options['port']}",
                *WEB_WORKERS,
                "--timeout",
                "120",
            ],
            "agent": [python, "manage.py", "agent", "--location", "local", "--with-server-tasks"],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "perfite",
                "beat",
                "-l",
                "warning",
                "-s",
                str(settings.VAR_DIR / "celerybeat-schedule"),
            ],
        }
        if not options["no_demo"]:
            commands["demo-site"] = [python, "-m", "demosite", "--port", str(options["demo_port"])]
        logs = settings.VAR_DIR / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        processes = {
            name: subprocess.Popen(
                cmd, env=env, **self._output(options["verbose"], logs / f"{name}.log")
            )
            for name, cmd in commands.items()
        }
        url = f"http://{options['bind']}:{options['port']}/"
        if self._wait_for_web(options["bind"], options["port"], processes["web"]):
            self.stdout.write(login_box(url, password, None if options["verbose"] else logs))
            self.stdout.flush()  # it runs until Ctrl-C: a pipe or a log must get the box now
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None and not stopping:
                    self.stderr.write(f"{name} exited with {process.returncode}; stopping")
                    if not options["verbose"]:
                        self.stderr.write(tail(logs / f"{name}.log"))
                    exit_code, stopping = 1, True
            time.sleep(0.5)
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sys.exit(exit_code)

    @staticmethod
    def _output(verbose: bool, log: Path) -> dict[str, Any]:
        """Where a child's output goes: here with --verbose, else its log file (appended)."""
        if verbose:
            return {}
        handle: IO[bytes] = open(log, "ab")  # noqa: SIM115 - the child holds it until it exits
        return {"stdout": handle, "stderr": subprocess.STDOUT}

    def _wait_for_web(self, host: str, port: int, web: subprocess.Popen[bytes]) -> bool:
        """Wait (up to 60 s) until the web server accepts connections; False if it died."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and web.poll() is None:
            try:
                with socket.create_connection((host, port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.3)
        return web.poll() is None


def allow_demo_site(env: dict[str, str], port: int) -> None:
    """Let the demo's scenarios measure the demo site, which is on loopback (refused by the
    address policy, core.netpolicy): its host names on its port join PERFITE_ALLOWED_HOSTS,
    for this process (which seeds the scenarios, validated against the policy) and for the
    processes in ``env``. Nothing else of loopback is allowed."""
    allowed = [*settings.PERFITE_ALLOWED_HOSTS, *(f"{host}:{port}" for host in HOSTS)]
    settings.PERFITE_ALLOWED_HOSTS = allowed
    env["PERFITE_ALLOWED_HOSTS"] = ",".join(allowed)


def login_box(url: str, password: str | None, logs: Path | None) -> str:
    """The last thing ``start`` prints: where to log in and with what, in a short box.

    ``password`` is given only when the admin was created by this start; on a restart the box
    says how to reset it instead (the password is never stored in clear).
    """
    lines = [f"Perfite is up: {url}", f"Log in as: {ADMIN}"]
    if password:
        lines.append(f"Password:  {password}   (shown once: keep it)")
    else:
        lines.append("Password:  the one printed at the first start; to reset it run")
        lines.append(f"           {_python()} manage.py changepassword {ADMIN}")
    lines.append(f"Admin: {url}admin/   API docs: {url}api/docs/")
    if logs is not None:
        lines.append(f"Logs: {logs}/ (start --verbose shows them here)")
    lines.append("Ctrl-C stops everything.")
    width = max(len(line) for line in lines)
    bar = "+" + "-" * (width + 2) + "+"
    return "\n".join([bar, *(f"| {line.ljust(width)} |" for line in lines), bar])


def _python() -> str:
    """This interpreter as a user would type it from the project folder (``.venv/bin/python``)."""
    relative = os.path.relpath(sys.executable, settings.BASE_DIR)
    return sys.executable if relative.startswith("..") else relative


def tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` lines of a log file, to show why a process stopped."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
