"""The metric registry: every metric Perfite knows, with how each surface treats it.

One entry per page metric (a key of the result document's ``metrics``), and one *family* per
split of a run (party, host, entity, content class, step), whose members are open-ended
(``host.cdn.example.com.transfer_bytes``). Every list of metrics elsewhere is a read of this
module (through core.metrics.lookup): the Run columns, Graphite paths, charts, summaries and
waterfall marks, the CI gate's default family, minimum effects, comparison report rows,
correlation measures, attribution rules, HAR page timings, alert scopes, imports and
formatting. Adding a page metric is one ``Metric`` here (plus a column and migration only if
``column`` is true). The meaning of each flag: core.metrics.types.

Names: a page metric is its bare name (``lcp``, ``cpu.script_ms``); a family member is
``<prefix>.<member>.<field>`` (``party.third.blocking_ms``, ``step.checkout.duration_ms``);
a member of a one-value named family is ``<prefix>.<member>`` (``user.checkout_ready``). A
measured step carries its own user timings, named requests, JS values, WebSocket and CPU
metrics: ``step.<step>.<that name>`` (``step.checkout.request.create_chat.duration_ms``).
"""

from core.metrics.named import BACKEND, CUSTOM, REQUEST, USER, WEBSOCKET
from core.metrics.types import (
    CRITICAL_PATH,
    MAIN_THREAD,
    NOTHING,
    Attribution,
    Family,
    Metric,
)
from core.metrics.units import BYTES, COUNT, MS, SCORE

PAGE: tuple[Metric, ...] = (
    Metric("dns", "DNS", MS, "DNS lookup of the first document", graphite=True),
    Metric("connect", "Connect", MS, "TCP (and TLS) connect of the first document", graphite=True),
    Metric(
        "ttfb",
        "TTFB",
        MS,
        "Time to the first byte of the document",
        True,
        True,
        True,
        summary=True,
        attribution=CRITICAL_PATH,
        har_timing="_TTFB",
    ),
    Metric(
        "fcp",
        "FCP",
        MS,
        "First contentful paint",
        True,
        True,
        True,
        gated=True,
        waterfall_mark=True,
        attribution=CRITICAL_PATH,
        har_timing="_firstContentfulPaint",
    ),
    Metric(
        "lcp",
        "LCP",
        MS,
        "Largest contentful paint",
        True,
        True,
        True,
        gated=True,
        summary=True,
        waterfall_mark=True,
        attribution=Attribution("render_blocking", ("image", "font")),
        har_timing="_largestContentfulPaint",
        headline=True,
    ),
    Metric("cls", "CLS", SCORE, "Cumulative layout shift", True, True, True, gated=True),
    Metric(
        "tbt",
        "TBT",
        MS,
        "Total blocking time (long tasks)",
        True,
        True,
        True,
        gated=True,
        attribution=Attribution("none"),
    ),
    Metric(
        "dom_content_loaded",
        "DOM content loaded",
        MS,
        "DOMContentLoaded event end",
        True,
        True,
        waterfall_mark=True,
        short_label="DCL",
        attribution=CRITICAL_PATH,
        har_timing="onContentLoad",
    ),
    Metric(
        "load",
        "Load",
        MS,
        "Load event start",
        True,
        True,
        True,
        gated=True,
        waterfall_mark=True,
        har_timing="onLoad",
    ),
    Metric("fully_loaded", "Fully loaded", MS, "End of the last request", True, True),
    Metric("requests", "Requests", COUNT, "Requests the run made", True, True, True),
    Metric(
        "transfer_bytes", "Transfer", BYTES, "Bytes on the wire", True, True, True, summary=True
    ),
    Metric("body_bytes", "Body bytes", BYTES, "Decoded response bodies", graphite=True),
    Metric(
        "first_party_requests",
        "First-party requests",
        COUNT,
        "Requests to first parties",
        party="first",
    ),
    Metric(
        "first_party_bytes", "First-party bytes", BYTES, "First-party transfer", True, party="first"
    ),
    Metric(
        "third_party_bytes",
        "Third-party bytes",
        BYTES,
        "Third-party transfer",
        True,
        summary=True,
        party="third",
    ),
    Metric(
        "third_party_requests",
        "Third-party requests",
        COUNT,
        "Third-party requests",
        True,
        party="third",
    ),
    Metric(
        "third_party_blocking_ms",
        "Third-party blocking",
        MS,
        "Main-thread blocking time attributed to third-party scripts",
        True,
        party="third",
    ),
)

