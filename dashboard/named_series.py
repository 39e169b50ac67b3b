"""Charts of a scenario's named metrics: which ones its recent runs carry (the picker's
choices), and their bucket averages read from the result documents' JSON.

Named metrics (dashboard.named_metrics.is_named) are not Run columns. Each chosen one is read
in SQL from ``result`` (only that key: ``metrics.<name>``, or ``<inner name>`` of the
``metrics`` of the first step of that name) and averaged per (location, bucket) like the page
metrics (dashboard.series), the closed buckets cached the same way. A run without the value,
or with anything but a number there, adds nothing to its bucket: a bucket where no run has
it is a gap (None), never 0. PostgreSQL (jsonb operators) and SQLite (JSON1 functions).
"""

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from core.metrics import NUMBER, SCORE, metric
from scenarios.conditions import Conditions
from scenarios.models import Run, Scenario

from .buckets import Window, bucket_sql, closed_and_current, end_clause, fetch, rounded
from .named_metrics import (
    SECTIONS,
    STEP_DURATION,
    actor_of,
    chartable,
    section_of,
    step_field,
    step_inner,
)

MAX_CHOSEN = 8  # charts a page may ask for: each is one more JSON read per run in the range
MAX_NAME = 300  # characters of a chosen name (a step's name and an inner metric name)
SEEN_RUNS = 50  # the latest runs whose metrics the picker offers
_ORDER = {prefix: i for i, (prefix, _) in enumerate(SECTIONS)}
_TITLES = dict(SECTIONS)

Rows = list[tuple[Any, ...]]


def chosen_names(requested: Iterable[str]) -> list[str]:
    """The named metrics among ``requested`` (the ``chart`` query parameters), in their
    order, each once, at most MAX_CHOSEN; anything else is dropped."""
    chosen: list[str] = []
    for name in requested:
        if len(chosen) == MAX_CHOSEN:
            break
        if name not in chosen and len(name) <= MAX_NAME and chartable(name):
            chosen.append(name)
    return chosen


def default_names(seen: Sequence[str]) -> list[str]:
    """What the scenario page charts when no ``chart`` is asked for: each measured step's
    duration among ``seen`` (the picker's choices), at most MAX_CHOSEN."""
    return [name for name in seen if step_field(name) is not None][:MAX_CHOSEN]


def names_in(metrics: Any, steps: Any) -> set[str]:
    """The named metrics one result document carries with a value: its ``metrics`` keys and,
    as ``step.<step>.<name>``, its measured steps' own and their durations."""
    found = {n for n in metrics if section_of(n)} if isinstance(metrics, Mapping) else set()
    for step in steps if isinstance(steps, list) else ():
        if not isinstance(step, Mapping) or not isinstance(step.get("metrics"), Mapping):
            continue
        name = str(step.get("name", ""))
        duration = f"step.{name}.{STEP_DURATION}"
        if isinstance(step.get(STEP_DURATION), int | float) and step_field(duration):
            found.add(duration)
        for inner in step["metrics"]:
            full = f"step.{name}.{inner}"
            if step_inner(full) == (name, inner):
                found.add(full)
    return found


def seen_names(scenario: Scenario, conditions: Conditions | None = None) -> list[str]:
    """The named metrics the latest SEEN_RUNS succeeded non-CI runs of ``scenario`` measured
    under ``conditions`` (default: the scenario's current ones) carry (the runs its charts
    average), in picker order (:func:`sort_key`). Reads each run's ``metrics`` and ``steps``
    only."""
    conditions = conditions or Conditions.of_scenario(scenario)
    rows = (
        Run.objects.filter(conditions.runs(), scenario=scenario, status=Run.SUCCEEDED)
        .exclude(kind=Run.KIND_CI)
        .order_by("-created_at")
        .values_list("result__metrics", "result__steps")[:SEEN_RUNS]
    )
    seen: set[str] = set()
    for metrics, steps in rows:
        seen |= names_in(metrics, steps)
    return sorted(seen, key=sort_key)


def sort_key(name: str) -> tuple[str, int, str]:
    """A run's own metrics first (its actors' after its sections), then each step's (its
    duration first); by section (dashboard.named_metrics SECTIONS), then by name."""
    field = step_field(name)
    if field is not None:
        return field[0], -1, field[1]
    inner = step_inner(name)
    step, own = inner if inner is not None else ("", name)
    return step, _ORDER.get(section_of(own) or "", len(_ORDER)), own


