"""Assemble the result document from what one measurement collected. Pure."""

from collections.abc import Mapping, Sequence
from typing import Any

from core.har.analyse import analyse_entries, attribute_blocking, summarise
from core.metrics import VISUAL
from core.profiles import recorded
from core.result.absent import leave_out
from core.result.named import named_metrics
from core.result.sockets import read_sockets, socket_documents
from core.result.text import without_nul
from core.visual.filmstrip import Filmstrip

Json = dict[str, Any]
SCHEMA = 1


def _r(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def page_timings(snapshot: Mapping[str, Any], blocking: Mapping[str, float]) -> Json:
    """Timing metrics of one document from its collector snapshot (ms from its timeOrigin)."""
    nav = snapshot.get("nav") or {}
    lcp = snapshot.get("lcp") or {}

    def span(end: str, start: str) -> float | None:
        if not nav or nav.get(end) is None or nav.get(start) is None:
            return None
        return _r(max(nav[end] - nav[start], 0.0))

    return {
        "dns": span("domainLookupEnd", "domainLookupStart"),
        "connect": span("connectEnd", "connectStart"),
        "ttfb": _r(nav.get("responseStart")) if nav else None,
        "fcp": _r(snapshot.get("fcp")),
        "lcp": _r(lcp.get("t")),
        "cls": snapshot.get("cls"),
        "tbt": _r(sum(blocking.values())),
        "dom_content_loaded": _r(nav.get("domContentLoadedEventEnd")) if nav else None,
        "load": _r(nav.get("loadEventStart")) if nav and nav.get("loadEventStart") else None,
    }


def measured(snapshots: Sequence[Json]) -> list[Json]:
    """The snapshots of the documents a run measures: http(s) ones, in order.

    A browser error page (chrome-error://…, about:neterror) is not the site: its timings
    would pass for the site's.
    """
    return [s for s in snapshots if str(s.get("url") or "").startswith(("http:", "https:"))]


def first_document(snapshots: Sequence[Json]) -> Json | None:
    """The collector's snapshot of the first measured document (whose navigation start every
    time of the result counts from), None when no document was measured."""
    found = measured(snapshots)
    return found[0] if found else None


def _visual(filmstrip: Filmstrip) -> tuple[Json, dict[str, str]]:
    """The visual metrics of ``filmstrip`` and, when it has none, the reason for each."""
    if filmstrip.error is not None:
        return {}, {m.name: filmstrip.error for m in VISUAL}
    return dict(filmstrip.metrics), {}


def build_result(
    *,
    spec: Mapping[str, Any],
    status: str,
    error: str | None,
    started_at: str,
    finished_at: str,
    browser_version: str,
    har: Mapping[str, Any] | None,
    snapshots: Sequence[Json],
    wire: Sequence[Json] = (),
    ws_events: Sequence[Json] = (),
    marks: Sequence[Json] = (),
    actions: Sequence[Json] = (),
    counters: Mapping[str, Any] | None = None,
    values: Sequence[Json] = (),
    filmstrip: Filmstrip | None = None,
    browser: str = "chromium",
    unavailable: Mapping[str, str] | None = None,
) -> Json:
    """The result document (docs/result-document.md) for one measurement.

    ``snapshots`` are the collector's final snapshot of every document, in order; page
    metrics come from the first. Request and byte counts cover everything the run loaded.
    ``marks`` are ``{"name", "start", "end"}`` epoch-ms pairs of measured steps; ``actions``
    the executed steps with epoch-ms ``start``/``end``. ``ws_events`` are the collector's
    socket events; ``counters`` the page's performance counters (agents.page_counters'
    report; None: not read) and ``values`` the ``evaluate`` steps' results, from which, with
    the spec's declarations, come the named metrics (core.result.named). ``filmstrip`` (the
    scenario captures one) gives the visual metrics, or the reason for each in
    ``metric_errors``, and the document's ``filmstrip``.
    """
    snapshots = measured(snapshots)
    first = snapshots[0] if snapshots else {}
    origin = float(first.get("timeOrigin") or 0.0) or None
    resources = [r for snap in snapshots for r in snap.get("resources", [])]
    records = analyse_entries(
        har or {},
        page_url=str(spec.get("url", "")),
        first_party=list(spec.get("first_party") or []),
        time_origin=origin,
        nav=first.get("nav"),
        wire=wire,
        resources=resources,
    )
    blocking_all: dict[str, float] = {}
    pages = []
    for index, snap in enumerate(snapshots):
        fcp = snap.get("fcp")
        blocking = attribute_blocking(snap.get("longTasks", []), snap.get("scripts", []), fcp)
        for url, ms in blocking.items():
            blocking_all[url] = blocking_all.get(url, 0.0) + ms
        started = _r(float(snap.get("timeOrigin", 0.0)) - origin) if origin else 0.0
        pages.append(
            {"url": snap.get("url"), "started_ms": started, "metrics": page_timings(snap, blocking)}
        )
        if index == 0:
            first_blocking = blocking
    groups = summarise(records, blocking_all)
    metrics: Json = dict(page_timings(first, first_blocking) if snapshots else {})
    if not metrics:  # no document was measured: every page timing is unknown, not zero
        metrics = dict.fromkeys(page_timings({}, {}))
    ends = [r["started_ms"] + r["duration_ms"] for r in records if not r["failed"]]
    parties = groups["parties"]
    metrics.update(
        {
            "fully_loaded": (
                _r(max([*ends, metrics.get("load") or 0.0]))
                if ends and status == "succeeded"
                else None
            ),
            "requests": len(records),
            "transfer_bytes": sum(r["transfer_bytes"] for r in records),
            "body_bytes": sum(r["body_bytes"] for r in records),
            "first_party_requests": parties["first"]["requests"],
            "first_party_bytes": parties["first"]["transfer_bytes"],
            "third_party_requests": parties["third"]["requests"],
            "third_party_bytes": parties["third"]["transfer_bytes"],
            "third_party_blocking_ms": parties["third"]["blocking_ms"],
        }
    )
    long_tasks = [
        {"started_ms": _r(t["start"]), "duration_ms": _r(t["duration"])}
        for t in first.get("longTasks", [])
    ]
    base = origin or 0.0
    sockets = read_sockets(ws_events, base)
    setup = spec.get("setup") or {}
    named = named_metrics(
        setup=setup,
        snapshots=snapshots,
        base=base,
        records=records,
        sockets=sockets,
        counters=counters,
        values=values,
        windows=[(m["start"] - base, m["end"] - base) for m in marks],
    )
    metrics.update(named.metrics)
    visual, visual_errors = _visual(filmstrip) if filmstrip is not None else ({}, {})
    metrics.update(visual)
    document: Json = {
        "schema": SCHEMA,
        "scenario": spec.get("scenario"),
        "location": spec.get("location") or "",
        "browser": browser,
        "browser_version": browser_version,
        "profile": recorded(spec),
        "url": spec.get("url"),
        "started_at": started_at,
        "finished_at": finished_at,
        "status": status,
        "error": without_nul(error),
        "metrics": metrics,
        "lcp_element": without_nul((first.get("lcp") or {}).get("element")),
        "pages": pages,
        "steps": [
            {
                "name": m["name"],
                "started_ms": _r(m["start"] - base),
                "duration_ms": _r(m["end"] - m["start"]),
                "metrics": step_metrics,
            }
            for m, step_metrics in zip(marks, named.steps, strict=True)
        ],
        "user_timings": named.user_timings,
        "metric_errors": {**named.errors, **visual_errors},
        "actions": [
            {
                **{k: v for k, v in a.items() if k not in ("start", "end")},
                "started_ms": _r(a["start"] - base),
                "duration_ms": _r(a["end"] - a["start"]),
            }
            for a in actions
        ],
        "requests": records,
        **groups,
        "long_tasks": long_tasks,
        "websockets": socket_documents(sockets, list(setup.get("websockets") or [])),
    }
    if filmstrip is not None:
        document["filmstrip"] = filmstrip.document()
    if unavailable:
        leave_out(document, unavailable)
    return document


def unmeasured_result(
    spec: Mapping[str, Any], *, error: str, started_at: str, finished_at: str
) -> Json:
    """The result document of a run the agent could not measure or analyse at all.

    Status ``failed`` with ``error``; every metric is unknown (null), never zero, and there
    are no requests: nothing that was recorded can be trusted.
    """
    metrics: Json = dict.fromkeys(page_timings({}, {}))
    metrics.update(
        dict.fromkeys(
            (
                "fully_loaded",
                "requests",
                "transfer_bytes",
                "body_bytes",
                "first_party_requests",
                "first_party_bytes",
                "third_party_requests",
                "third_party_bytes",
                "third_party_blocking_ms",
            )
        )
    )
    return {
        "schema": SCHEMA,
        "scenario": spec.get("scenario"),
        "location": spec.get("location") or "",
        "browser": "chromium",
        "browser_version": "",
        "profile": recorded(spec),
        "url": spec.get("url"),
        "started_at": started_at,
        "finished_at": finished_at,
        "status": "failed",
        "error": without_nul(error),
        "metrics": metrics,
        "lcp_element": None,
        "pages": [],
        "steps": [],
        "user_timings": [],
        "metric_errors": {},
        "actions": [],
        "requests": [],
        "parties": {},
        "hosts": {},
        "entities": {},
        "content_classes": {},
        "long_tasks": [],
        "websockets": [],
    }
