"""Why did a page metric change? Rank hosts and entities by how their contribution changed.

Pure functions over result documents (docs/result-document.md). For one metric, each run's
requests are reduced to contributions:

- a timing: the duration of the requests its registry ``Attribution`` names, started before
  the metric's moment in that run — every request (``load``, ``fully_loaded`` …), only the
  render-blocking ones (the critical path to a paint: ``fcp``, ``dom_content_loaded``,
  ``ttfb``; ``lcp`` also counts its image or font), or none (``tbt``) — plus the host's
  blocking time (long tasks) when the rule says so;
- byte metrics: transfer bytes; request counts: one per request (the unit is the metric's in
  the registry, ``core.metrics``; a name it does not know is a timing of the whole load);
- a named request (``request.<name>.<field>``, the rule ``named``): only the requests its
  declaration (``requests``: the scenario's ``request_metric`` declarations) matches, for a
  time the first of them (its duration, or its time to first byte), for bytes, counts and
  failures every one (failures counting one each);
- a metric of a measured step (``step.<step>.…``): only the requests started during that
  step in each run (its blocking time stays the whole run's).

Requests are matched across runs by (host, path without query, resource type, occurrence),
so a cache-busting query does not make a request "new". For every request key and host the
median contribution over base runs is compared with the median over branch runs; a key seen
in at most half the runs of one side and more than half of the other "appeared" or
"disappeared". Hosts are ranked by the change of their summed contribution, entities by
the sum over their hosts.
"""

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from core.metrics import (
    BYTES,
    COUNT,
    MS,
    REQUEST,
    STEP,
    Unit,
    UnknownMetric,
    attribution_of,
    format_in,
    label_of,
    split_name,
    unit_of,
)
from core.script.declarations import request_matches
from core.stats.budgets import metric_values

Json = Mapping[str, Any]
Key = tuple[str, str, str, int]

TOP = 5


@dataclass
class Contributor:
    """One host or entity whose contribution to the metric changed."""

    name: str
    entity: str
    party: str
    change: float  # branch median - base median of the summed contribution
    base: float
    branch: float
    detail: str  # the biggest single change, e.g. "render-blocking script +400 ms"
    appeared: list[str] = field(default_factory=list)
    disappeared: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "entity": self.entity,
            "party": self.party,
            "change": round(self.change, 1),
            "base": round(self.base, 1),
            "branch": round(self.branch, 1),
            "detail": self.detail,
            "appeared": self.appeared,
            "disappeared": self.disappeared,
        }


def _fmt(value: float, unit: Unit) -> str:
    """A change in ``unit``: ``+400 ms``, ``-1.2 kB``, ``+2``."""
    return format_in(unit, value, signed=True)


def _kind(request: Json) -> str:
    what = request.get("resource_type") or request.get("content_class") or "request"
    what = {"stylesheet": "stylesheet", "script": "script", "document": "document"}.get(
        str(what), str(what)
    )
    return f"render-blocking {what}" if request.get("render_blocking") else str(what)


def _keyed(requests: Sequence[Json]) -> dict[Key, Json]:
    """Requests of one run by match key: (host, path, resource type, occurrence)."""
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    keyed: dict[Key, Json] = {}
    for request in sorted(requests, key=lambda r: float(r.get("started_ms") or 0.0)):
        base = (
            str(request.get("host", "")),
            urlsplit(str(request.get("url", ""))).path,
            str(request.get("resource_type", "")),
        )
        keyed[(*base, seen[base])] = request
        seen[base] += 1
    return keyed


def _moment(result: Json, metric: str) -> float | None:
    """A page metric's moment in the run: only requests started before it count."""
    value = (result.get("metrics") or {}).get(metric)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class _Scope:
    """Which requests of one run a metric is made of, beyond its registry rule."""

    moment: float | None = None  # requests started from then on do not count
    window: tuple[float, float] | None = None  # a step's: only requests started within
    declaration: Json | None = None  # a named request's declaration
    first: Key | None = None  # the first request the declaration matches (in the window)


def _parts(metric: str) -> tuple[str, str]:
    """(the step a metric belongs to or "", the named request it names or "")."""
    try:
        parts = split_name(metric)
    except UnknownMetric:
        return "", ""
    step = ""
    if parts is not None and parts[0] is STEP:
        step = parts[1]
        inner = parts[2].name
        try:
            parts = split_name(inner) if inner not in STEP.field_names() else None
        except UnknownMetric:
            parts = None
    return step, parts[1] if parts is not None and parts[0] is REQUEST else ""


