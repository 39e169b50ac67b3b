"""agents.page_counters: which counters a run keeps, and what it keeps when the browser
refuses (a real Chromium's counters are in tests/agents/test_named_metrics.py)."""

from typing import Any

from agents.cdp import CdpError
from agents.page_counters import COUNTERS, PageCounters

REPLY = {
    "metrics": [
        {"name": "Timestamp", "value": 12345.6},
        {"name": "JSHeapUsedSize", "value": 612672},
        {"name": "JSHeapTotalSize", "value": 1310720},
        {"name": "ScriptDuration", "value": 0.2},
        {"name": "Nodes", "value": 8},
    ]
}


class Session:
    """A DevTools session answering Performance commands, refusing those in ``refuse``."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.refuse = refuse or set()
        self.sent: list[str] = []

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self.sent.append(method)
        if method in self.refuse:
            raise CdpError(f"'{method}' wasn't found")
        return REPLY if method == "Performance.getMetrics" else {}


def test_a_sample_keeps_the_known_counters_with_its_label_and_time() -> None:
    counters = PageCounters(Session())
    counters.start(1000.0)
    counters.sample("end", 2000.0)
    first, last = counters.report()["samples"]
    assert first == {
        "at": "start",
        "t": 1000.0,
        "JSHeapUsedSize": 612672.0,
        "JSHeapTotalSize": 1310720.0,
        "ScriptDuration": 0.2,
        "Nodes": 8.0,
    }
    assert (last["at"], last["t"]) == ("end", 2000.0)
    assert set(COUNTERS) >= set(first) - {"at", "t"}
    assert counters.report()["error"] is None


def test_counters_the_browser_cannot_give_leave_no_samples_and_the_reason() -> None:
    session = Session(refuse={"Performance.enable"})
    counters = PageCounters(session)
    counters.start(1000.0)
    counters.sample("end", 2000.0)
    assert counters.report() == {
        "samples": [],
        "error": "no performance counters: 'Performance.enable' wasn't found",
    }
    assert session.sent == ["Performance.enable"]  # nothing read once they are off


def test_a_failed_read_is_skipped_and_the_first_reason_kept() -> None:
    session = Session()
    counters = PageCounters(session)
    counters.start(1000.0)
    session.refuse = {"Performance.getMetrics"}
    counters.sample("navigate", 1500.0)
    counters.sample("end", 2000.0)
    report = counters.report()
    assert [s["at"] for s in report["samples"]] == ["start"]
    assert (
        report["error"]
        == "performance counters not read at navigate: 'Performance.getMetrics' wasn't found"
    )
