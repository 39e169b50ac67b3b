"""A run's journey: each script step done on the open page, and what the steps record.

agents.browser opens the page and hands it here (a Playwright ``Page``, typed ``Any``: that
module alone imports Playwright), with a DevTools session for the page's counters and
values. Besides acting on the page, the steps record the measured steps' start and end
(``marks``, epoch ms, with a counter sample at each) and the ``evaluate`` steps' values
(``values``). A Playwright error propagates as it is; a network that never goes quiet
raises :class:`QuietTimeout`.
"""

import time
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin

from agents import js_values
from agents.cdp import CdpSession
from agents.page_counters import PageCounters

NAVIGATING = {"navigate", "click", "press", "select"}
"""Steps that can leave the document: its collector snapshot is taken before them."""


class QuietTimeout(TimeoutError):
    """The network never went quiet before the deadline."""


class StepFailed(RuntimeError):
    """A step the page cannot go on with (its error fails the run, like the browser's)."""


class Network(Protocol):
    """Requests in flight and when the last one started or ended (time.monotonic)."""

    inflight: int
    last_activity: float


def now_ms() -> float:
    """Epoch milliseconds: the clock every time recorded during a run is read on."""
    return time.time() * 1000.0


@dataclass
class Journey:
    """One run's open page and what its steps recorded.

    ``marks``: ``{"name", "start", "end"}`` of each measured step (``end`` None while it
    runs); ``values``: ``{"name", "t", "value"}`` or ``{"name", "t", "error"}`` per
    ``evaluate`` step, ``t`` when it was asked.
    """

    page: Any
    cdp: CdpSession
    counters: PageCounters
    network: Network
    base_url: str
    quiet_ms: int
    deadline: float
    marks: list[dict[str, Any]] = field(default_factory=list)
    values: list[dict[str, Any]] = field(default_factory=list)

    def run(self, step: dict[str, Any], timeout: float) -> None:
        """Do ``step`` (a core.script step dict), each wait bounded by ``timeout`` ms."""
        page, action = self.page, step["action"]
        if action == "navigate":
            page.goto(urljoin(self.base_url, step["url"]), wait_until="load", timeout=timeout)
        elif action == "click":
            page.click(step["selector"], timeout=timeout)
        elif action == "fill":
            page.fill(step["selector"], step["value"], timeout=timeout)
        elif action == "press":
            if step.get("selector"):
                page.press(step["selector"], step["key"], timeout=timeout)
            else:
                page.keyboard.press(step["key"])
        elif action == "select":
            page.select_option(step["selector"], step["value"], timeout=timeout)
        elif action == "wait_for":
            self._wait_for(step, timeout)
        elif action == "set_viewport":
            page.set_viewport_size({"width": int(step["width"]), "height": int(step["height"])})
        elif action == "measure_start":
            at = now_ms()
            self.marks.append({"name": step["name"], "start": at, "end": None})
            self.counters.sample("measure_start", at)
        elif action == "measure_stop":
            self._stop(step["name"])
        elif action == "evaluate":
            limit = min(js_values.TIMEOUT_MS, max(int(timeout), 1))
            at = now_ms()
            found = js_values.evaluate(self.cdp, step["expression"], limit)
            self.values.append({"name": step["name"], "t": at, **found})
        else:
            raise ValueError(f"line {step.get('line')}: unsupported action {action!r}")

    def _wait_for(self, step: dict[str, Any], timeout: float) -> None:
        if step.get("selector"):
            self.page.wait_for_selector(step["selector"], timeout=timeout)
        elif step.get("text"):
            self.page.get_by_text(step["text"]).first.wait_for(timeout=timeout)
        elif step.get("network_idle"):
            until = min(self.deadline, time.monotonic() + timeout / 1000)
            wait_quiet(self.page, self.network, min(self.quiet_ms, 500), until)
        else:
            self.page.wait_for_timeout(int(step["ms"]))

    def _stop(self, name: str) -> None:
        at = now_ms()
        for mark in reversed(self.marks):
            if mark["name"] == name and mark["end"] is None:
                mark["end"] = at
                break
        self.counters.sample("measure_stop", at)


def wait_quiet(page: Any, network: Network, quiet_ms: int, deadline: float) -> None:
    """Return once no request has been in flight for ``quiet_ms``; QuietTimeout at
    ``deadline`` (time.monotonic)."""
    while True:
        idle_for = (time.monotonic() - network.last_activity) * 1000
        if network.inflight == 0 and idle_for >= quiet_ms:
            return
        if time.monotonic() >= deadline:
            raise QuietTimeout(f"network never went quiet for {quiet_ms} ms")
        page.wait_for_timeout(min(50, max(quiet_ms - idle_for, 10)))


def describe(step: dict[str, Any]) -> str:
    """``line 3: click #search`` (``line 3: visitor: click #send`` for an actor's step): where
    a step's error came from."""
    target = step.get("selector") or step.get("url") or step.get("key") or step.get("text") or ""
    who = f"{step['actor']}: " if step.get("actor") else ""
    return f"line {step.get('line')}: {who}{step['action']} {target}".rstrip()
