"""The report of a CI comparison: two sets of result documents in, verdicts and reasons out.

Pure: plain data in, plain data out (no ORM, no I/O). Which metrics get a row, which are
gated by default and which splits are worth reporting come from the metric registry
(``core.metrics``); the statistics are ``core.stats.verdict``, the explanation of a change
``core.stats.attribution`` and budgets ``core.stats.budgets``. The workflow that measures the
runs is ``scenarios.ci.workflow``.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from core.metrics import ENTITY, NUMBER, SCORE, UnknownMetric, page_names, split_name, unit_of
from core.stats import verdict as stats
from core.stats.attribution import attribute
from core.stats.budgets import evaluate_budgets, has_requests, is_group_metric, metric_values

# TTFB is part of FCP, LCP and load, so it is reported but not gated by default: each gated
# metric costs power under Holm (see docs/ci.md).
DEFAULT_FAMILY = page_names(gated=True)
# Runs a side needs before a metric is tested (with fewer it is inconclusive); a history
# comparison needs as many stored base runs.
MIN_RUNS = 3


def _values(results: Sequence[Mapping[str, Any]], names: set[str]) -> dict[str, list[float]]:
    """Per metric name, the values of the runs that have it; absent splits count as 0."""
    values: dict[str, list[float]] = {name: [] for name in names}
    for result in results:
        named = metric_values(result)
        recorded = has_requests(result)
        for name in names:
            if name in named:
                values[name].append(named[name])
            elif recorded and is_group_metric(name):
                values[name].append(0.0)
    return values


def _reported(result: Mapping[str, Any]) -> list[str]:
    """The names a run contributes rows for: its page and named metrics, its steps' durations
    and own metrics, and the fields of its splits that their family reports
    (``Family.reported``), third-party entities only."""
    names = []
    for name in metric_values(result):
        if not is_group_metric(name):
            names.append(name)
            continue
        try:
            parts = split_name(name)
        except UnknownMetric:
            continue  # an imported name that only looks like a split
        if parts is None:
            continue
        family, member, field = parts
        if field.name not in family.reported:
            continue
        if (
            family is ENTITY
            and (result.get("entities") or {}).get(member, {}).get("party") == "first"
        ):
            continue
        names.append(name)
    return names


def compare_runs(
    base: Sequence[Mapping[str, Any]],
    branch: Sequence[Mapping[str, Any]],
    *,
    options: Mapping[str, Any] | None = None,
    budgets: Mapping[str, float] | None = None,
    requests: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The comparison report of two sets of result documents (plain data in, plain data out).

    ``options``: ``alpha`` (0.05), ``min_effect_ms`` (50), ``min_effect_pct`` (5),
    ``metrics`` (the gated family, default :data:`DEFAULT_FAMILY`: any metric name of
    ``core.stats.budgets``, named metrics and steps' included). ``requests``: the scenario's
    named request declarations, with which a ``request.<name>.*`` change is attributed to
    the requests they match (``core.stats.attribution``). Returns
    ``{"verdict", "gate", "metrics": [MetricComparison dicts], "attribution": [...],
    "budgets": [...], "budgets_passed", "runs": {"base", "branch"}}``; ``gate`` is "fail" on
    a regression or a budget over its limit, else "pass". Attribution covers every gated
    metric that regressed or improved, but splits and the values not made of requests
    (scores, JS values and backend series).
    """
    options = options or {}
    ordered: dict[str, None] = {}
    for result in [*base, *branch]:
        ordered.update(dict.fromkeys(_reported(result)))
    requested = list(options.get("metrics") or DEFAULT_FAMILY)
    names = set(ordered) | set(requested)
    base_values, branch_values = _values(base, names), _values(branch, names)
    # A metric whose pooled values are all equal can never be significant; leaving it out of
    # the Holm family before testing is decided on the pooled values alone (the same under
    # every relabelling of the runs), so the family-wise error rate is still controlled.
    constant = [
        m
        for m in requested
        if len(set(base_values[m] + branch_values[m])) <= 1
        and bool(base_values[m]) == bool(branch_values[m])
    ]
    family = [m for m in requested if m not in constant]
    present = [m for m in names if base_values[m] or branch_values[m]]
    results = stats.compare(
        {m: base_values[m] for m in present},
        {m: branch_values[m] for m in present},
        alpha=float(options.get("alpha", 0.05)),
        min_effect_ms=float(options.get("min_effect_ms", 50.0)),
        min_effect_pct=float(options.get("min_effect_pct", 5.0)),
        min_runs=MIN_RUNS,
        family=family,
    )
    order = {name: i for i, name in enumerate(dict.fromkeys([*requested, *ordered]))}
    results.sort(key=lambda r: order.get(r.metric, len(order)))
    verdict = stats.overall_verdict(results)
    attribution = [
        attribute(r.metric, base, branch, requests=requests)
        for r in results
        if r.gated
        and r.verdict in (stats.REGRESSION, stats.IMPROVEMENT)
        and not is_group_metric(r.metric)
        # A score (CLS), a JS value or a backend series is not made of requests: there is
        # nothing to attribute it to.
        and unit_of(r.metric) not in (SCORE, NUMBER)
    ]
    budget_results = [b.as_dict() for b in evaluate_budgets(budgets or {}, branch)]
    budgets_passed = all(b["passed"] for b in budget_results)
    return {
        "verdict": verdict,
        "gate": "fail" if verdict == stats.REGRESSION or not budgets_passed else "pass",
        "metrics": [r.as_dict() for r in results],
        "attribution": attribution,
        "budgets": budget_results,
        "budgets_passed": budgets_passed,
        "runs": {"base": len(base), "branch": len(branch)},
        "options": {
            "alpha": float(options.get("alpha", 0.05)),
            "metrics": requested,
            "constant": constant,
        },
    }
