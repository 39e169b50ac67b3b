"""A load test's report as the dashboard shows it: one row per stage, one row per metric, and
the degradation curve's data. Labels and units come from the metric registry."""

from dataclasses import dataclass
from typing import Any

from core.load.plan import MEDIAN
from core.load.report import value_of
from core.metrics import label_of, unit_of
from scenarios.models import LoadTest


@dataclass
class MetricRow:
    """One metric across the stages: (median, p95) per stage, None where unmeasured."""

    name: str
    label: str
    values: list[tuple[float | None, float | None]]


def metric_rows(report: dict[str, Any], chosen: str) -> list[MetricRow]:
    """Every metric of ``report`` with its median and p95 per stage; ``chosen`` first."""
    names = sorted(report.get("metrics") or [], key=lambda name: (name != chosen, name))
    stages = report.get("stages") or []
    return [
        MetricRow(
            name=name,
            label=label_of(name),
            values=[(value_of(row, name, MEDIAN), value_of(row, name, "p95")) for row in stages],
        )
        for name in names
    ]


def percent(value: float | None) -> float | None:
    return None if value is None else value * 100


def stage_rows(report: dict[str, Any], chosen: str, statistic: str) -> list[dict[str, Any]]:
    """The report's stages with, for the table, the chosen metric's median and p95, the
    value its limit is judged on, and the error rate in percent."""
    return [
        {
            **row,
            "chosen_median": value_of(row, chosen, MEDIAN),
            "chosen_p95": value_of(row, chosen, "p95"),
            "judged": value_of(row, chosen, statistic),
            "error_percent": percent(row.get("error_rate")),
        }
        for row in report.get("stages") or []
    ]


def chart_data(
    test: LoadTest, report: dict[str, Any], compared: dict[str, Any] | None
) -> dict[str, Any]:
    """What load.js draws: per number of users (x), the chosen metric's median and p95, the
    limit, the earlier load test's value of the chosen statistic, and the agents' highest
    mean CPU and the error rate (percent)."""
    stages = report.get("stages") or []
    by_users = {row["users"]: row for row in stages}
    users = sorted({*by_users, *(r["users"] for r in (compared or {}).get("rows", []))})
    earlier = {r["users"]: r["earlier"] for r in (compared or {}).get("rows", [])}

    def series(pick: Any) -> list[Any]:
        return [pick(by_users[n]) if n in by_users else None for n in users]

    return {
        "status": test.status,
        "metric": test.metric,
        "label": label_of(test.metric),
        "unit": unit_of(test.metric).name,
        "statistic": test.statistic,
        "limit": test.limit,
        "users": users,
        "median": series(lambda row: value_of(row, test.metric, MEDIAN)),
        "p95": series(lambda row: value_of(row, test.metric, "p95")),
        "earlier": [earlier.get(n) for n in users] if compared else None,
        "earlier_id": compared["load_test"] if compared else None,
        "cpu": series(lambda row: row.get("cpu_percent")),
        "errors": series(lambda row: percent(row.get("error_rate"))),
    }
