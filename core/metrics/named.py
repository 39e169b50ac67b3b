"""The named families of the metric registry: members the page or the scenario script names
(user timings, named requests, JS values, WebSockets, backend series), whose values are flat
keys of the result document's ``metrics``. core.metrics.registry lists them with the others,
and with the actor family, whose fields are the page metrics it defines.
"""

from core.metrics.types import NAMED_REQUESTS, NOTHING, Family, Metric
from core.metrics.units import BYTES, COUNT, MS, NUMBER

# Named families: members named by the page or the scenario script, values in ``metrics``.
USER = Family(
    "user",
    "User timing",
    "metrics",
    "user",
    (),
    named=True,
    value=Metric(
        "value",
        "User timing",
        MS,
        "A performance.mark's time from navigation start, or a performance.measure's duration",
        graphite=True,
    ),
)
# A named request's change is traced to the requests its declaration matches.
REQUEST_FIELDS: tuple[Metric, ...] = (
    Metric(
        "duration_ms",
        "Duration",
        MS,
        "The first matching request, start to end",
        graphite=True,
        attribution=NAMED_REQUESTS,
    ),
    Metric(
        "ttfb_ms",
        "TTFB",
        MS,
        "The first matching request: time to its first byte",
        graphite=True,
        attribution=NAMED_REQUESTS,
    ),
    Metric(
        "transfer_bytes",
        "Transfer",
        BYTES,
        "Bytes on the wire of every match",
        graphite=True,
        attribution=NAMED_REQUESTS,
    ),
    Metric("count", "Count", COUNT, "Matching requests", graphite=True, attribution=NAMED_REQUESTS),
    Metric(
        "failed",
        "Failed",
        COUNT,
        "Matches that failed or answered 4xx/5xx",
        graphite=True,
        attribution=NAMED_REQUESTS,
    ),
)
REQUEST = Family("request", "Request", "metrics", "request", REQUEST_FIELDS, named=True)
CUSTOM = Family(
    "custom",
    "JS value",
    "metrics",
    "custom",
    (),
    named=True,
    value=Metric(
        "value",
        "JS value",
        NUMBER,
        "A JavaScript expression's value",
        graphite=True,
        attribution=NOTHING,
    ),
)
WS_FIELDS: tuple[Metric, ...] = (
    Metric(
        "connect_ms",
        "Connect",
        MS,
        "The first matching socket: creation to open",
        graphite=True,
        attribution=NOTHING,
    ),
    Metric("sent", "Frames sent", COUNT, graphite=True, attribution=NOTHING),
    Metric("received", "Frames received", COUNT, graphite=True, attribution=NOTHING),
    Metric("sent_bytes", "Bytes sent", BYTES, graphite=True, attribution=NOTHING),
    Metric("received_bytes", "Bytes received", BYTES, graphite=True, attribution=NOTHING),
    Metric(
        "reply_ms",
        "Reply",
        MS,
        "Median time from a sent frame to the next matching reply",
        graphite=True,
        attribution=NOTHING,
    ),
)
WEBSOCKET = Family("ws", "WebSocket", "metrics", "ws", WS_FIELDS, named=True)
BACKEND = Family(
    "backend",
    "Backend",
    "metrics",
    "backend",
    (),
    named=True,
    value=Metric(
        "value",
        "Backend",
        NUMBER,
        "A Graphite series' mean over the run's window",
        graphite=True,
        attribution=NOTHING,
    ),
)
# What a measured step carries of its own (``step.<step>.<name>``): not backend series, which
# belong to the run's whole window.
STEP_SCOPED: tuple[Family, ...] = (USER, REQUEST, CUSTOM, WEBSOCKET)
