"""A scenario's chart series and host tables, read straight from the runs table.

Every chart point is one SQL bucket (average of the succeeded runs in it: dashboard.buckets),
so a series never carries more than ``MAX_POINTS + 1`` points whatever the range.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Q

from core.metrics import BYTES, PARTY, SCORE, Metric, metric, page_metric, page_metrics
from scenarios.conditions import Conditions
from scenarios.models import Location, Release, Run, Scenario

from . import named_series
from .buckets import Window, bucket_sql, closed_and_current, end_clause, fetch, rounded

TREND_POINTS = 24  # slices of the range in the host and entity tables' sparklines
CHART_METRICS: tuple[Metric, ...] = page_metrics(charted=True)
PARTIES = tuple(member for member, _ in PARTY.member_labels)
# The Run columns holding each party's transfer bytes, in PARTIES order (stacked bytes chart).
_PARTY_COLUMNS = tuple(
    next(m.name for m in page_metrics(column=True) if m.party == party and m.unit is BYTES)
    for party in PARTIES
)
# Units of the stacked party charts: a party's bytes and its summed request time.
PARTY_UNITS = {"party_bytes": BYTES.name, "party_time": PARTY.field("time_ms").unit.name}


def host_buckets(
    scenario: Scenario, window: Window, conditions: Conditions | None = None
) -> list[tuple[Any, ...]]:
    """Per (bucket, host) sums over the succeeded non-CI runs in ``window`` measured under
    ``conditions`` (default: the scenario's current ones): ``(bucket, host, entity, party,
    runs, requests, transfer_bytes, time_ms, blocking_ms)``. One pass over RunHost feeds the
    party-time chart and both host and entity tables."""
    conditions = conditions or Conditions.of_scenario(scenario)
    measured, measured_params = conditions.sql("r")

    def query(start: datetime, end: datetime | None) -> list[tuple[Any, ...]]:
        until, params = end_clause("r.created_at", end)
        return fetch(
            f"SELECT {bucket_sql('r.created_at')} AS b, h.host, MIN(h.entity), MIN(h.party), "
            "COUNT(*), SUM(h.requests), SUM(h.transfer_bytes), SUM(h.time_ms), "
            "SUM(h.blocking_ms) FROM scenarios_runhost h JOIN scenarios_run r ON r.id = h.run_id "
            f"WHERE r.scenario_id = %s AND {measured} AND r.status = %s AND r.kind <> %s "
            f"AND r.created_at >= %s {until}GROUP BY b, h.host",
            [
                window.width,
                scenario.pk,
                *measured_params,
                Run.SUCCEEDED,
                Run.KIND_CI,
                start,
                *params,
            ],
        )

    return closed_and_current(f"hosts:{scenario.pk}:{conditions.key}", window, query)


def scenario_series(
    scenario: Scenario,
    window: Window,
    hosts: list[tuple[Any, ...]] | None = None,
    named: Sequence[str] = (),
    conditions: Conditions | None = None,
) -> dict[str, Any]:
    """Chart data for one scenario over ``window`` and the runs measured under ``conditions``
    (default: the scenario's current ones; runs under different conditions are never averaged
    together: scenarios.conditions), shaped for uPlot (aligned arrays).

    Returns ``{"range", "browser", "profile", "start", "end" (epoch s), "x": [bucket start,
    epoch s], "locations": [name],
    "metrics": {column or named metric: [[value per x] per location]}, "runs": [[latest run id
    per x] per location], "party_bytes": {"first": [...], "third": [...]}, "party_time": {...},
    "units": {chart (a charted metric, a named one, party_bytes or party_time): registry unit
    name}, "releases": [{"t", "name"}]}``. Values are bucket averages of succeeded runs (not
    CI runs: they measure branch builds, see docs/ci.md); None where a location has no run in
    a bucket, or (``named``: the chosen named metrics, dashboard.named_series) no run of the
    bucket has that metric. Party series average over every location's runs. ``hosts`` is
    host_buckets() of the same conditions when the caller already has it.
    """
    conditions = conditions or Conditions.of_scenario(scenario)
    measured, measured_params = conditions.sql()
    columns = [m.name for m in CHART_METRICS] + list(_PARTY_COLUMNS)
    # Scores keep the digits their formatter prints; times, bytes and counts one decimal.
    digits = [3 if page_metric(c).unit is SCORE else 1 for c in columns]
    averages = ", ".join(f"AVG({c})" for c in columns)

    def query(start: datetime, end: datetime | None) -> list[tuple[Any, ...]]:
        until, params = end_clause("created_at", end)
        return fetch(
            f"SELECT location_id, {bucket_sql('created_at')} AS b, MAX(id), COUNT(*), "
            f"{averages} FROM scenarios_run WHERE scenario_id = %s AND {measured} "
            f"AND status = %s AND kind <> %s AND created_at >= %s {until}"
            "GROUP BY location_id, b",
            [
                window.width,
                scenario.pk,
                *measured_params,
                Run.SUCCEEDED,
                Run.KIND_CI,
                start,
                *params,
            ],
        )

    rows = closed_and_current(f"series:{scenario.pk}:{conditions.key}", window, query)
    if hosts is None:
        hosts = host_buckets(scenario, window, conditions)
    buckets = sorted({row[1] for row in rows})
    index = {b: i for i, b in enumerate(buckets)}
    location_ids = sorted({row[0] for row in rows}, key=lambda v: (v is None, v or 0))
    names: dict[int | None, str] = dict(
        Location.objects.filter(pk__in=location_ids).values_list("pk", "name")
    )
    names[None] = "(none)"
    slot = {pk: i for i, pk in enumerate(location_ids)}
    size = len(buckets)
    metrics: dict[str, list[list[float | None]]] = {
        c: [[None] * size for _ in location_ids] for c in columns
    }
    runs: list[list[int | None]] = [[None] * size for _ in location_ids]
    counts = [0] * size
    party_sums = {p: [0.0] * size for p in PARTIES}
    for location_id, b, run_id, count, *values in rows:
        i, loc = index[b], slot[location_id]
        runs[loc][i] = run_id
        counts[i] += count
        for column, value, places in zip(columns, values, digits, strict=True):
            metrics[column][loc][i] = rounded(value, places)
        for party, column in zip(PARTIES, _PARTY_COLUMNS, strict=True):
            value = values[columns.index(column)]
            if value is not None:
                party_sums[party][i] += float(value) * count
    party_time = {p: [0.0] * size for p in PARTIES}
    for b, _host, _entity, party, _n, _req, _tb, time_ms, _bl in hosts:
        if party in party_time and b in index:
            party_time[party][index[b]] += float(time_ms)
    # Releases tagged with this scenario, or with none (meaning every scenario).
    releases = (
        Release.objects.filter(time__gte=window.start)
        .filter(Q(scenarios=scenario) | Q(scenarios__isnull=True))
        .distinct()
        .values_list("time", "name")
    )
    return {
        "range": window.name,
        "browser": conditions.browser,
        "profile": conditions.profile,
        "start": int(window.start.timestamp()),
        "end": int(window.end.timestamp()),
        "x": [b * window.width for b in buckets],
        "locations": [names.get(pk, str(pk)) for pk in location_ids],
        "metrics": {
            **{m.name: metrics[m.name] for m in CHART_METRICS},
            **named_series.per_location(
                named_series.bucket_averages(scenario, window, named, conditions),
                named,
                index,
                slot,
            ),
        },
        "runs": runs,
        "party_bytes": {p: _per_run(party_sums[p], counts, 0) for p in party_sums},
        "party_time": {p: _per_run(party_time[p], counts, 1) for p in party_time},
        "units": {
            **{m.name: m.unit.name for m in CHART_METRICS},
            **{name: metric(name).unit.name for name in named},
            **PARTY_UNITS,
        },
        "releases": [{"t": int(t.timestamp()), "name": n} for t, n in releases],
    }


def _per_run(sums: list[float], counts: list[int], digits: int) -> list[float | None]:
    return [round(s / n, digits) if n else None for s, n in zip(sums, counts, strict=True)]


def host_tables(
    window: Window, hosts: list[tuple[Any, ...]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-host and per-entity rows from host_buckets(), heaviest transfer first.

    Each row: name, party, runs (runs it appeared in), requests/transfer_bytes/time_ms/
    blocking_ms (averages per run it appeared in) and ``trend_bytes`` / ``trend_time``: the
    percent change of the window's second half against its first (None without data), and
    ``spark_time``: time per run in TREND_POINTS slices of the window (None where absent). An
    entity appears in a bucket's runs as often as its most frequent host there.
    """
    start = window.start.timestamp()
    span = max(window.end.timestamp() - start, 1.0)
    per_host: dict[str, dict[str, Any]] = {}
    per_entity: dict[tuple[str, Any], dict[str, Any]] = {}
    for b, host, entity, party, n, req, tb, tm, bl in hosts:
        slot = min(max(int((b * window.width - start) / span * TREND_POINTS), 0), TREND_POINTS - 1)
        _add(per_host.setdefault(host, _empty(host, party)), slot, n, req, tb, tm, bl)
        bucket = per_entity.setdefault((entity, b), _empty(entity, party))
        bucket["n"] = max(bucket["n"], n)
        bucket["slot"] = slot
        for key, value in (("req", req), ("tb", tb), ("tm", tm), ("bl", bl)):
            if value is None:  # not measured by the runs' browser
                bucket[f"{key}_unknown"] = True
            else:
                bucket[key] += value
    entities: dict[str, dict[str, Any]] = {}
    for (entity, _), part in per_entity.items():
        row = entities.setdefault(entity, _empty(entity, part["party"]))
        tb = None if part.get("tb_unknown") and not part["tb"] else part["tb"]
        bl = None if part.get("bl_unknown") and not part["bl"] else part["bl"]
        _add(row, part["slot"], part["n"], part["req"], tb, part["tm"], bl)
    return _finish(per_host.values()), _finish(entities.values())


