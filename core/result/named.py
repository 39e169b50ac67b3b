"""The named metrics of a run (docs/result-document.md, "Named metrics"): the page's user
timings, the scenario's named requests and JavaScript values, and the page's CPU and memory
counters, for the whole run and for each measured step. Pure.

Every time here is in ms from the run's first navigation start. A metric that could not be
measured is absent, never 0; for the whole run, the reason goes to ``metric_errors``. A
step's metrics are those of its window: user timings made in it, named requests started in
it, ``evaluate`` steps done in it, WebSocket frames sent or received in it
(core.result.sockets), and the counters' change from its start to its end.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.metrics import CPU, REQUEST, clean_name
from core.result.sockets import Socket, socket_metrics
from core.result.text import without_nul
from core.result.validate import FLOAT_MAX
from core.script.declarations import request_matches

Json = dict[str, Any]
Window = tuple[float, float]  # a measured step's start and end
MAX_USER_NAMES = 100  # user.* metrics per run: a page marking in a loop cannot flood a run
MAX_TEXT = 200  # characters kept of a page's own text (a mark's name, an exception)

# DevTools performance counters (agents.page_counters): the value as the window ended …
LEVELS = {
    "JSHeapUsedSize": "cpu.js_heap_used_bytes",
    "JSHeapTotalSize": "cpu.js_heap_total_bytes",
    "Nodes": "cpu.dom_nodes",
}
# … and the seconds spent over it.
DURATIONS = {
    "ScriptDuration": "cpu.script_ms",
    "LayoutDuration": "cpu.layout_ms",
    "RecalcStyleDuration": "cpu.style_ms",
    "TaskDuration": "cpu.task_ms",
}


def _r(value: float) -> float:
    return round(float(value), 1)


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _inside(window: Window | None, t: float) -> bool:
    return window is None or window[0] <= t <= window[1]


@dataclass(frozen=True)
class UserTiming:
    """One mark or measure the page made.

    ``document`` is its ``user_timings`` entry; ``metric`` the ``user.*`` name it would give
    (None when its name cleans to nothing); ``value`` a mark's time from its document's
    start or a measure's duration (None when negative); ``made`` when it was made (a mark's
    time, a measure's end).
    """

    document: Json
    metric: str | None
    value: float | None
    made: float
    start: float  # ms from the run's start, unrounded: the order timings are listed in


def read_user_timings(snapshots: Sequence[Mapping[str, Any]], base: float) -> list[UserTiming]:
    """The user timings of the collector's ``snapshots`` (one per document, in order; ``base``
    the epoch ms of the run's start) in the order they start, a mark before a measure
    starting with it (the browser delivers them sorted by start, not as they were made).
    The document's ``metric`` of each is None until :func:`user_metrics` picks the winners."""
    timings = []
    for page, snap in enumerate(snapshots):
        page_start = float(snap.get("timeOrigin") or 0.0) - base if base else 0.0
        for raw in snap.get("userTimings") or []:
            kind, start, duration = raw.get("entryType"), raw.get("startTime"), raw.get("duration")
            if kind not in ("mark", "measure") or not (_finite(start) and _finite(duration)):
                continue
            name = without_nul(str(raw.get("name", "")))[:MAX_TEXT]
            clean = clean_name(name)
            value = float(start if kind == "mark" else duration)
            document = {
                "name": name,
                "metric": None,
                "type": kind,
                "page": page,
                "started_ms": _r(page_start + start),
                "duration_ms": _r(duration),
            }
            made = page_start + start + max(float(duration), 0.0)
            metric = f"user.{clean}" if clean else None
            usable = value if value >= 0 else None
            timings.append(UserTiming(document, metric, usable, made, page_start + start))
    return sorted(timings, key=lambda t: (t.start, t.document["type"] != "mark"))


def user_metrics(timings: Sequence[UserTiming], window: Window | None = None) -> Json:
    """``user.*`` of the run (marking each winner's ``metric`` in its document entry), or of
    the timings made in ``window`` among the run's names: the earliest of a name wins, at
    most MAX_USER_NAMES names."""
    metrics: Json = {}
    run_names = {t.document["metric"] for t in timings if t.document["metric"]}
    for timing in timings:
        if timing.metric is None or timing.value is None or timing.metric in metrics:
            continue
        if window is None:
            if len(metrics) >= MAX_USER_NAMES:
                continue
            timing.document["metric"] = timing.metric
        elif timing.metric not in run_names or not _inside(window, timing.made):
            continue
        metrics[timing.metric] = _r(timing.value)
    return metrics


def request_metrics(
    records: Sequence[Mapping[str, Any]],
    declarations: Sequence[Mapping[str, Any]],
    window: Window | None = None,
) -> tuple[Json, dict[str, str]]:
    """``request.<name>.*`` from the analysed requests (the document's ``requests``, in start
    order) that match each ``request_metric`` declaration (and started in ``window``), with
    the run's reasons for absent ones: duration and TTFB of the first match (TTFB: its
    timings before the body), transfer bytes, count and failures (no response or HTTP >=
    400) of all."""
    metrics: Json = {}
    errors: dict[str, str] = {}
    for decl in declarations:
        prefix = f"request.{decl['name']}."
        matched = [
            r
            for r in records
            if request_matches(decl, str(r.get("method", "")), str(r.get("url", "")))
            and _inside(window, float(r.get("started_ms", 0.0)))
        ]
        if not matched:
            if window is None:
                what = f"{decl.get('method') or ''} {decl['pattern']}".strip()
                errors.update(
                    {prefix + f: f"no request matched {what}" for f in REQUEST.field_names()}
                )
            continue
        first = matched[0]
        if int(first.get("status") or 0) > 0:
            duration = float(first.get("duration_ms") or 0.0)
            receive = float((first.get("timings") or {}).get("receive") or 0.0)
            metrics[prefix + "duration_ms"] = _r(duration)
            metrics[prefix + "ttfb_ms"] = _r(max(duration - receive, 0.0))
        elif window is None:
            reason = f"the first matching request got no response: {first.get('error') or 'failed'}"
            errors.update({prefix + "duration_ms": reason, prefix + "ttfb_ms": reason})
        metrics[prefix + "transfer_bytes"] = sum(int(r.get("transfer_bytes") or 0) for r in matched)
        metrics[prefix + "count"] = len(matched)
        metrics[prefix + "failed"] = sum(
            1 for r in matched if r.get("failed") or int(r.get("status") or 0) >= 400
        )
    return metrics, errors


