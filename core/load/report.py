"""The report of a load test: per stage of N users, the median and p95 of every metric and the
journey's duration, the error rate, the throughput and the agents' own CPU and memory; the
stage where a chosen metric crosses its limit; the same metric beside an earlier load test.
Pure: plain data in (iterations and agent samples as the server stores them), plain data out.

Only succeeded iterations give metric values: a failed journey's numbers describe an error
page or a half-loaded one. A stage where every iteration failed crosses any limit (the site
broke under that load). An agent's CPU is a share of its whole machine (100 = every core
busy) and counts its processes and their browsers; an agent whose mean CPU in a stage reaches
``saturated_cpu`` is named in the stage's ``saturated``: from there on the agent, not only the
site, may be what slowed the journeys.
"""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.load.plan import MEDIAN

Json = dict[str, Any]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation between closest ranks
    (the common definition: numpy's default, Excel's PERCENTILE.INC); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    low = math.floor(at)
    high = math.ceil(at)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def summary(values: Sequence[float]) -> Json:
    """``{"median", "p95", "count"}`` of ``values``."""
    return {
        "median": percentile(values, 0.5),
        "p95": percentile(values, 0.95),
        "count": len(values),
    }


@dataclass
class Stage:
    """What was recorded in one stage: its ``users``, its wall time in ``seconds`` (from the
    users' start to the last one's stop; None while it runs), its ``iterations`` (``status``,
    ``duration_ms``, ``values``), the agents' ``samples`` (``agent``, ``cpu_percent``,
    ``pss_bytes``, ``users``: the users it ran then) and each agent's PSS in bytes before its
    users started (``baselines``)."""

    users: int
    seconds: float | None = None
    iterations: Sequence[Mapping[str, Any]] = ()
    samples: Sequence[Mapping[str, Any]] = ()
    baselines: Mapping[str, int] = field(default_factory=dict)


def _agents(stage: Stage, saturated_cpu: float) -> Json:
    """Per agent: mean and highest CPU, highest PSS, the users it ran and its PSS per user
    above its baseline, from the samples taken while its users ran."""
    by_agent: dict[str, list[Mapping[str, Any]]] = {}
    for sample in stage.samples:
        if sample.get("users"):
            by_agent.setdefault(str(sample["agent"]), []).append(sample)
    agents = {}
    for name, samples in sorted(by_agent.items()):
        cpu = [float(s["cpu_percent"]) for s in samples]
        pss = max(int(s["pss_bytes"]) for s in samples)
        users = max(int(s["users"]) for s in samples)
        baseline = stage.baselines.get(name)
        agents[name] = {
            "cpu_mean": sum(cpu) / len(cpu),
            "cpu_max": max(cpu),
            "pss_bytes": pss,
            "users": users,
            "pss_per_user": (pss - baseline) / users if baseline is not None else None,
            "saturated": sum(cpu) / len(cpu) >= saturated_cpu,
        }
    return agents


def stage_report(stage: Stage, saturated_cpu: float = 90.0) -> Json:
    """One stage's row of the report (keys in the module docstring)."""
    done = list(stage.iterations)
    succeeded = [i for i in done if i.get("status") == "succeeded"]
    values: dict[str, list[float]] = {}
    for item in succeeded:
        for name, value in (item.get("values") or {}).items():
            values.setdefault(name, []).append(float(value))
    agents = _agents(stage, saturated_cpu)
    cpu = [a["cpu_mean"] for a in agents.values()]
    extra = [a["pss_bytes"] - stage.baselines[n] for n, a in agents.items() if n in stage.baselines]
    seconds = stage.seconds
    return {
        "users": stage.users,
        "iterations": len(done),
        "succeeded": len(succeeded),
        "failed": len(done) - len(succeeded),
        "error_rate": (len(done) - len(succeeded)) / len(done) if done else None,
        "seconds": seconds,
        "throughput": len(done) / seconds * 60 if seconds else None,
        "duration": summary([float(i["duration_ms"]) for i in succeeded]),
        "metrics": {name: summary(found) for name, found in sorted(values.items())},
        "agents": agents,
        "cpu_percent": max(cpu) if cpu else None,
        "pss_per_user": sum(extra) / stage.users if extra and len(extra) == len(agents) else None,
        "saturated": [name for name, a in agents.items() if a["saturated"]],
    }


def value_of(row: Mapping[str, Any], metric: str, statistic: str) -> float | None:
    """``statistic`` (median or p95) of ``metric`` in a stage row; None when unmeasured."""
    found = (row.get("metrics") or {}).get(metric)
    return None if found is None else found.get("median" if statistic == MEDIAN else "p95")


def crossing(
    rows: Sequence[Mapping[str, Any]], metric: str, statistic: str, limit: float | None
) -> Json | None:
    """The first stage where ``statistic`` of ``metric`` is over ``limit``, or where every
    iteration failed: ``{"stage": index, "users", "value"}`` (value None for a broken stage);
    None when no stage crosses it, or no limit is given."""
    if limit is None:
        return None
    for index, row in enumerate(rows):
        value = value_of(row, metric, statistic)
        broke = bool(row.get("iterations")) and not row.get("succeeded")
        if broke or (value is not None and value > limit):
            return {"stage": index, "users": row["users"], "value": value}
    return None


def build_report(
    stages: Iterable[Stage],
    *,
    metric: str,
    statistic: str,
    limit: float | None,
    saturated_cpu: float = 90.0,
) -> Json:
    """The whole report: ``stages`` (one row each, :func:`stage_report`), the question
    (``metric``, ``statistic``, ``limit``) and its answer, ``crossed`` (:func:`crossing`),
    and ``metrics``: every metric name some stage measured, sorted."""
    rows = [stage_report(stage, saturated_cpu) for stage in stages]
    names = sorted({name for row in rows for name in row["metrics"]})
    return {
        "metric": metric,
        "statistic": statistic,
        "limit": limit,
        "stages": rows,
        "metrics": names,
        "crossed": crossing(rows, metric, statistic, limit),
    }


def compare_reports(
    current: Mapping[str, Any], earlier: Mapping[str, Any], metric: str, statistic: str
) -> list[Json]:
    """``statistic`` of ``metric`` per number of users in ``current`` and ``earlier`` (two
    reports), for every number of users either has, fewest first: ``users``, ``current``,
    ``earlier`` and ``change`` (current − earlier; None unless both have a value)."""
    mine = {row["users"]: value_of(row, metric, statistic) for row in current.get("stages", [])}
    theirs = {row["users"]: value_of(row, metric, statistic) for row in earlier.get("stages", [])}
    rows = []
    for users in sorted(set(mine) | set(theirs)):
        now, then = mine.get(users), theirs.get(users)
        change = now - then if now is not None and then is not None else None
        rows.append({"users": users, "current": now, "earlier": then, "change": change})
    return rows