# The page's own CPU and memory, from the browser's performance counters (Chromium's
# Performance.getMetrics): absent, never 0, where a browser cannot give them. Per measured
# step too: the durations are the step's share, heap and nodes the values as it ended.
CPU: tuple[Metric, ...] = (
    Metric(
        "cpu.js_heap_used_bytes",
        "JS heap used",
        BYTES,
        "JavaScript heap in use at the end",
        graphite=True,
        short_label="Heap used",
        attribution=NOTHING,
    ),
    Metric(
        "cpu.js_heap_total_bytes",
        "JS heap total",
        BYTES,
        "JavaScript heap reserved at the end",
        graphite=True,
        short_label="Heap total",
        attribution=NOTHING,
    ),
    Metric(
        "cpu.script_ms",
        "Script time",
        MS,
        "Time the main thread spent running script",
        graphite=True,
        attribution=MAIN_THREAD,
    ),
    Metric(
        "cpu.layout_ms",
        "Layout time",
        MS,
        "Time spent in layout",
        graphite=True,
        attribution=MAIN_THREAD,
    ),
    Metric(
        "cpu.style_ms",
        "Style time",
        MS,
        "Time spent recalculating styles",
        graphite=True,
        attribution=MAIN_THREAD,
    ),
    Metric(
        "cpu.task_ms",
        "Task time",
        MS,
        "Time the browser's main thread was busy",
        graphite=True,
        attribution=MAIN_THREAD,
    ),
    Metric(
        "cpu.dom_nodes",
        "DOM nodes",
        COUNT,
        "DOM nodes alive at the end",
        graphite=True,
        attribution=NOTHING,
    ),
)
# Visual progress, from the run's filmstrip (core.visual): absent, never 0, when the scenario
# captures none or the run could not measure them (the reason in ``metric_errors``).
VISUAL: tuple[Metric, ...] = (
    Metric(
        "first_visual_change",
        "First visual change",
        MS,
        "First frame that differs from the start",
        graphite=True,
        short_label="First change",
        attribution=CRITICAL_PATH,
    ),
    Metric(
        "speed_index",
        "Speed Index",
        MS,
        "How soon the viewport was painted: the area above its visual progress",
        True,
        True,
        True,
    ),
    Metric(
        "visually_complete_85",
        "Visually complete 85%",
        MS,
        "First frame at least 85% like the final one",
        graphite=True,
        short_label="VC 85%",
    ),
    Metric(
        "visually_complete_99",
        "Visually complete 99%",
        MS,
        "First frame at least 99% like the final one",
        graphite=True,
        short_label="VC 99%",
    ),
    Metric(
        "last_visual_change",
        "Last visual change",
        MS,
        "Last frame that changed the picture",
        graphite=True,
        short_label="Last change",
    ),
)
PAGE = PAGE + CPU + VISUAL

# The fields of a party, host, entity or content class (the result document's totals).
TOTALS: tuple[Metric, ...] = (
    Metric("requests", "Requests", COUNT, graphite=True, cost=True),
    Metric("failed", "Failed requests", COUNT),
    Metric("transfer_bytes", "Transfer", BYTES, graphite=True, cost=True),
    Metric("body_bytes", "Body bytes", BYTES, graphite=True),
    Metric("time_ms", "Request time", MS, "Summed request durations", graphite=True, cost=True),
    Metric(
        "blocking_ms",
        "Blocking",
        MS,
        "Main-thread blocking by its scripts",
        graphite=True,
        cost=True,
    ),
)
_COST = tuple(f.name for f in TOTALS if f.cost)

STEP_FIELDS: tuple[Metric, ...] = (
    Metric("duration_ms", "Duration", MS, "A measured step's duration", graphite=True),
    Metric("started_ms", "Start", MS, "When the measured step started"),
)

PARTY = Family(
    "party",
    "Party",
    "parties",
    "party",
    TOTALS,
    (("first", "First-party"), ("third", "Third-party")),
    reported=_COST,
)
HOST = Family("host", "Host", "hosts", "domain", TOTALS)
ENTITY = Family("entity", "Entity", "entities", "entity", TOTALS, reported=_COST)
# A comparison report gives a content class a row for its bytes only.
CONTENT_CLASS = Family(
    "type", "Content class", "content_classes", "type", TOTALS, reported=("transfer_bytes",)
)
STEP = Family("step", "Step", "steps", "step", STEP_FIELDS)
# Each actor's own page metrics in a run of a script with actors: ``actor.<actor>.<metric>``
# (``actor.operator.lcp``, ``actor.visitor.cpu.script_ms``), an actor's name being one word.
ACTOR = Family("actor", "Actor", "actors", "actor", PAGE, named=True)

# Families whose members the page or the script names: values are flat keys of ``metrics``.
NAMED_FAMILIES: tuple[Family, ...] = (USER, REQUEST, CUSTOM, WEBSOCKET, BACKEND, ACTOR)
FAMILIES: tuple[Family, ...] = (PARTY, HOST, ENTITY, CONTENT_CLASS, STEP, *NAMED_FAMILIES)
TOTALS_FAMILIES: tuple[Family, ...] = (PARTY, CONTENT_CLASS, ENTITY, HOST)
