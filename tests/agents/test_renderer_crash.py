"""A crash of the page's renderer process is the machine's failure, not the site's: measure()
raises InfrastructureError (the task retries it) instead of returning a failed result, while a
navigation the site itself aborts stays a failed result. Real Chromium, real process kills."""

import os
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from agents.browser import measure
from agents.engines import InfrastructureError
from demosite.content import BEACON, STATIC, WWW
from tests.agents.test_measure import spec_for


def renderer_pids() -> list[int]:
    """The renderer processes of the browsers this process started. Chromium renames the
    children of its zygote: their command line is one string, not NUL-separated arguments."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [os.getpid()]
    while todo:
        for pid in children.get(todo.pop(), []):
            todo.append(pid)
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"--type=renderer" in command and b"--top-chrome-webui" not in command:
                found.append(pid)
    return found


def kill_renderers_once(site: Any, host: str, path: str) -> list[int]:
    """From now on, as soon as the site has answered ``host`` + ``path``, SIGKILL every page
    renderer; returns the list the killed pids are added to."""
    killed: list[int] = []

    def kill() -> None:
        site.wait_for(host, path, timeout=30)
        for pid in renderer_pids():
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    threading.Thread(target=kill, daemon=True).start()
    return killed


def test_a_renderer_killed_while_the_page_loads_raises_an_infrastructure_error(
    site: Any, browser_pool: Any
) -> None:
    site.delays[STATIC + "/app.js"] = 20_000  # the load event waits for it
    killed = kill_renderers_once(site, WWW, "/")
    with pytest.raises(InfrastructureError, match="^the page's renderer crashed: "):
        measure(spec_for(site.url("/")), browser_pool)
    assert killed
    site.reset()
    # The browser itself lives on: the next run measures normally.
    assert measure(spec_for(site.url("/")), browser_pool).result["status"] == "succeeded"


def test_a_renderer_killed_during_a_step_raises_an_infrastructure_error(
    site: Any, browser_pool: Any
) -> None:
    killed = kill_renderers_once(site, BEACON, "/collect")  # sent once the page has loaded
    steps = [{"action": "wait_for", "ms": 20_000, "line": 1}]
    with pytest.raises(InfrastructureError, match="^the page's renderer crashed: line 1: "):
        measure(spec_for(site.url("/"), steps), browser_pool)
    assert killed


class NoContent(BaseHTTPRequestHandler):
    """Answers every GET with 204 No Content, which makes Chromium abort the navigation."""

    def do_GET(self) -> None:
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_a_navigation_the_site_aborts_is_still_a_failed_result(browser_pool: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), NoContent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        result = measure(spec_for(url), browser_pool).result
    finally:
        server.shutdown()
        server.server_close()
    assert (result["status"], result["error"]) == (
        "failed",
        f"Page.goto: net::ERR_ABORTED at {url}",
    )


def test_a_renderer_killed_while_an_expression_is_awaited_does_not_hold_the_run(
    site: Any, browser_pool: Any
) -> None:
    # A DevTools command to a dead renderer is never answered: the agent must let go of it.
    killed = kill_renderers_once(site, WWW, "/blank")
    expression = "new Promise((done) => { fetch('/blank'); setTimeout(() => done(1), 900); })"
    steps = [{"action": "evaluate", "name": "late", "expression": expression, "line": 1}]
    with pytest.raises(InfrastructureError, match="^the page's renderer crashed: "):
        measure(spec_for(site.url("/timings"), steps), browser_pool)
    assert killed
    assert measure(spec_for(site.url("/timings")), browser_pool).result["status"] == "succeeded"
