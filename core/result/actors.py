"""The result document of a run with actors (docs/result-document.md, "Actors"), from each
actor's own document. Pure.

Each actor's part is built by core.result.build as a one-page run of that actor would be
(``core.spec.actor_spec``), every measured step's window included. Here they become one
document whose times all count from the run's start, the first actor's first navigation:

- page timings (``ttfb``, ``lcp``, ``cpu.*``, visual metrics …) are the first actor's, as a
  one-page run of it would give them; the run's counts (``RUN_TOTALS``) and its splits
  (parties, hosts, entities, content classes) cover every actor's requests, like
  ``requests``, ``pages``, ``actions`` and ``websockets``, whose items carry their ``actor``;
- every actor's own page metrics are flat metrics too, ``actor.<name>.<metric>``, and its
  own part is in ``actors`` (its metrics, splits, pages and long tasks);
- named metrics are the run's (each declared for one actor; a user timing's name the first
  actor's page gave wins), and a measured step carries ``actors``: who started it, and on
  whose page it stopped.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.metrics import ACTOR, TOTALS_FAMILIES, page_names

Json = dict[str, Any]

RUN_TOTALS = (
    "requests",
    "transfer_bytes",
    "body_bytes",
    "first_party_requests",
    "first_party_bytes",
    "third_party_requests",
    "third_party_bytes",
    "third_party_blocking_ms",
)
"""Page metrics that count what the run loaded: the whole run's at the top of the document."""
_PAGE = frozenset(page_names())
# Where each run total comes from in the merged parties: (party or None for both, field).
_FROM_PARTIES = {
    "requests": (None, "requests"),
    "transfer_bytes": (None, "transfer_bytes"),
    "body_bytes": (None, "body_bytes"),
    "first_party_requests": ("first", "requests"),
    "first_party_bytes": ("first", "transfer_bytes"),
    "third_party_requests": ("third", "requests"),
    "third_party_bytes": ("third", "transfer_bytes"),
    "third_party_blocking_ms": ("third", "blocking_ms"),
}


@dataclass(frozen=True)
class ActorPart:
    """One actor's share of the run: its name, first page, its document (core.result.build,
    times from its own first navigation) and that navigation's epoch ms (None: it measured
    no document)."""

    name: str
    url: str
    document: Mapping[str, Any]
    origin: float | None


def _r(value: float) -> float:
    return round(float(value), 1)


def _sum(values: Sequence[Any]) -> Any:
    """The sum of numbers; None (unknown) when any is None."""
    if any(v is None for v in values):
        return None
    total = sum(values)
    return _r(total) if isinstance(total, float) else total


def merge_totals(documents: Sequence[Mapping[str, Any]]) -> Json:
    """The parties, hosts, entities and content classes of several documents as one run's:
    each member's fields summed (unknown when one is), an entity's hosts joined, first party
    when any document counted it so."""
    merged: Json = {}
    for family in TOTALS_FAMILIES:
        key = family.document_key
        members: dict[str, list[Mapping[str, Any]]] = {}
        for document in documents:
            for name, totals in (document.get(key) or {}).items():
                if isinstance(totals, Mapping):
                    members.setdefault(str(name), []).append(totals)
        out: Json = {}
        for name, rows in members.items():
            row: Json = {f.name: _sum([r.get(f.name, 0) for r in rows]) for f in family.fields}
            parties = [r.get("party") for r in rows if r.get("party")]
            if parties:
                row["party"] = "first" if "first" in parties else parties[0]
            if any("entity" in r for r in rows):
                row["entity"] = next((r["entity"] for r in rows if r.get("entity")), "")
            if any("hosts" in r for r in rows):
                row["hosts"] = list(dict.fromkeys(h for r in rows for h in r.get("hosts") or []))
            out[name] = row
        merged[key] = out
    return merged


def _shifted(items: Any, offset: float, actor: str, keys: Sequence[str]) -> list[Json]:
    """``items`` (objects) with ``actor`` and each time of ``keys`` moved by ``offset``."""
    found = []
    for item in items or []:
        if not isinstance(item, Mapping):
            continue
        moved = {**item, "actor": actor}
        for key in keys:
            if isinstance(moved.get(key), int | float):
                moved[key] = _r(moved[key] + offset)
        found.append(moved)
    return found


def _socket(sock: Mapping[str, Any], offset: float, actor: str) -> Json:
    moved = _shifted([sock], offset, actor, ("created_ms", "opened_ms", "closed_ms"))[0]
    moved["frames"] = [
        {k: v for k, v in f.items() if k != "actor"}
        for f in _shifted(sock.get("frames"), offset, actor, ("t_ms",))
    ]
    return moved


