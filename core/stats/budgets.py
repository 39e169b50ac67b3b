"""Named metrics of a result document, and performance budgets over them. Pure functions.

One vocabulary of metric names serves comparisons, budgets and imported results:

- page metrics by their result-document name: ``lcp``, ``fcp``, ``requests``,
  ``transfer_bytes``, ``third_party_blocking_ms`` … (any number in ``metrics``);
- named metrics and CPU counters, keys of ``metrics`` too: ``user.checkout_ready``,
  ``request.create_chat.duration_ms``, ``custom.cart_items``, ``ws.chat.reply_ms``,
  ``backend.api_p95``, ``cpu.script_ms`` (docs/result-document.md);
- ``party.<first|third>.<field>``, ``type.<content class>.<field>``,
  ``entity.<entity>.<field>`` and ``host.<host>.<field>`` for the splits, where ``field`` is
  one of the registry's totals fields (``core.metrics.TOTALS``; e.g.
  ``party.third.transfer_bytes``, ``type.js.transfer_bytes``);
- ``step.<step>.duration_ms`` for a measured step, and ``step.<step>.<name>`` for each of
  its own metrics (``step.checkout.request.pay.duration_ms``, ``step.checkout.cpu.script_ms``).

A budget names one of these (core.metrics.metric_problem says which names are);
:func:`validate_budgets` refuses any other.

A budget is ``{metric: maximum}`` (``Scenario.budgets``), met when the median of the runs is
at most the maximum. Messages print values in the metric's unit (``core.metrics``).
"""

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.metrics import STEP, TOTALS_FAMILIES, format_value, metric_problem

_PREFIXES = frozenset(family.prefix for family in TOTALS_FAMILIES)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def metric_values(result: Mapping[str, Any]) -> dict[str, float]:
    """Every named metric of one result document (see the module docstring).

    Values that are null or not numbers are left out, and so is a named metric a run did not
    measure (absent, never 0). A split group absent from a run that recorded requests is
    absent here too; :func:`has_requests` tells callers when an absent group means zero. Of
    two steps with one name, the first counts.
    """
    values: dict[str, float] = {}
    for name, value in (result.get("metrics") or {}).items():
        number = _number(value)
        if number is not None:
            values[str(name)] = number
    for family in TOTALS_FAMILIES:
        for member, totals in family.members(result):
            for field in family.field_names():
                number = _number(totals.get(field))
                if number is not None:
                    values.setdefault(f"{family.prefix}.{member}.{field}", number)
    for member, step in STEP.members(result):
        own = step.get("metrics")
        named = {
            "duration_ms": step.get("duration_ms"),
            **(own if isinstance(own, Mapping) else {}),
        }
        for name, value in named.items():
            number = _number(value)
            if number is not None:
                values.setdefault(f"{STEP.prefix}.{member}.{name}", number)
    return values


def has_requests(result: Mapping[str, Any]) -> bool:
    """Whether the run recorded its requests (a browser run or an imported HAR)."""
    return bool(result.get("requests")) or bool(result.get("hosts"))


def is_group_metric(name: str) -> bool:
    """Whether ``name`` is a split (``party.third.transfer_bytes``), not a page metric."""
    return name.split(".", 1)[0] in _PREFIXES and "." in name


@dataclass(frozen=True)
class BudgetResult:
    """One budget checked against the median of ``n`` runs; ``median`` None when no run had it."""

    metric: str
    limit: float
    median: float | None
    n: int
    passed: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_budgets(budgets: Any) -> dict[str, float]:
    """Return ``budgets`` as ``{metric: float}``; raise ValueError naming the bad entry: a
    maximum that is not a number >= 0, or a name that is no metric (see the module
    docstring)."""
    clean = _limits(budgets)
    for metric in clean:
        if problem := metric_problem(metric):
            raise ValueError(f"budget {metric!r}: {problem}")
    return clean


def _limits(budgets: Any) -> dict[str, float]:
    """``budgets`` as ``{metric: float}``, names unchecked; ValueError for a bad maximum."""
    if not isinstance(budgets, Mapping):
        raise ValueError("budgets must be an object of metric → maximum")
    clean: dict[str, float] = {}
    for metric, limit in budgets.items():
        number = _number(limit)
        if not isinstance(metric, str) or not metric or number is None or number < 0:
            raise ValueError(f"budget {metric!r}: the maximum must be a number >= 0")
        clean[metric] = number
    return clean


def evaluate_budgets(
    budgets: Mapping[str, float], runs: Sequence[Mapping[str, Any]]
) -> list[BudgetResult]:
    """Check each budget against the median over ``runs`` (result documents), in budget order.

    Split metrics count as 0 in a run that recorded requests but not that group (no
    third-party request means 0 third-party bytes). A budget no run can be evaluated on fails:
    a limit that cannot be checked is not met; so does one saved under a name the registry
    no longer knows (its names are checked when saved, :func:`validate_budgets`). Raises
    ValueError for a maximum that is not a number >= 0.
    """
    per_run = [(metric_values(run), has_requests(run)) for run in runs]
    results = []
    for metric, limit in _limits(budgets).items():
        values = _values_of(metric, per_run)
        if not values:
            results.append(
                BudgetResult(
                    metric,
                    limit,
                    None,
                    0,
                    False,
                    f"{metric}: no run has a value, budget {format_value(metric, limit)}",
                )
            )
            continue
        median = float(statistics.median(values))
        passed = median <= limit
        verb = "within" if passed else "over"
        median_text, limit_text = format_value(metric, median), format_value(metric, limit)
        results.append(
            BudgetResult(
                metric,
                limit,
                median,
                len(values),
                passed,
                f"{metric}: median {median_text} is {verb} the budget of {limit_text}",
            )
        )
    return results


def _values_of(metric: str, per_run: Iterable[tuple[dict[str, float], bool]]) -> list[float]:
    values = []
    for named, recorded in per_run:
        if metric in named:
            values.append(named[metric])
        elif recorded and is_group_metric(metric):
            values.append(0.0)
    return values
