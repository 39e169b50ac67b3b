"""The page's own CPU and memory counters, read from Chromium during a run.

``Performance.getMetrics`` gives the renderer's counters since ``Performance.enable``: the
JavaScript heap, DOM nodes and the main thread's time in script, layout, style
recalculation and tasks (seconds). The agent reads them at the run's start, before every
navigating step, at each ``measure_start`` / ``measure_stop`` and as the run ends; the
result builder (core.result.named) turns the samples into the ``cpu.*`` metrics of the run
and of its measured steps. Reading is all this module does.
"""

from dataclasses import dataclass, field
from typing import Any

from agents.cdp import CdpError, CdpSession

COUNTERS = (
    "JSHeapUsedSize",
    "JSHeapTotalSize",
    "ScriptDuration",
    "LayoutDuration",
    "RecalcStyleDuration",
    "TaskDuration",
    "Nodes",
)
"""The counters kept, by their DevTools names (durations in seconds, sizes in bytes)."""


@dataclass
class PageCounters:
    """The samples of one run: ``{"at": label, "t": epoch ms, <counter>: value …}``.

    ``at`` is ``start``, ``navigate``, ``measure_start``, ``measure_stop`` or ``end``.
    ``error`` is the browser's reason when counters could not be had (then the run has no
    ``cpu.*`` metrics, never zeros); a sample that fails later is skipped, and the first
    such reason kept.
    """

    cdp: CdpSession
    samples: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    _enabled: bool = False

    def start(self, at_ms: float) -> None:
        """Turn the counters on and take the ``start`` sample."""
        try:
            self.cdp.send("Performance.enable")
        except CdpError as exc:
            self.error = f"no performance counters: {exc}"
            return
        self._enabled = True
        self.sample("start", at_ms)

    def sample(self, at: str, at_ms: float) -> None:
        """Read every counter now, labelled ``at`` and timed ``at_ms`` (epoch ms)."""
        if not self._enabled:
            return
        try:
            reply = self.cdp.send("Performance.getMetrics")
        except CdpError as exc:
            self.error = self.error or f"performance counters not read at {at}: {exc}"
            return
        values = {m.get("name"): m.get("value") for m in reply.get("metrics", [])}
        sample: dict[str, Any] = {"at": at, "t": at_ms}
        sample.update(
            {name: float(values[name]) for name in COUNTERS if _is_number(values.get(name))}
        )
        self.samples.append(sample)

    def report(self) -> dict[str, Any]:
        """What the result builder reads: ``{"samples": […], "error": reason or None}``."""
        return {"samples": self.samples, "error": self.error}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
