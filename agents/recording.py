"""What a run records from the browser's events while its page is open: the collector's
snapshots and socket events, Chromium's wire sizes, the requests in flight, the actions
done, and whether the renderer crashed.

agents.browser subscribes these handlers to Playwright's page and DevTools session (typed
``Any`` here: that module alone imports Playwright) and hands the recording to the result
builder once the page is closed.
"""

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Recording:
    """One run's records.

    ``snapshots``: the collector's latest snapshot per document, by its ``timeOrigin``;
    ``ws_events``: socket events as the collector reported them; ``wire``: per CDP request
    id, ``url``, ``encoded_bytes`` (-1 until finished), and ``failed``/``error`` when it
    failed; ``actions``: executed steps with epoch-ms ``start``/``end``; ``inflight`` and
    ``last_activity`` (time.monotonic) feed the network-quiet wait.
    """

    snapshots: dict[float, dict[str, Any]] = field(default_factory=dict)
    ws_events: list[dict[str, Any]] = field(default_factory=list)
    wire: dict[str, dict[str, Any]] = field(default_factory=dict)
    actions: list[dict[str, Any]] = field(default_factory=list)
    inflight: int = 0
    last_activity: float = field(default_factory=time.monotonic)
    crashed: bool = False  # the page's renderer died: the machine failed, not the site

    def crash(self, _page: Any) -> None:
        self.crashed = True

    def keep_snapshot(self, snapshot: dict[str, Any] | None) -> None:
        """Keep the collector's ``snapshot`` as its document's latest (None: none taken)."""
        if snapshot:
            self.snapshots[float(snapshot["timeOrigin"])] = snapshot

    def report(self, _source: Any, kind: str, data: dict[str, Any]) -> None:
        """The collector's ``__perfiteReport`` binding: socket events are kept."""
        if kind == "ws":
            self.ws_events.append(data)

    def track_wire(self, cdp: Any) -> None:
        """Record every request's bytes on the wire from the DevTools session ``cdp``
        (``Network.loadingFinished.encodedDataLength``: headers and body as received)."""

        def sent(event: dict[str, Any]) -> None:
            if event.get("redirectResponse"):
                return
            self.wire[event["requestId"]] = {"url": event["request"]["url"], "encoded_bytes": -1}

        def finished(event: dict[str, Any]) -> None:
            record = self.wire.get(event["requestId"])
            if record is not None:
                record["encoded_bytes"] = int(event.get("encodedDataLength", -1))

        def failed(event: dict[str, Any]) -> None:
            record = self.wire.get(event["requestId"])
            if record is not None:
                record["failed"] = True
                record["error"] = event.get("errorText") or "failed"

        cdp.on("Network.requestWillBeSent", sent)
        cdp.on("Network.loadingFinished", finished)
        cdp.on("Network.loadingFailed", failed)
        cdp.send("Network.enable")

    def track_network(self, page: Any) -> None:
        """Count the page's requests in flight and note when the last began or ended."""

        def started(_: Any) -> None:
            self.inflight += 1
            self.last_activity = time.monotonic()

        def ended(_: Any) -> None:
            self.inflight = max(self.inflight - 1, 0)
            self.last_activity = time.monotonic()

        page.on("request", started)
        page.on("requestfinished", ended)
        page.on("requestfailed", ended)
