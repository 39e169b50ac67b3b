"""The measured steps of a run with actors: ``measure_start`` on one actor's page, and
``measure_stop`` on the same page or another's, now or once that page shows something.

A stop that waits for its page (a CSS ``selector``, a ``text`` or a WebSocket ``frame``
matching a pattern: core.script.actions.STOP_CONDITIONS) is timed by the pages themselves,
on the epoch clock both share: it ends when the stopping page changed (agents/watch.js, in
the task that changed it) or received the frame (the collector's time of the message event),
and it starts at the starting page's next input event (the browser's own time of the click,
key or typing that sends the message), or at ``measure_start`` when none came. Neither end waits
for a round trip to Python, so the number is the pages', not the agent's. The watches are
put in place at ``measure_start``, before the action, so nothing that happens after it can be
missed. Such a step has no CPU metrics of its own (its ends are not counter samples).

A stop without a condition is timed as in a one-page run: at ``measure_stop``.

Pages are driven through agents.browser's objects (typed ``Any`` here: that module alone
imports Playwright).
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.journey import StepFailed, now_ms
from core.script.actions import STOP_CONDITIONS
from core.script.declarations import text_matches

WATCH_JS = Path(__file__).with_name("watch.js").read_text()
_RESULT = "id => window.__perfiteWatch ? window.__perfiteWatch.result(id) : {gone: true}"
POLL_MS = 20  # how often the agent asks a page whether its watch saw the change


@dataclass
class _Open:
    """A started measure: its mark, and the watches a conditional stop reads."""

    mark: dict[str, Any]
    stop: dict[str, Any]
    watch: str = ""  # the ids' stem (empty: an unconditional stop)
    frames_from: int = 0  # the stopping page's socket events before the start


@dataclass
class Measures:
    """The measured steps of one run: ``pages`` maps each actor to its open page (an
    agents.browser.OpenPage); ``steps`` are the run's steps, in order. ``marks`` holds
    ``{"name", "start", "end", "actor", "stop_actor"}`` (epoch ms; ``end`` None until it
    stops) in the order the measures started."""

    pages: Mapping[str, Any]
    steps: list[dict[str, Any]]
    marks: list[dict[str, Any]] = field(default_factory=list)
    _open: dict[str, _Open] = field(default_factory=dict)

    def runner(self, index: int) -> Any:
        """The function agents.browser.run_step does ``steps[index]`` with."""
        return lambda step, timeout: self.run(index, step, timeout)

    def run(self, index: int, step: dict[str, Any], timeout: float) -> None:
        if step["action"] == "measure_start":
            self._start(index, step)
        else:
            self._stop(step, timeout)

    def _start(self, index: int, step: dict[str, Any]) -> None:
        name, actor = step["name"], step["actor"]
        stop = next(
            s
            for s in self.steps[index + 1 :]
            if s["action"] == "measure_stop" and s["name"] == name
        )
        opened = self.pages[actor]
        at = now_ms()
        mark = {"name": name, "start": at, "end": None, "actor": actor, "stop_actor": None}
        pending = _Open(mark, stop)
        condition = next((k for k in STOP_CONDITIONS if k in stop), None)
        if condition is None:
            opened.counters.sample("measure_start", at)
        else:
            pending.watch = f"{name}-{index}"
            _watch(opened.page, "input", f"{pending.watch}:start")
            stopping = self.pages[stop["actor"]]
            if condition == "frame":
                pending.frames_from = len(stopping.recording.ws_events)
            else:
                _watch(stopping.page, "until", f"{pending.watch}:stop", condition, stop[condition])
        self.marks.append(mark)
        self._open[name] = pending

    def _stop(self, step: dict[str, Any], timeout: float) -> None:
        pending = self._open.pop(step["name"])
        mark, opened = pending.mark, self.pages[step["actor"]]
        mark["stop_actor"] = step["actor"]
        if not pending.watch:
            mark["end"] = now_ms()
            opened.counters.sample("measure_stop", mark["end"])
            return
        if "frame" in step:
            end = self._frame(opened, step["frame"], pending, timeout)
        else:
            end = _seen(opened.page, f"{pending.watch}:stop", timeout)
        started = _result(self.pages[mark["actor"]].page, f"{pending.watch}:start")
        if started is not None and mark["start"] <= started <= end:
            mark["start"] = started
        mark["end"] = max(end, mark["start"])

    def _frame(self, opened: Any, pattern: str, pending: _Open, timeout: float) -> float:
        """When the stopping page received the first text frame matching ``pattern`` since
        the measure started (the collector's time of the message); TimeoutError after
        ``timeout`` ms."""
        until = time.monotonic() + timeout / 1000
        start = pending.mark["start"]
        while True:
            for event in opened.recording.ws_events[pending.frames_from :]:
                preview = event.get("preview")
                if (
                    event.get("event") == "received"
                    and float(event.get("t", 0)) >= start
                    and isinstance(preview, str)
                    and text_matches(pattern, preview)
                ):
                    return float(event["t"])
            if time.monotonic() >= until:
                raise TimeoutError(f"no frame matching {pattern!r} within {int(timeout)} ms")
            opened.page.wait_for_timeout(POLL_MS)


def _watch(page: Any, call: str, *args: str) -> None:
    """Start a watch of agents/watch.js on ``page`` (installing them first, when the page
    has none yet), in one round trip."""
    page.evaluate(WATCH_JS, {"call": call, "args": list(args)})


def _result(page: Any, watch: str) -> float | None:
    """The time the input watch ``watch`` saw, None when none came (or the page left)."""
    found = page.evaluate(_RESULT, watch)
    return float(found["t"]) if isinstance(found, dict) and "t" in found else None


def _seen(page: Any, watch: str, timeout: float) -> float:
    """When the page's change watch ``watch`` saw its change; waits up to ``timeout`` ms
    (Playwright's TimeoutError), StepFailed when the watch cannot work or is gone."""
    handle = page.wait_for_function(_RESULT, arg=watch, timeout=timeout, polling=POLL_MS)
    found = handle.json_value()
    if "t" in found:
        return float(found["t"])
    if found.get("gone"):
        raise StepFailed("the page left the document the measure was watching")
    raise StepFailed(f"cannot watch the page: {found.get('error')}")