def choices(seen: Sequence[str], chosen: Sequence[str]) -> list[dict[str, Any]]:
    """The picker's option groups: ``[{"title", "options": [{"name", "label", "chosen"}]}]``,
    one per section of a run's own metrics and one per step; the chosen names that are not
    among ``seen`` (older runs, a bookmarked address) are offered too."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for name in sorted({*seen, *chosen}, key=sort_key):
        step = step_inner(name) or step_field(name)
        actor = actor_of(name)
        if step is not None:
            title = f"Step {step[0]}"
        elif actor is not None:
            title = f"Actor {actor}"
        else:
            title = _TITLES[section_of(name) or ""]
        option = {"name": name, "label": metric(name).label, "chosen": name in chosen}
        groups.setdefault(title, []).append(option)
    return [{"title": title, "options": options} for title, options in groups.items()]


def digits(name: str) -> int:
    """Decimals a chart point keeps: what the formatter prints of scores and plain numbers
    (JS values, backend series), one for times, bytes and counts."""
    return 3 if metric(name).unit in (SCORE, NUMBER) else 1


def _path(key: str) -> str:
    """A SQLite JSON path to a key that may hold dots: ``$."user.chat_ready"``."""
    return f"$.{json.dumps(key)}"


def value_sql(name: str) -> tuple[str, list[Any]]:
    """SQL for the value of named metric ``name`` in one run (a float, or NULL when the run
    has no number there) and its parameters, over the run's ``metrics`` as column ``m`` and
    its ``steps`` as ``st`` (see :func:`bucket_averages`)."""
    inner = step_inner(name)
    field = step_field(name)
    postgres = connection.vendor == "postgresql"
    if inner is None and field is None:
        if postgres:
            return (
                "CASE WHEN jsonb_typeof(m -> %s::text) = 'number' "
                "THEN (m ->> %s::text)::double precision END",
                [name, name],
            )
        return (
            "CASE WHEN json_type(m, %s) IN ('integer', 'real') THEN json_extract(m, %s) END",
            [_path(name), _path(name)],
        )
    # A step's own metric is in its ``metrics``; its duration is a key of the step itself.
    pair = inner if inner is not None else field
    assert pair is not None
    step, own = pair
    where = "s.step" if field is not None else "(s.step -> 'metrics')"
    if postgres:
        return (
            f"(SELECT CASE WHEN jsonb_typeof({where} -> %s::text) = 'number' "
            f"THEN ({where} ->> %s::text)::double precision END "
            "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(st) = 'array' THEN st END) "
            "WITH ORDINALITY AS s(step, n) "
            "WHERE s.step ->> 'name' = %s::text ORDER BY s.n LIMIT 1)",
            [own, own, step],
        )
    path = f"$.{json.dumps(own)}" if field is not None else f"$.metrics.{json.dumps(own)}"
    # CASE keeps json_extract away from array items that are not objects (their value is
    # not JSON text); SQL does not promise to evaluate AND's operands in order.
    return (
        "(SELECT CASE WHEN json_type(s.value, %s) IN ('integer', 'real') "
        "THEN json_extract(s.value, %s) END "
        "FROM json_each(CASE WHEN json_type(st) = 'array' THEN st END) AS s "
        "WHERE CASE WHEN s.type = 'object' THEN json_extract(s.value, '$.name') END = %s "
        "ORDER BY s.key LIMIT 1)",
        [path, path, step],
    )


def _parts_sql(names: Sequence[str]) -> str:
    """The inner query's columns ``m`` (the run's ``metrics``) and, when a step's metric is
    asked for, ``st`` (its ``steps``)."""
    postgres = connection.vendor == "postgresql"
    parts = ["result -> 'metrics' AS m" if postgres else "json_extract(result, '$.metrics') AS m"]
    if any(step_inner(name) or step_field(name) for name in names):
        parts.append(
            "result -> 'steps' AS st" if postgres else "json_extract(result, '$.steps') AS st"
        )
    return ", ".join(parts)


def bucket_averages(
    scenario: Scenario,
    window: Window,
    names: Sequence[str],
    conditions: Conditions | None = None,
) -> Rows:
    """``(location_id, bucket, average of each name …)`` per location and bucket of the
    succeeded non-CI runs of ``scenario`` measured under ``conditions`` (default: the
    scenario's current ones) in ``window`` (the page metrics' runs); an average is None
    where no run of the bucket has that metric. No query without names.

    The inner query takes each run's ``metrics`` (and ``steps``) out of its document once;
    every chosen metric is then read from that small part. On PostgreSQL ``OFFSET 0`` keeps
    the planner from folding it into the outer query, where every operator of every read
    would decompress the whole stored document (requests and all) again.
    """
    if not names:
        return []
    conditions = conditions or Conditions.of_scenario(scenario)
    measured, measured_params = conditions.sql()
    reads = [value_sql(name) for name in names]
    averages = ", ".join(f"AVG({sql})" for sql, _ in reads)
    read_params = [param for _, params in reads for param in params]
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""

    def query(start: datetime, end: datetime | None) -> Rows:
        until, params = end_clause("created_at", end)
        return fetch(
            f"SELECT location_id, b, {averages} FROM (SELECT location_id, "
            f"{bucket_sql('created_at')} AS b, {_parts_sql(names)} FROM scenarios_run "
            f"WHERE scenario_id = %s AND {measured} AND status = %s AND kind <> %s "
            f"AND created_at >= %s {until}{fence}) AS docs GROUP BY location_id, b",
            [
                *read_params,
                window.width,
                scenario.pk,
                *measured_params,
                Run.SUCCEEDED,
                Run.KIND_CI,
                start,
                *params,
            ],
        )

    key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:24]
    return closed_and_current(f"named:{scenario.pk}:{conditions.key}:{key}", window, query)


def per_location(
    rows: Rows, names: Sequence[str], index: Mapping[Any, int], slot: Mapping[Any, int]
) -> dict[str, list[list[float | None]]]:
    """``{name: [[value per bucket] per location]}`` from :func:`bucket_averages` rows, on
    the page metrics' buckets (``index``: bucket → position) and locations (``slot``). A
    bucket or location they do not have (a closed bucket that gained its first run since
    their cache entry was made) waits for that entry to expire, as they do."""
    size = len(index)
    series: dict[str, list[list[float | None]]] = {
        name: [[None] * size for _ in slot] for name in names
    }
    places = [digits(name) for name in names]
    for location_id, bucket, *values in rows:
        if bucket not in index or location_id not in slot:
            continue
        for name, value, place in zip(names, values, places, strict=True):
            series[name][slot[location_id]][index[bucket]] = rounded(value, place)
    return series
