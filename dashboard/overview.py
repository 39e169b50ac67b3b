"""The scenario list's data: latest runs, key metrics, sparklines and week-on-week change.

A fixed number of queries whatever the number of runs: the latest run per (scenario,
location) comes from an index-backed subquery on ``Run(scenario, location, created_at)``,
sparklines and the weekly change from one grouped aggregate over the last 8 days in
6-hour buckets (the closed buckets cached, the current one read fresh).
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from core.metrics import Metric, page_metrics
from scenarios.conditions import Conditions, current_q, current_sql
from scenarios.models import Incident, Run, Scenario

from .buckets import bucket_sql, fetch, utc_at
from .series import change

# The registry's summary metrics: the list's columns and the sparkline's choices.
KEY_METRICS: tuple[Metric, ...] = page_metrics(summary=True)
SPARK_METRICS = tuple(m.name for m in KEY_METRICS)
# The sparkline starts on the first key metric the CI gate judges: what the visitor sees.
DEFAULT_SPARK = next(m.name for m in KEY_METRICS if m.gated)
SPARK_BUCKET_S = 6 * 3600
SPARK_POINTS = 29  # 7 days of 6-hour buckets, plus the current (partial) one
CLOSED_CACHE_S = 300
DAY_BUCKETS = 4  # "the last 24 h" and "the same 24 h a week ago", in buckets
FAILING = (Run.FAILED, Run.TIMED_OUT, Run.LOST)
STATES = ("active", "paused", "failing")


@dataclass
class Row:
    """One scenario as the list shows it."""

    scenario: Scenario
    locations: list[str]
    last_run: Run | None = None
    last_ok: Run | None = None
    open_alerts: int = 0
    spark: list[float | None] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)

    @property
    def state(self) -> str:
        if self.scenario.paused:
            return "paused"
        if self.last_run is not None and self.last_run.status in FAILING:
            return "failing"
        return "active"


def _latest(scenario_ref: str, location_ref: str | None, *where: Q, **filters: Any) -> Subquery:
    """The newest run of a (scenario, location) pair among those ``where`` and ``filters``
    admit; ``location_ref=None`` means runs without a location (trials). Both forms walk the
    (scenario, location, created_at) index."""
    runs = Run.objects.filter(*where, scenario_id=OuterRef(scenario_ref), **filters).exclude(
        kind=Run.KIND_CI  # branch builds of a CI comparison say nothing of the monitored page
    )
    if location_ref is None:
        runs = runs.filter(location__isnull=True)
    else:
        runs = runs.filter(location_id=OuterRef(location_ref))
    return Subquery(runs.order_by("-created_at").values("pk")[:1])


def scenario_rows(
    scenarios: QuerySet[Scenario], spark_metric: str = DEFAULT_SPARK, now: datetime | None = None
) -> list[Row]:
    """One Row per scenario in ``scenarios`` (already filtered and ordered)."""
    now = now or timezone.now()
    scenarios = scenarios.prefetch_related("locations")
    rows = {s.pk: Row(s, [loc.name for loc in s.locations.all()]) for s in scenarios}
    if not rows:
        return []
    through = Scenario.locations.through.objects.filter(scenario_id__in=rows)
    pairs = list(
        through.annotate(
            last=_latest("scenario_id", "location_id"),
            # the key metrics: the scenario's current conditions, as its sparkline
            last_ok=_latest(
                "scenario_id", "location_id", current_q("scenario__"), status=Run.SUCCEEDED
            ),
        ).values_list("scenario_id", "last", "last_ok")  # type: ignore[misc]  # stubs: m2m through
    )
    pairs += list(
        Scenario.objects.filter(pk__in=rows)
        .annotate(
            last=_latest("pk", None),
            last_ok=_latest("pk", None, current_q(""), status=Run.SUCCEEDED),
        )
        .values_list("pk", "last", "last_ok")
    )
    wanted = {pk for _, a, b in pairs for pk in (a, b) if pk}
    fields = (
        "id",
        "scenario_id",
        "location_id",
        "status",
        "created_at",
        "finished_at",
        *SPARK_METRICS,
    )
    runs = {r.pk: r for r in Run.objects.filter(pk__in=wanted).only(*fields)}
    for scenario_id, last, last_ok in pairs:
        row = rows[scenario_id]
        for attr, pk in (("last_run", last), ("last_ok", last_ok)):
            run, current = runs.get(pk), getattr(row, attr)
            if run is not None and (current is None or run.created_at > current.created_at):
                setattr(row, attr, run)
    alerts = (
        Incident.objects.filter(resolved_at__isnull=True, threshold__scenario_id__in=rows)
        .values("threshold__scenario_id")
        .annotate(n=Count("id"))
    )
    for item in alerts:
        rows[item["threshold__scenario_id"]].open_alerts = item["n"]
    recent = _recent({pk: Conditions.of_scenario(row.scenario) for pk, row in rows.items()}, now)
    for pk, row in rows.items():
        spark, before, latest = _summarise(recent.get(pk, {}), spark_metric, now)
        row.spark = spark
        row.metrics = [
            {
                "name": m.name,
                "label": m.label,
                "value": getattr(row.last_ok, m.name) if row.last_ok else None,
                "change": change(before.get(m.name), latest.get(m.name)),
            }
            for m in KEY_METRICS
        ]
    return list(rows.values())


Buckets = dict[int, tuple[int, list[float | None]]]


def _recent(measured: dict[int, Conditions], now: datetime) -> dict[int, Buckets]:
    """Per scenario (id → its current conditions) and 6-hour bucket of the last 7 days + 1
    day: (succeeded runs under the scenario's current conditions, averages of SPARK_METRICS).
    One grouped scan feeds both the sparklines and the weekly change.

    Closed buckets hardly change, so their aggregate is cached for CLOSED_CACHE_S (keyed by
    the current bucket and the scenarios with their conditions): a page view then scans only
    the runs of the current bucket. A run that lands in an already closed bucket shows up
    when the cache entry expires.
    """
    ids = list(measured)
    last = int(now.timestamp()) // SPARK_BUCKET_S
    first = last - SPARK_POINTS - DAY_BUCKETS + 1
    named = ",".join(f"{pk}:{measured[pk].key}" for pk in sorted(ids))
    digest = hashlib.sha1(named.encode()).hexdigest()
    key = f"dashboard:recent:{last}:{digest}"
    closed = cache.get(key)
    if closed is None:
        closed = _buckets(ids, first * SPARK_BUCKET_S, last * SPARK_BUCKET_S)
        cache.set(key, closed, CLOSED_CACHE_S)
    current = _buckets(ids, last * SPARK_BUCKET_S, None)
    for scenario_id, buckets in current.items():
        closed.setdefault(scenario_id, {}).update(buckets)
    return closed


def _buckets(ids: list[int], start: int, end: int | None) -> dict[int, Buckets]:
    """Bucket aggregates of the runs under their scenario's current conditions created in
    [start, end) (epoch seconds; end None = now)."""
    averages = ", ".join(f"AVG(r.{name})" for name in SPARK_METRICS)
    placeholders = ", ".join(["%s"] * len(ids))
    measured, measured_params = current_sql("r", "s")
    params: list[Any] = [
        SPARK_BUCKET_S,
        *measured_params,
        *ids,
        Run.SUCCEEDED,
        Run.KIND_CI,
        utc_at(start),
    ]
    until = ""
    if end is not None:
        until = "AND r.created_at < %s "
        params.append(utc_at(end))
    rows = fetch(
        f"SELECT r.scenario_id, {bucket_sql('r.created_at')} AS b, COUNT(*), {averages} "
        "FROM scenarios_run r JOIN scenarios_scenario s ON s.id = r.scenario_id "
        f"AND {measured} WHERE r.scenario_id IN ({placeholders}) "
        f"AND r.status = %s AND r.kind <> %s AND r.created_at >= %s {until}"
        "GROUP BY r.scenario_id, b",
        params,
    )
    out: dict[int, Buckets] = {}
    for scenario_id, b, count, *values in rows:
        out.setdefault(scenario_id, {})[b] = (
            count,
            [None if v is None else float(v) for v in values],
        )
    return out


def _summarise(
    buckets: Buckets, metric: str, now: datetime
) -> tuple[list[float | None], dict[str, float], dict[str, float]]:
    """(sparkline of ``metric``: SPARK_POINTS bucket averages, oldest first, None where
    empty; key-metric averages over the last day's buckets a week ago; and over the last
    day's buckets)."""
    last = int(now.timestamp()) // SPARK_BUCKET_S
    column = SPARK_METRICS.index(metric)
    spark = [
        buckets[b][1][column] if b in buckets else None
        for b in range(last - SPARK_POINTS + 1, last + 1)
    ]
    week = SPARK_POINTS - 1  # 7 days in buckets, counting the current one
    latest = _average(buckets, range(last - DAY_BUCKETS + 1, last + 1))
    before = _average(buckets, range(last - week - DAY_BUCKETS + 1, last - week + 1))
    return spark, before, latest


def _average(buckets: Buckets, span: range) -> dict[str, float]:
    """Run-weighted average of each key metric over the buckets in ``span``."""
    out = {}
    for i, name in enumerate(SPARK_METRICS):
        parts = [(buckets[b][0], buckets[b][1][i]) for b in span if b in buckets]
        known = [(n, v) for n, v in parts if v is not None]
        total = sum(n for n, _ in known)
        if total:
            out[name] = sum(n * v for n, v in known) / total
    return out


def filter_scenarios(params: dict[str, str]) -> QuerySet[Scenario]:
    """Scenarios matching the list's search box (``q``) and location filter."""
    scenarios = Scenario.objects.all()
    query = params.get("q", "").strip()
    if query:
        scenarios = scenarios.filter(
            Q(name__icontains=query) | Q(slug__icontains=query) | Q(url__icontains=query)
        )
    location = params.get("location", "").strip()
    if location:
        scenarios = scenarios.filter(locations__name=location)
    return scenarios.order_by("name").distinct()
