"""Side-by-side comparison of two sets of runs (base vs branch, before vs after).

``metric_deltas`` and ``host_deltas`` are pure functions over plain numbers; ``load_sets``
reads the runs. A set's value is the median over its runs, so one noisy run does not decide.
"""

from dataclasses import dataclass
from statistics import median
from typing import Any

from core.metrics import HOST, page_metrics
from scenarios.conditions import mixed
from scenarios.models import Comparison, Run, RunHost

from .series import change

HOST_FIELDS = HOST.field_names()
MAX_RUNS = 50


class CompareError(ValueError):
    """The request does not name two usable sets of runs; the message says why."""


def parse_ids(text: str) -> list[int]:
    """``"1, 2,3"`` → ``[1, 2, 3]`` (order kept, duplicates dropped); CompareError otherwise."""
    ids: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise CompareError(f"{part!r} is not a run id")
        if int(part) not in ids:
            ids.append(int(part))
    if len(ids) > MAX_RUNS:
        raise CompareError(f"compare at most {MAX_RUNS} runs per side")
    return ids


def _median(values: list[float | None]) -> float | None:
    known = [float(v) for v in values if v is not None]
    return median(known) if known else None


def metric_deltas(base: list[dict[str, Any]], branch: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per page metric stored as a Run column: name, label, the median of each side, the
    difference and the percent change."""
    rows = []
    for metric in page_metrics(column=True):
        name = metric.name
        a = _median([m.get(name) for m in base])
        b = _median([m.get(name) for m in branch])
        rows.append(
            {
                "name": name,
                "label": metric.label,
                "base": a,
                "branch": b,
                "delta": None if a is None or b is None else b - a,
                "change": change(a, b),
            }
        )
    return rows


def host_deltas(
    base: list[dict[str, dict[str, float]]], branch: list[dict[str, dict[str, float]]]
) -> list[dict[str, Any]]:
    """Per host: the median over each side's runs (a host missing from a run counts as 0),
    with deltas; hosts with the largest byte change first."""
    hosts = sorted({h for run in base + branch for h in run})
    rows = []
    for host in hosts:
        row: dict[str, Any] = {"host": host}
        for field in HOST_FIELDS:
            a = _median([run.get(host, {}).get(field, 0.0) for run in base]) if base else None
            b = _median([run.get(host, {}).get(field, 0.0) for run in branch]) if branch else None
            row[field] = {
                "base": a,
                "branch": b,
                "delta": None if a is None or b is None else b - a,
            }
        rows.append(row)
    rows.sort(key=lambda r: (-abs(r["transfer_bytes"]["delta"] or 0), r["host"]))
    return rows


@dataclass
class Side:
    label: str
    runs: list[Run]

    @property
    def representative(self) -> Run | None:
        """The run with the median load time (the first run when none has one)."""
        timed = sorted((r for r in self.runs if r.load is not None), key=lambda r: r.load or 0)
        if timed:
            return timed[(len(timed) - 1) // 2]
        return self.runs[0] if self.runs else None


def _load(ids: list[int]) -> list[Run]:
    runs = {r.pk: r for r in Run.objects.select_related("scenario", "location").filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in runs]
    if missing:
        raise CompareError(f"no run {', '.join(map(str, missing))}")
    return [runs[pk] for pk in ids]


def same_conditions(base: Side, branch: Side) -> tuple[Side, Side]:
    """Both sides, when all their runs were measured in one browser under one profile;
    CompareError naming each side's browsers or profiles otherwise (runs under different
    conditions are never compared: scenarios.conditions)."""
    refusal = mixed({base.label: base.runs, branch.label: branch.runs})
    if refusal:
        raise CompareError(refusal)
    return base, branch


def load_sets(params: dict[str, str]) -> tuple[Side, Side]:
    """The two sides named by ``?comparison=<id>`` or ``?base=1,2&branch=3,4``, all their
    runs measured under the same conditions (:func:`same_conditions`)."""
    if params.get("comparison"):
        if not params["comparison"].isdigit():
            raise CompareError("comparison must be a number")
        comparison = Comparison.objects.filter(pk=int(params["comparison"])).first()
        if comparison is None:
            raise CompareError(f"no comparison {params['comparison']}")
        runs = list(comparison.runs.select_related("scenario", "location").order_by("sequence"))
        base = [r for r in runs if r.role == "base"]
        branch = [r for r in runs if r.role == "branch"]
        return same_conditions(
            Side(f"base {comparison.base_branch or comparison.base_url}".strip(), base),
            Side(f"branch {comparison.branch or comparison.branch_url}".strip(), branch),
        )
    base_ids, branch_ids = parse_ids(params.get("base", "")), parse_ids(params.get("branch", ""))
    if not base_ids or not branch_ids:
        raise CompareError("give run ids for both sides, e.g. ?base=1,2,3&branch=4,5,6")
    return same_conditions(Side("base", _load(base_ids)), Side("branch", _load(branch_ids)))


def host_totals(runs: list[Run]) -> list[dict[str, dict[str, float]]]:
    """Per run (in order): host → its stored totals, read from RunHost in one query."""
    by_run: dict[int, dict[str, dict[str, float]]] = {r.pk: {} for r in runs}
    for host in RunHost.objects.filter(run_id__in=by_run).values("run_id", "host", *HOST_FIELDS):
        by_run[host["run_id"]][host["host"]] = {f: float(host[f]) for f in HOST_FIELDS}
    return [by_run[r.pk] for r in runs]
