"""manage.py start: Perfite on one machine — web, one agent, the scheduler and the demo site."""

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


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

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        if not options["no_demo"]:
            call_command("seed_demo", demo_port=options["demo_port"])
        python = sys.executable
        env = {**os.environ, "PERFITE_LOCATION": "local"}
        commands = {
            "web": [
                python,
                "-m",
                "gunicorn",
                "perfite.wsgi",
                "-b",
                f"{options['bind']}:{options['port']}",
                "-w",
                "2",
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
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        self.stdout.write(
            f"Perfite is up: http://{options['bind']}:{options['port']}/ "
            f"(admin at /admin/, API docs at /api/docs/). Ctrl-C stops everything."
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    self.stderr.write(f"{name} exited with {process.returncode}; stopping")
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