def _empty(name: str, party: str) -> dict[str, Any]:
    return {
        "name": name,
        "party": party,
        "n": 0,
        "req": 0,
        "tb": 0,
        "tbn": 0,  # runs whose browser counted transfer bytes (core.result.absent)
        "tm": 0.0,
        "bl": 0.0,
        "bln": 0,  # runs whose browser reported long tasks
        "slots": [[0, 0, 0.0] for _ in range(TREND_POINTS)],
    }


def _add(
    row: dict[str, Any], slot: int, n: int, req: int, tb: int | None, tm: float, bl: float | None
) -> None:
    """Add ``n`` runs' sums; a None sum is a number their browser could not measure."""
    row["n"] += n
    row["req"] += req
    row["tm"] += tm
    if tb is not None:
        row["tb"] += tb
        row["tbn"] += n
    if bl is not None:
        row["bl"] += bl
        row["bln"] += n
    part = row["slots"][slot]
    part[0] += n
    part[1] += tb or 0
    part[2] += tm


def _per_run_of(slots: list[list[Any]], index: int) -> float | None:
    runs = sum(s[0] for s in slots)
    return sum(s[index] for s in slots) / runs if runs else None


def _finish(rows: Any) -> list[dict[str, Any]]:
    table = []
    for row in rows:
        n = row["n"]
        first, second = row["slots"][: TREND_POINTS // 2], row["slots"][TREND_POINTS // 2 :]
        table.append(
            {
                "name": row["name"],
                "party": row["party"],
                "runs": n,
                "requests": row["req"] / n,
                "transfer_bytes": row["tb"] / row["tbn"] if row["tbn"] else None,
                "time_ms": row["tm"] / n,
                "blocking_ms": row["bl"] / row["bln"] if row["bln"] else None,
                "trend_bytes": change(_per_run_of(first, 1), _per_run_of(second, 1)),
                "trend_time": change(_per_run_of(first, 2), _per_run_of(second, 2)),
                "spark_time": [t / c if c else None for c, _, t in row["slots"]],
            }
        )
    table.sort(key=lambda r: (-(r["transfer_bytes"] or 0), r["name"]))
    return table


def change(before: float | None, after: float | None) -> float | None:
    """Percent change from ``before`` to ``after``; None when either is unknown or before is 0."""
    if before is None or after is None or before == 0:
        return None
    return round((after - before) / before * 100, 1)