def _window(result: Json, step: str) -> tuple[float, float]:
    """The first step called ``step``: from its start to its end; empty when absent."""
    for member, fields in STEP.members(result):
        start, duration = fields.get("started_ms"), fields.get("duration_ms")
        if member == step and isinstance(start, int | float) and isinstance(duration, int | float):
            return float(start), float(start) + float(duration)
    return 0.0, 0.0


def _declared(named: str, requests: Sequence[Json]) -> Json | None:
    """The declaration of named request ``named`` among ``requests``, None if none."""
    return next((d for d in requests if d.get("name") == named), None) if named else None


def _matches(declaration: Json | None, request: Json) -> bool:
    if declaration is None:
        return False
    method, url = str(request.get("method") or "GET"), str(request.get("url") or "")
    return request_matches(declaration, method, url)


def _scope(result: Json, keyed: dict[Key, Json], metric: str, requests: Sequence[Json]) -> _Scope:
    step, named = _parts(metric)
    window = _window(result, step) if step else None
    declaration = _declared(named, requests)
    first = next(  # keyed is in start order (_keyed)
        (k for k, r in keyed.items() if _within(r, window) and _matches(declaration, r)), None
    )
    return _Scope(_moment(result, metric), window, declaration, first)


def _within(request: Json, window: tuple[float, float] | None) -> bool:
    started = float(request.get("started_ms") or 0.0)
    return window is None or window[0] <= started < window[1]


def _named(request: Json, key: Key, metric: str, scope: _Scope) -> float:
    """A request's part in a named request's metric (see the module docstring)."""
    if not _matches(scope.declaration, request):
        return 0.0
    field = metric.rsplit(".", 1)[-1]
    if field == "transfer_bytes":
        return float(request.get("transfer_bytes") or 0)
    if field == "count":
        return 1.0
    if field == "failed":
        status = request.get("status")
        failed = request.get("failed") or (isinstance(status, int) and status >= 400)
        return 1.0 if failed else 0.0
    if key != scope.first:
        return 0.0
    duration = float(request.get("duration_ms") or 0.0)
    if field == "ttfb_ms":
        return duration - float((request.get("timings") or {}).get("receive") or 0.0)
    return duration


def _contribution(request: Json, key: Key, metric: str, scope: _Scope) -> float:
    if not _within(request, scope.window):
        return 0.0
    rule = attribution_of(metric)
    if rule.requests == "none":
        return 0.0
    if rule.requests == "named":
        return _named(request, key, metric, scope)
    unit = unit_of(metric)
    if unit is BYTES:
        return float(request.get("transfer_bytes") or 0)
    if unit is COUNT:
        return 1.0
    started = float(request.get("started_ms") or 0.0)
    moment = scope.moment
    if moment is not None and started >= moment:
        return 0.0
    if (
        rule.requests == "render_blocking"
        and not request.get("render_blocking")
        and request.get("resource_type") not in rule.resource_types
    ):
        return 0.0
    return float(request.get("duration_ms") or 0.0)


def _side(
    results: Sequence[Json], metric: str, requests: Sequence[Json] = ()
) -> tuple[dict[Key, list[float]], dict[Key, Json], dict[str, list[float]]]:
    """Per key: contribution in every run (0 when absent); a sample request; host blocking."""
    contributions: dict[Key, list[float]] = defaultdict(list)
    sample: dict[Key, Json] = {}
    presence: dict[Key, int] = defaultdict(int)
    blocking: dict[str, list[float]] = defaultdict(list)
    keyed_runs = [_keyed(r.get("requests") or []) for r in results]
    all_keys = {key for keyed in keyed_runs for key in keyed}
    all_hosts = {h for r in results for h in (r.get("hosts") or {})}
    for result, keyed in zip(results, keyed_runs, strict=True):
        scope = _scope(result, keyed, metric, requests)
        for key in all_keys:
            request = keyed.get(key)
            if request is None:
                contributions[key].append(0.0)
                continue
            presence[key] += 1
            sample.setdefault(key, request)
            contributions[key].append(_contribution(request, key, metric, scope))
        hosts = result.get("hosts") or {}
        for host in all_hosts:
            blocking[host].append(float((hosts.get(host) or {}).get("blocking_ms") or 0.0))
    for key in all_keys:
        sample[key] = {**sample[key], "_presence": presence[key] / max(len(results), 1)}
    return contributions, sample, blocking