def value_metrics(
    values: Sequence[Mapping[str, Any]], base: float, window: Window | None = None
) -> tuple[Json, dict[str, str]]:
    """``custom.*`` from the ``evaluate`` steps' ``{"name", "t", "value" | "error"}`` (``t``
    epoch ms) done in ``window`` (the whole run: None), with the reasons for absent ones: an
    error, or a value that is not a finite number within the document's bounds."""
    metrics: Json = {}
    errors: dict[str, str] = {}
    for found in values:
        name = f"custom.{found['name']}"
        if name in metrics or name in errors or not _inside(window, float(found["t"]) - base):
            continue
        value: Any = found.get("value")
        if "value" not in found:
            errors[name] = without_nul(str(found.get("error") or "no value"))[:MAX_TEXT]
        elif not _finite(value):
            errors[name] = f"not a finite number: {value!r}"[:MAX_TEXT]
        elif abs(value) > FLOAT_MAX:
            errors[name] = f"out of range (beyond ±{FLOAT_MAX:g}): {value!r}"
        else:
            metrics[name] = value
    return metrics, errors


def cpu_metrics(
    counters: Mapping[str, Any] | None, base: float, window: Window | None = None
) -> tuple[Json, dict[str, str]]:
    """``cpu.*`` from the performance counters' samples (agents.page_counters: ``at``, epoch
    ms ``t``, DevTools counters), with the run's reasons for absent ones; nothing at all
    (no reasons either) when ``counters`` is None: none were to be read (an imported HAR).

    Over the run: from the first sample to the one taken as the run ended (``at`` ``end``).
    Over ``window``: from the sample taken at its start to the one at its end (exactly its
    times). Durations sum the counters' increases, a counter that went down having started
    again (a new renderer process after a navigation); heap and nodes are the last sample's.
    """
    if counters is None:
        return {}, {}
    samples = list(counters.get("samples") or [])
    if window is None:
        ends = [i for i, s in enumerate(samples) if s.get("at") == "end"]
        span = samples[: ends[-1] + 1] if ends else []
        if not span:
            reason = str(counters.get("error") or "no performance counters as the run ended")
            return {}, {m.name: reason for m in CPU}
    else:
        span = [s for s in samples if _inside(window, float(s["t"]) - base)]
        edges = (float(span[0]["t"]) - base, float(span[-1]["t"]) - base) if span else None
        if edges is None or not (
            math.isclose(edges[0], window[0], abs_tol=1e-3)
            and math.isclose(edges[1], window[1], abs_tol=1e-3)
        ):
            return {}, {}
    metrics: Json = {}
    for counter, name in LEVELS.items():
        if _finite(span[-1].get(counter)):
            metrics[name] = int(span[-1][counter])
    for counter, name in DURATIONS.items():
        readings = [s.get(counter) for s in span]
        if all(_finite(x) for x in readings):
            spent = sum(
                b - a if b >= a else b for a, b in zip(readings, readings[1:], strict=False)
            )
            metrics[name] = _r(spent * 1000)
    return metrics, {}


@dataclass
class NamedMetrics:
    """What :func:`named_metrics` adds to the result document."""

    metrics: Json  # the run's, for ``metrics``
    errors: dict[str, str]  # ``metric_errors``
    user_timings: list[Json]  # ``user_timings``
    steps: list[Json]  # each window's, for ``steps[].metrics``


def named_metrics(
    *,
    setup: Mapping[str, Any],
    snapshots: Sequence[Mapping[str, Any]],
    base: float,
    records: Sequence[Mapping[str, Any]],
    sockets: Sequence[Socket],
    counters: Mapping[str, Any] | None,
    values: Sequence[Mapping[str, Any]],
    windows: Sequence[Window],
) -> NamedMetrics:
    """The named metrics of the run and of each measured step's ``windows``.

    ``setup`` is the spec's (its ``requests`` and ``websockets`` declarations), ``snapshots``
    the measured documents' collector snapshots, ``base`` the epoch ms of the run's start,
    ``records`` the analysed requests, ``sockets`` core.result.sockets.read_sockets',
    ``counters`` agents.page_counters' report (None: none read) and ``values`` the evaluate
    steps'.
    """
    requests = list(setup.get("requests") or [])
    websockets = list(setup.get("websockets") or [])
    timings = read_user_timings(snapshots, base)

    def measure(window: Window | None) -> tuple[Json, dict[str, str]]:
        metrics = user_metrics(timings, window)
        errors: dict[str, str] = {}
        for part, reasons in (
            request_metrics(records, requests, window),
            value_metrics(values, base, window),
            cpu_metrics(counters, base, window),
            socket_metrics(sockets, websockets, window),
        ):
            metrics.update(part)
            errors.update(reasons)
        return metrics, errors

    run, errors = measure(None)
    return NamedMetrics(
        metrics=run,
        errors=errors,
        user_timings=[t.document for t in timings],
        steps=[measure(window)[0] for window in windows],
    )