def combine(
    parts: Sequence[ActorPart],
    marks: Sequence[Mapping[str, Any]],
    *,
    status: str,
    error: str | None,
) -> Json:
    """The run's document from its actors' ``parts`` (declaration order: the first is the
    run's lead) and its measured steps' ``marks`` (``name``, epoch-ms ``start`` and ``end``,
    ``actor`` who started it, ``stop_actor`` on whose page it stopped), in the order each
    part's ``steps`` lists them. ``status`` and ``error`` are the run's."""
    lead = parts[0].document
    origins = [p.origin for p in parts if p.origin is not None]
    base = parts[0].origin if parts[0].origin is not None else min(origins, default=0.0)
    offsets = [(p.origin - base) if p.origin is not None else 0.0 for p in parts]
    totals = merge_totals([p.document for p in parts])
    metrics: Json = {k: v for k, v in (lead.get("metrics") or {}).items() if k in _PAGE}
    for name, (party, field) in _FROM_PARTIES.items():
        rows = [totals["parties"].get(p) or {} for p in ([party] if party else ["first", "third"])]
        metrics[name] = _sum([row.get(field, 0) for row in rows])
    errors: Json = {k: v for k, v in (lead.get("metric_errors") or {}).items() if k in _PAGE}
    actors: list[Json] = []
    pages: list[Json] = []
    timings: list[Json] = []
    requests: list[Json] = []
    actions: list[Json] = []
    sockets: list[Json] = []
    for part, offset in zip(parts, offsets, strict=True):
        doc = part.document
        own = doc.get("metrics") or {}
        for name, value in own.items():
            if name not in _PAGE:
                metrics.setdefault(name, value)  # a named metric: the run's own
            elif value is not None:
                metrics[f"{ACTOR.prefix}.{part.name}.{name}"] = value
        for name, reason in (doc.get("metric_errors") or {}).items():
            key = f"{ACTOR.prefix}.{part.name}.{name}" if name in _PAGE else name
            errors.setdefault(key, reason)
        first_page = len(pages)
        own_pages = _shifted(doc.get("pages"), offset, part.name, ("started_ms",))
        pages += own_pages
        for timing in _shifted(doc.get("user_timings"), offset, part.name, ("started_ms",)):
            if isinstance(timing.get("page"), int):
                timing["page"] += first_page
            timings.append(timing)
        requests += _shifted(doc.get("requests"), offset, part.name, ("started_ms",))
        actions += _shifted(doc.get("actions"), offset, part.name, ("started_ms",))
        sockets += [_socket(s, offset, part.name) for s in doc.get("websockets") or []]
        actors.append(
            {
                "name": part.name,
                "url": part.url,
                "started_ms": _r(offset),
                "metrics": {k: v for k, v in own.items() if k in _PAGE},
                "metric_errors": {
                    k: v for k, v in (doc.get("metric_errors") or {}).items() if k in _PAGE
                },
                "lcp_element": doc.get("lcp_element"),
                "pages": [{k: v for k, v in p.items() if k != "actor"} for p in own_pages],
                **{f.document_key: doc.get(f.document_key) or {} for f in TOTALS_FAMILIES},
                "long_tasks": [
                    {k: v for k, v in t.items() if k != "actor"}
                    for t in _shifted(doc.get("long_tasks"), offset, part.name, ("started_ms",))
                ],
            }
        )
    document: Json = {
        **lead,
        "url": parts[0].url,
        "status": status,
        "error": error,
        "metrics": metrics,
        "metric_errors": errors,
        "pages": pages,
        "steps": _steps(parts, marks, base),
        "user_timings": timings,
        "actions": sorted(actions, key=lambda a: a.get("started_ms") or 0.0),
        "requests": sorted(requests, key=lambda r: r.get("started_ms") or 0.0),
        **totals,
        "long_tasks": actors[0]["long_tasks"],
        "websockets": sockets,
        "actors": actors,
    }
    return document


def _steps(
    parts: Sequence[ActorPart], marks: Sequence[Mapping[str, Any]], base: float
) -> list[Json]:
    """Each measured step on the run's time axis, with its own metrics from every actor's
    part (the first actor's first, for a name two give) and who started and stopped it."""
    steps = []
    for index, mark in enumerate(marks):
        own: Json = {}
        for part in parts:
            listed = part.document.get("steps") or []
            if index < len(listed):
                for name, value in (listed[index].get("metrics") or {}).items():
                    own.setdefault(name, value)
        steps.append(
            {
                "name": mark["name"],
                "started_ms": _r(mark["start"] - base),
                "duration_ms": _r(mark["end"] - mark["start"]),
                "metrics": own,
                "actors": [mark["actor"], mark.get("stop_actor") or mark["actor"]],
            }
        )
    return steps
