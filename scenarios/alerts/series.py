"""What a threshold looks at: one value per run for its scope, loaded in a few batched queries.

A *snapshot* holds the runs of one scenario+location that a set of thresholds needs (page
metric columns, per-host rows, and the result document's content classes and steps, each
only when some threshold asks for it). ``values(threshold, snapshot)`` then returns that
threshold's per-run values, newest first, in plain Python.

Rules per scope (result-document TOTALS for party/host/entity/content_class):
- page: the Run column, or for a page metric without one and a named metric
  (``user.checkout_ready``, ``request.create_chat.duration_ms``, ``cpu.script_ms`` …) the key
  of the stored result document's ``metrics``, read in the same query (only the keys
  thresholds ask for); runs where it is null or absent are left out, never 0.
- party / host / content_class: a run that recorded its requests but none of that party,
  host or class scores 0 (it spent nothing there), so a host that appears is seen as growth
  from 0. A run that recorded no requests at all (a metrics-only import) says nothing about
  hosts: it is left out ("no data"), never 0.
- entity: hosts whose entity is the key, either the registrable domain stored on RunHost or
  the name given by the entity mapping (core.har.entities); summed, 0 when absent (from a
  run that recorded requests).
- step: the step's ``duration_ms`` / ``started_ms``, or one of its own metrics (its
  ``metrics``: ``user.<name>``, ``cpu.script_ms`` …); runs without that step, or whose step
  has no such value, are left out.

Every history query selects one location's rows with ``at_location`` (None: rows without one).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTransform

from core.har import entities
from core.metrics import HOST, STEP
from scenarios.models import EntityMapping, Run, RunHost, Threshold
from scenarios.models.run import METRIC_FIELDS

# RunHost's columns: a host's identity, then its totals (the registry's host fields).
_HOST_COLUMNS = ("run_id", "host", "entity", "party", *HOST.field_names())
STEP_FIELDS = frozenset(STEP.field_names())


@dataclass
class Snapshot:
    """Runs newest first, with what thresholds need from them."""

    run_ids: list[int]
    page: dict[str, list[float | None]] = field(default_factory=dict)  # metric → per run
    # (a Run column, or a key of the result document's ``metrics``)
    hosts: dict[int, list[tuple[Any, ...]]] = field(default_factory=dict)  # run → host rows
    content_classes: dict[int, dict[str, Any]] = field(default_factory=dict)
    steps: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    recorded: set[int] = field(default_factory=set)  # runs that recorded their requests
    user_mappings: tuple[tuple[str, str, str], ...] = ()


def at_location(location_id: int | None, field: str = "location") -> Q:
    """Rows of that location; None means rows without one (``= NULL`` never matches)."""
    if location_id is None:
        return Q(**{f"{field}__isnull": True})
    return Q(**{f"{field}_id": location_id})


def needs_of(thresholds: Iterable[Threshold]) -> tuple[set[str], set[str]]:
    """(page-scope metrics, scopes) a set of thresholds reads."""
    metrics: set[str] = set()
    scopes: set[str] = set()
    for th in thresholds:
        if th.kind == Threshold.FAILURE:
            continue
        scopes.add(th.scope)
        if th.scope == "page":
            metrics.add(th.metric)
    return metrics, scopes


def load_snapshot(
    runs: QuerySet[Run],
    thresholds: Sequence[Threshold],
    *,
    limit: int | None = None,
) -> Snapshot:
    """Load what ``thresholds`` need of ``runs`` (newest first, at most ``limit``).

    One query for the runs (columns, the ``metrics`` keys asked for and result-document
    parts together) and, when some threshold reads hosts, one for the per-host rows (only
    the watched hosts when no party or entity threshold needs the others).
    """
    metrics, scopes = needs_of(thresholds)
    columns = sorted(m for m in metrics if m in METRIC_FIELDS)
    # Keys of ``metrics`` by an alias each: a name may hold ``__``, which a lookup would
    # split, and only these keys leave the database, not the document.
    keys = sorted(m for m in metrics if m not in METRIC_FIELDS)
    aliases = {
        f"metric_{i}": KeyTransform(name, KeyTransform("metrics", "result"))
        for i, name in enumerate(keys)
    }
    json_parts: list[str] = []
    if "content_class" in scopes:
        json_parts.append("result__content_classes")
    if "step" in scopes:
        json_parts.append("result__steps")
    ordered = runs.annotate(**aliases).order_by("-created_at", "-id")
    if limit is not None:
        ordered = ordered[:limit]
    rows = list(ordered.values_list("id", *columns, *aliases, *json_parts))
    snap = Snapshot(run_ids=[row[0] for row in rows])
    for i, name in enumerate([*columns, *keys], start=1):
        snap.page[name] = [_number(row[i]) for row in rows]
    offset = 1 + len(columns) + len(keys)
    for j, part in enumerate(json_parts):
        for row in rows:
            if part.endswith("classes"):
                snap.content_classes[row[0]] = row[offset + j] or {}
            else:
                snap.steps[row[0]] = row[offset + j] or []
    if scopes & {"host", "party", "entity", "content_class"} and snap.run_ids:
        snap.recorded = set(
            RunHost.objects.filter(run_id__in=snap.run_ids)
            .values_list("run_id", flat=True)
            .distinct()
        )
    if scopes & {"host", "party", "entity"} and snap.run_ids:
        host_rows = RunHost.objects.filter(run_id__in=snap.run_ids)
        if not scopes & {"party", "entity"}:
            watched = {th.key for th in thresholds if th.scope == "host"}
            host_rows = host_rows.filter(host__in=sorted(watched))
        for row in _raw_rows(host_rows.values_list(*_HOST_COLUMNS)):
            snap.hosts.setdefault(row[0], []).append(row)
    if "entity" in scopes:
        snap.user_mappings = tuple(EntityMapping.as_tuples())
    return snap


def _number(value: Any) -> float | None:
    """A stored value as a number; None for null, absent, or anything but a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _raw_rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """Rows of a values_list over plain columns, skipping Django's per-row conversion."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# A named metric a run may not measure (a request that did not happen, a counter a browser
# lacks) is judged on the K newest runs that have it, among this many times K newest runs.
NAMED_LOOKBACK = 3


def span(th: Threshold) -> int:
    """How many of the newest runs a threshold's judgement reads: its K (``window_runs``), or
    for a named metric (one read from the result document: a page metric without a column,
    a named family's member, a step's own) NAMED_LOOKBACK times K, so that runs without it
    are skipped rather than leaving fewer than K values."""
    named = (th.scope == "page" and th.metric not in METRIC_FIELDS) or (
        th.scope == "step" and th.metric not in STEP_FIELDS
    )
    return th.window_runs * (NAMED_LOOKBACK if named else 1)


def values(th: Threshold, snap: Snapshot, runs: int | None = None) -> list[float]:
    """The threshold's value in each run of the snapshot, newest first (see module rules);
    with ``runs``, in the newest ``runs`` runs of it only."""
    if runs is not None:
        snap = replace(
            snap,
            run_ids=snap.run_ids[:runs],
            page={name: per_run[:runs] for name, per_run in snap.page.items()},
        )
    if th.scope == "page":
        return [float(v) for v in snap.page.get(th.metric, []) if v is not None]
    if th.scope in ("host", "party", "entity"):
        index = _HOST_COLUMNS.index(th.metric)
        column = {"host": 1, "entity": 2, "party": 3}[th.scope]
        out: list[float] = []
        for run_id in snap.run_ids:
            if run_id not in snap.recorded:
                continue
            total = 0.0
            for row in snap.hosts.get(run_id, ()):
                if row[column] == th.key or (
                    th.scope == "entity"
                    and entities.classify(row[1], snap.user_mappings)[0] == th.key
                ):
                    total += row[index] or 0
            out.append(total)
        return out
    if th.scope == "content_class":
        return [
            float((snap.content_classes.get(run_id, {}).get(th.key) or {}).get(th.metric) or 0)
            for run_id in snap.run_ids
            if run_id in snap.recorded
        ]
    if th.scope == "step":
        out = []
        for run_id in snap.run_ids:
            for step in snap.steps.get(run_id, []):
                if not isinstance(step, dict) or step.get("name") != th.key:
                    continue
                # A step field (duration_ms) is the step's; any other, one of its own.
                values_ = step if th.metric in STEP_FIELDS else step.get("metrics")
                value = _number(values_.get(th.metric)) if isinstance(values_, dict) else None
                if value is not None:
                    out.append(value)
                    break
        return out
    raise ValueError(f"unknown scope {th.scope!r}")


def median(values_: Sequence[float]) -> float:
    """The median of a non-empty sequence (mean of the middle two for even lengths)."""
    ordered = sorted(values_)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2
