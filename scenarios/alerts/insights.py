"""Third-party correlation for a scenario+location+window, read from Run and RunHost.

Loads a window's history in two queries (runs, then their per-host rows through one join)
and hands plain data to the pure ``core.stats.correlation`` and ``core.stats.changepoints``.
Third-party hosts are grouped into entities with the shipped mapping plus the users'
EntityMapping rows (``core.har.entities``); first-party hosts keep the entity the agent gave
them. An incident's message names its culprits through ``culprit_summary``.
"""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from core.har import entities
from core.metrics import HEADLINE, page_names
from core.stats import changepoints, correlation
from core.stats.host_series import MEASURES
from scenarios.alerts.series import at_location
from scenarios.conditions import Conditions
from scenarios.models import EntityMapping, Location, Run, RunHost, Scenario

log = logging.getLogger(__name__)

TOP = 20  # hosts / entities listed in a report


def load_history(
    scenario_id: int,
    location_id: int | None,
    since: datetime,
    until: datetime | None = None,
    metric: str = HEADLINE,
    last: int | None = None,
    *,
    conditions: Conditions,
) -> list[dict[str, Any]]:
    """Succeeded, non-CI runs measured under ``conditions`` in the window, oldest first, in
    ``core.stats.host_series`` form (runs under other conditions never share a series).

    ``last`` keeps only the newest ``last`` runs of the window. Each run is ``{"t", "run_id",
    "metric", "hosts": {host: {<each of host_series.MEASURES>, "entity", "party"}}}``.
    Raises ValueError for a metric that is not a Run column.
    """
    columns = page_names(column=True)
    if metric not in columns:
        raise ValueError(f"metric must be one of {', '.join(columns)}")
    runs = Run.objects.filter(
        at_location(location_id),
        conditions.runs(),
        scenario_id=scenario_id,
        status=Run.SUCCEEDED,
        created_at__gte=since,
    ).exclude(kind=Run.KIND_CI)
    if until is not None:
        runs = runs.filter(created_at__lte=until)
    out: list[dict[str, Any]] = []
    by_id: dict[int, dict[str, Any]] = {}
    rows = runs.order_by("-created_at", "-id").values_list("id", "created_at", metric)
    for run_id, created_at, value in reversed(rows[:last] if last else rows):
        item: dict[str, Any] = {"t": created_at, "run_id": run_id, "metric": value, "hosts": {}}
        out.append(item)
        by_id[run_id] = item
    if not out:
        return out
    # Through a join for long windows (no huge IN list); by id when only the last few count.
    hosts = (
        RunHost.objects.filter(run_id__in=list(by_id))
        if last
        else RunHost.objects.filter(run__in=runs)
    )
    host_rows = hosts.values_list("run_id", "host", "entity", "party", *MEASURES)
    sql, params = host_rows.query.sql_with_params()
    mappings = tuple(EntityMapping.as_tuples())
    names: dict[tuple[str, str, str], str] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The DB-API cursor's fetchall: Django's row-by-row wrapper and converters cost more
        # than the query itself on a month of runs.
        rows_ = cursor.cursor.fetchall()
    hosts_of = {run_id: item["hosts"] for run_id, item in by_id.items()}
    for run_id, host, entity, party, *measures in rows_:
        name = names.get((host, entity, party))
        if name is None:
            name = entity if party == "first" else entities.classify(host, mappings)[0]
            names[(host, entity, party)] = name
        hosts_of[run_id][host] = {
            **dict(zip(MEASURES, measures, strict=True)),
            "entity": name,
            "party": party,
        }
    return out


def latest_regression(
    scenario_id: int,
    location_id: int | None,
    since: datetime,
    until: datetime | None = None,
    metric: str = HEADLINE,
    *,
    conditions: Conditions,
) -> changepoints.Regression | None:
    """The most recent regression of ``metric`` among the runs measured under ``conditions``
    in the window, or None."""
    runs = load_history(scenario_id, location_id, since, until, metric, conditions=conditions)
    regressions = changepoints.find_regressions(runs, metric=metric)
    return regressions[-1] if regressions else None


def explain_recent(
    scenario_id: int,
    location_id: int | None,
    until: datetime,
    metric: str,
    last: int = 96,
    *,
    conditions: Conditions,
) -> changepoints.Regression | None:
    """The latest regression of ``metric`` among the newest ``last`` runs measured under
    ``conditions`` up to ``until``.

    Used for alert messages: a change point needs about five runs on each side before it is
    detectable, so an incident opened after two slow runs is explained a few runs later.
    """
    since = until - timedelta(days=30)
    runs = load_history(scenario_id, location_id, since, until, metric, last, conditions=conditions)
    regressions = changepoints.find_regressions(runs, metric=metric)
    return regressions[-1] if regressions else None