def _median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def attribute(
    metric: str,
    base: Sequence[Json],
    branch: Sequence[Json],
    *,
    top: int = TOP,
    requests: Sequence[Json] = (),
) -> dict[str, Any]:
    """Rank hosts and entities by the change of their contribution to ``metric``.

    ``base`` and ``branch`` are result documents of succeeded runs; ``requests`` the
    scenario's named request declarations (``name``, ``method`` or None, ``pattern``: the
    spec's ``setup.requests``), which a ``request.<name>.*`` metric needs. Returns
    ``{"metric", "change", "hosts": [...], "entities": [...], "message", "request"}`` where
    ``change`` is the change of the metric's median, hosts/entities are
    :meth:`Contributor.as_dict` sorted by change in the metric's direction (largest first),
    at most ``top`` of each, ``message`` reads like "LCP +420 ms — ads.example.com:
    render-blocking script +400 ms", and ``request`` is the declaration of the named request
    the metric is about (None for any other metric, or when it is not declared).
    """
    unit = unit_of(metric)
    base_values = [v for r in base if (v := metric_values(r).get(metric)) is not None]
    branch_values = [v for r in branch if (v := metric_values(r).get(metric)) is not None]
    change = _median(branch_values) - _median(base_values)
    direction = 1.0 if change >= 0 else -1.0
    named = _parts(metric)[1]
    declaration = _declared(named, requests)
    b_contrib, b_sample, b_block = _side(base, metric, requests)
    n_contrib, n_sample, n_block = _side(branch, metric, requests)
    keys = set(b_sample) | set(n_sample)
    hosts: dict[str, Contributor] = {}
    best: dict[str, float] = {}
    for key in keys:
        sample = n_sample.get(key) or b_sample[key]
        host = key[0]
        before = _median(b_contrib.get(key, [0.0] * len(base)))
        after = _median(n_contrib.get(key, [0.0] * len(branch)))
        in_base = b_sample.get(key, {}).get("_presence", 0.0)
        in_branch = n_sample.get(key, {}).get("_presence", 0.0)
        entry = hosts.setdefault(
            host,
            Contributor(
                host, str(sample.get("entity", "")), str(sample.get("party", "")), 0.0, 0.0, 0.0, ""
            ),
        )
        entry.base += before
        entry.branch += after
        label = f"{_kind(sample)} {key[1] or '/'}"
        what = _kind(sample)
        if declaration is not None:  # the request by its name: "create_chat POST /api/chats"
            what = label = f"{named} {sample.get('method') or 'GET'} {key[1] or '/'}"
        if in_base <= 0.5 < in_branch:
            entry.appeared.append(label)
        elif in_branch <= 0.5 < in_base:
            entry.disappeared.append(label)
        delta = after - before
        if delta * direction > best.get(host, 0.0):
            best[host] = delta * direction
            status = (
                "appeared: "
                if in_base <= 0.5 < in_branch
                else "disappeared: "
                if in_branch <= 0.5 < in_base
                else ""
            )
            entry.detail = f"{status}{what} {_fmt(delta, unit)}"
    if unit is MS and attribution_of(metric).blocking:
        for host in set(b_block) | set(n_block):
            before = _median(b_block.get(host, []))
            after = _median(n_block.get(host, []))
            if host not in hosts or before == after:
                continue
            hosts[host].base += before
            hosts[host].branch += after
            if (after - before) * direction > best.get(host, 0.0):
                best[host] = (after - before) * direction
                hosts[host].detail = f"blocking time {_fmt(after - before, MS)}"
    for entry in hosts.values():
        entry.change = entry.branch - entry.base
    ranked = sorted(
        (h for h in hosts.values() if h.change * direction > 0), key=lambda h: -h.change * direction
    )
    entities: dict[str, Contributor] = {}
    for entry in ranked:
        ent = entities.setdefault(
            entry.entity or entry.name,
            Contributor(
                entry.entity or entry.name, entry.entity, entry.party, 0.0, 0.0, 0.0, entry.detail
            ),
        )
        ent.base += entry.base
        ent.branch += entry.branch
        ent.change += entry.change
        ent.appeared += entry.appeared
        ent.disappeared += entry.disappeared
    ranked_entities = sorted(entities.values(), key=lambda e: -e.change * direction)
    message = f"{label_of(metric)} {_fmt(change, unit)}"
    if ranked:
        message += f" — {ranked[0].name}: {ranked[0].detail or _fmt(ranked[0].change, unit)}"
    return {
        "metric": metric,
        "change": round(change, 1),
        "hosts": [h.as_dict() for h in ranked[:top]],
        "entities": [e.as_dict() for e in ranked_entities[:top]],
        "message": message,
        "request": dict(declaration) if declaration is not None else None,
    }