def culprit_summary(run: Run, metric: str) -> str | None:
    """The latest change of ``metric`` up to ``run`` with its culprits, or None.

    Never raises: a failure here must not stop the incident from opening.
    """
    try:
        regression = explain_recent(
            run.scenario_id,
            run.location_id,
            run.created_at,
            metric,
            conditions=Conditions.of_run(run),
        )
    except Exception:
        log.exception("culprit search failed for run %s", run.pk)
        return None
    return regression.summary() if regression is not None else None


def correlation_report(
    scenario: Scenario | int,
    location: Location | int | None,
    since: datetime,
    metric: str = HEADLINE,
    until: datetime | None = None,
) -> dict[str, Any]:
    """A JSON-able report of how hosts and entities move with ``metric`` over a window.

    Shape::

        {"scenario": id, "location": id | None, "metric": "lcp",
         "since": iso, "until": iso | None, "runs": n,
         "hosts":    [{"key", "party", "entity", "category", "measure", "coefficient",
                       "slope", "n"}],                       # top 20 by |coefficient|
         "entities": [{"key", "party", "category", "measure", "coefficient", "slope", "n"}],
         "regressions": [{"t": iso, "run_id", "before", "after", "delta", "delta_pct",
                          "p_value", "summary": "lcp +600 ms since …; ads… (97%)",
                          "culprits": [{"key", "kind", "party", "category", "measure",
                                        "before", "after", "delta", "share"}]}]}

    ``coefficient`` is Spearman's rho with the metric (-1..1); ``slope`` is metric units per
    unit of the measure; ``share`` is the part of the regression a culprit explains (0..1).
    Regressions are oldest first. Only runs measured under the scenario's current conditions
    (browser and profile) count.
    Raises ValueError for an unknown metric.
    """
    if not isinstance(scenario, Scenario):
        scenario = Scenario.objects.get(pk=scenario)
    location_id = location.pk if isinstance(location, Location) else location
    runs = load_history(
        scenario.pk, location_id, since, until, metric, conditions=Conditions.of_scenario(scenario)
    )
    mappings = tuple(EntityMapping.as_tuples())
    host_entity = {h: v["entity"] for run in runs for h, v in run["hosts"].items()}
    by_host = correlation.rank_correlations(runs, by="host")
    by_entity = correlation.rank_correlations(runs, by="entity")
    regressions = changepoints.find_regressions(runs, metric=metric) if runs else []

    def category(key: str, kind: str, party: str) -> str:
        if party == "first":
            return "first_party"
        if kind == "entity":
            hosts = [h for h, e in host_entity.items() if e == key]
            return entities.classify(hosts[0], mappings)[1] if hosts else entities.OTHER
        return entities.classify(key, mappings)[1]

    return {
        "scenario": scenario.pk,
        "location": location_id,
        "metric": metric,
        "since": since.isoformat(),
        "until": until.isoformat() if until else None,
        "runs": len(runs),
        "hosts": [
            {
                **_correlation_row(c),
                "entity": host_entity.get(c.key, ""),
                "category": category(c.key, "host", c.party),
            }
            for c in by_host[:TOP]
        ],
        "entities": [
            {**_correlation_row(c), "category": category(c.key, "entity", c.party)}
            for c in by_entity[:TOP]
        ],
        "regressions": [_regression_row(r, runs, category) for r in regressions],
    }


def _correlation_row(c: correlation.HostCorrelation) -> dict[str, Any]:
    return {
        "key": c.key,
        "party": c.party,
        "measure": c.measure,
        "coefficient": round(c.coefficient, 4),
        "slope": round(c.slope, 4),
        "n": c.n,
    }


def _regression_row(
    r: changepoints.Regression, runs: list[dict[str, Any]], category: Any
) -> dict[str, Any]:
    c = r.change
    t = c.t.isoformat() if isinstance(c.t, datetime) else c.t
    return {
        "t": t,
        "run_id": runs[c.index]["run_id"],
        "before": c.before_median,
        "after": c.after_median,
        "delta": c.delta,
        "delta_pct": c.delta_pct,
        "p_value": c.p_value,
        "summary": r.summary(),
        "culprits": [
            {
                "key": k.key,
                "kind": k.kind,
                "party": k.party,
                "category": category(k.key, k.kind, k.party),
                "measure": k.measure,
                "before": k.before,
                "after": k.after,
                "delta": k.delta,
                "share": round(k.share, 4),
            }
            for k in r.culprits
        ],
    }
