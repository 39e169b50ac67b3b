"""CI comparison verdicts: is a branch's metric different from its base's, and by how much.

Input is plain data (metric name -> values of N runs per side); output is one
:class:`MetricComparison` per metric, judged with the rank statistics of
``core.stats.ranks`` and the metric's minimum effect and direction from the registry
(``core.metrics``). No ORM, no I/O. The method is described for users in
``docs/statistics.md``; keep the two in step.
"""

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core import metrics
from core.stats.ranks import (
    RUNS_NEEDED_CAP,
    Values,
    check_values,
    cliffs_delta,
    effect_size_label,
    holm,
    mann_whitney_u,
    min_runs_for_alpha,
    runs_needed_for_effect,
)

# A non-significant difference only earns "inconclusive" (rather than "no_change") when the
# ranks agree with it at least this much, i.e. at least a "medium" effect.
INCONCLUSIVE_MIN_CLIFFS = 0.33

REGRESSION = "regression"
IMPROVEMENT = "improvement"
NO_CHANGE = "no_change"
INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class MetricComparison:
    """The comparison of one metric between base and branch runs.

    Descriptive fields (medians, IQR, delta, Cliff's delta) are filled whenever both sides have
    at least one value; ``p_value``/``p_adjusted`` only when the metric was tested (both sides
    have at least ``min_runs`` values). ``gated`` says whether the metric is in the Holm family
    and therefore counts for :func:`overall_verdict`.
    """

    metric: str
    base_n: int
    branch_n: int
    base_median: float | None
    branch_median: float | None
    base_iqr: tuple[float, float] | None  # (p25, p75), linear interpolation
    branch_iqr: tuple[float, float] | None
    delta: float | None  # branch_median - base_median
    delta_pct: float | None  # 100 * delta / base_median; None when base_median == 0
    p_value: float | None  # two-sided Mann-Whitney U
    p_adjusted: float | None  # Holm over the tested gated metrics; equals p_value if not gated
    cliffs_delta: float | None  # in [-1, 1]; positive = branch values tend to be larger
    effect_size: str  # negligible | small | medium | large | unknown (a side has no values)
    verdict: str  # regression | improvement | no_change | inconclusive
    reason: str  # one human sentence explaining the verdict
    runs_needed: int | None  # runs per side estimated to settle an inconclusive verdict
    gated: bool

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-serialisable dict (IQRs as ``[p25, p75]`` lists)."""
        data = asdict(self)
        for key in ("base_iqr", "branch_iqr"):
            if data[key] is not None:
                data[key] = list(data[key])
        return data


def default_min_effect(
    name: str, min_effect_ms: float = 50.0, min_effect_pct: float = 5.0
) -> tuple[float, float]:
    """Return the (absolute, percent) minimum effect for metric ``name`` when not overridden.

    The absolute one is the registry's (``Metric.effect``: the metric's own, else its unit's,
    e.g. 1024 bytes, 1 request, 0.01 for a score), except that a time without a minimum of
    its own takes ``min_effect_ms``. A name the registry cannot place is taken to be a time.
    The percentage is ``min_effect_pct`` for all.
    """
    try:
        found = metrics.metric(name)
    except metrics.UnknownMetric:
        return min_effect_ms, min_effect_pct
    if found.unit is metrics.MS and found.min_effect is None:
        return min_effect_ms, min_effect_pct
    return found.effect, min_effect_pct


def overall_verdict(results: Sequence[MetricComparison]) -> str:
    """Return the verdict over the gated results.

    "regression" if any is a regression; else "improvement" if any improved; else
    "inconclusive" if any is inconclusive; else "no_change" (also for no gated results).
    """
    verdicts = {result.verdict for result in results if result.gated}
    for verdict in (REGRESSION, IMPROVEMENT, INCONCLUSIVE):
        if verdict in verdicts:
            return verdict
    return NO_CHANGE


@dataclass(frozen=True)
class _Descriptives:
    base_n: int
    branch_n: int
    base_median: float | None = None
    branch_median: float | None = None
    base_iqr: tuple[float, float] | None = None
    branch_iqr: tuple[float, float] | None = None
    delta: float | None = None
    delta_pct: float | None = None
    cliffs: float | None = None


def _describe(base: np.ndarray, branch: np.ndarray) -> _Descriptives:
    if len(base) == 0 or len(branch) == 0:
        return _Descriptives(len(base), len(branch))
    base_median = float(np.median(base))
    branch_median = float(np.median(branch))
    delta = branch_median - base_median
    base_q = np.percentile(base, [25, 75])
    branch_q = np.percentile(branch, [25, 75])
    return _Descriptives(
        base_n=len(base),
        branch_n=len(branch),
        base_median=base_median,
        branch_median=branch_median,
        base_iqr=(float(base_q[0]), float(base_q[1])),
        branch_iqr=(float(branch_q[0]), float(branch_q[1])),
        delta=delta,
        delta_pct=None if base_median == 0 else 100.0 * delta / base_median,
        cliffs=cliffs_delta(base, branch),
    )


def _change_text(name: str, d: _Descriptives) -> str:
    """``median 1,000 ms -> 1,300 ms (+300 ms, +30.0%)``, in the metric's unit."""
    assert d.base_median is not None and d.branch_median is not None and d.delta is not None
    pct = "" if d.delta_pct is None else f", {d.delta_pct:+.1f}%"
    before = metrics.format_value(name, d.base_median)
    after = metrics.format_value(name, d.branch_median)
    return f"median {before} -> {after} ({metrics.format_value(name, d.delta, signed=True)}{pct})"


def _is_meaningful(d: _Descriptives, minimum: tuple[float, float]) -> bool:
    """Both the absolute and the relative change reach the minimum effect.

    A change away from a base median of 0 is infinitely large in percent, so only the absolute
    minimum decides then.
    """
    assert d.delta is not None
    if d.delta == 0 or abs(d.delta) < minimum[0]:
        return False
    return d.delta_pct is None or abs(d.delta_pct) >= minimum[1]


def compare(
    base: Mapping[str, Values],
    branch: Mapping[str, Values],
    *,
    alpha: float = 0.05,
    min_effect_ms: float = 50.0,
    min_effect_pct: float = 5.0,
    min_effect: Mapping[str, tuple[float, float]] | None = None,
    higher_is_better: frozenset[str] = frozenset(),
    min_runs: int = 3,
    family: Sequence[str] | None = None,
) -> list[MetricComparison]:
    """Compare every metric of ``base`` and ``branch`` runs; return one result per metric.

    Metrics come in the order base's keys, then branch-only keys, then family-only names.
    Values must be finite numbers (drop unknown values before calling).

    - ``family`` names the metrics the caller gates on (default: every metric given). They form
      the Holm family and are ``gated``; the others get a verdict from their raw p but do not
      count for :func:`overall_verdict`. Keep the family to the metrics that matter (5-8):
      with 5 runs per side, Holm over more than 6 metrics can never reach alpha 0.05
      (see :func:`min_runs_for_alpha`).
    - Minimum effect: a difference is meaningful only when |delta| >= the absolute minimum and
      |delta_pct| >= the percent minimum. ``min_effect[metric] = (absolute, pct)`` overrides;
      otherwise :func:`default_min_effect` (the registry's minimum for the metric or its
      unit, ``min_effect_ms`` for times; ``min_effect_pct`` for all).
    - Lower is better unless the metric is in ``higher_is_better``.

    Verdicts: fewer than ``min_runs`` values on a side -> "inconclusive" (``runs_needed`` is
    the larger of ``min_runs`` and the runs the exact test needs for the family). Otherwise a
    two-sided Mann-Whitney test, Holm-adjusted over the tested gated metrics: significant
    (p_adjusted <= alpha) and meaningful -> "regression"/"improvement" (or "inconclusive" in
    the rare case where the medians and the ranks disagree on direction); significant but not
    meaningful -> "no_change"; not significant but meaningful with |Cliff's delta| >= 0.33 ->
    "inconclusive" with ``runs_needed`` from :func:`runs_needed_for_effect`; else "no_change".
    Raises ValueError on bad arguments or values.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    if min_runs < 2:
        raise ValueError("min_runs must be at least 2")
    names = list(dict.fromkeys([*base, *branch, *(family or ())]))
    gated_names = set(names if family is None else family)
    data = {
        name: (
            check_values(base.get(name, ()), f"base[{name!r}]"),
            check_values(branch.get(name, ()), f"branch[{name!r}]"),
        )
        for name in names
    }
    tested = [n for n in names if min(len(data[n][0]), len(data[n][1])) >= min_runs]
    raw_p = {name: mann_whitney_u(*data[name])[1] for name in tested}
    family_p = {name: p for name, p in raw_p.items() if name in gated_names}
    adjusted = holm(family_p)
    family_size = max(1, len(family_p))

    results = []
    for name in names:
        gated = name in gated_names
        minimum = (min_effect or {}).get(name) or default_min_effect(
            name, min_effect_ms, min_effect_pct
        )
        d = _describe(*data[name])
        p = raw_p.get(name)
        p_adj = adjusted.get(name, p)
        runs_needed: int | None
        if p is None:
            size = max(1, len(gated_names)) if gated else 1
            verdict, reason, runs_needed = _insufficient(name, d, min_runs, alpha, size)
        else:
            assert p_adj is not None
            verdict, reason, runs_needed = _tested_verdict(
                name,
                d,
                p,
                p_adj,
                alpha=alpha,
                minimum=minimum,
                lower_is_better=name not in higher_is_better,
                family_size=family_size if gated else 1,
            )
        results.append(
            MetricComparison(
                metric=name,
                base_n=d.base_n,
                branch_n=d.branch_n,
                base_median=d.base_median,
                branch_median=d.branch_median,
                base_iqr=d.base_iqr,
                branch_iqr=d.branch_iqr,
                delta=d.delta,
                delta_pct=d.delta_pct,
                p_value=p,
                p_adjusted=p_adj,
                cliffs_delta=d.cliffs,
                effect_size=effect_size_label(d.cliffs),
                verdict=verdict,
                reason=reason,
                runs_needed=runs_needed,
                gated=gated,
            )
        )
    return results


def _insufficient(
    name: str, d: _Descriptives, min_runs: int, alpha: float, family_size: int
) -> tuple[str, str, int]:
    needed = max(min_runs, min_runs_for_alpha(alpha, family_size))
    if d.base_n == 0 and d.branch_n == 0:
        what = "no values on either side"
    elif d.base_n == 0 or d.branch_n == 0:
        what = f"no {'base' if d.base_n == 0 else 'branch'} values"
    else:
        what = f"only {d.base_n} base and {d.branch_n} branch runs"
    reason = (
        f"{name} is inconclusive: {what}, but at least {min_runs} per side are required "
        f"and {needed} are needed to reach significance."
    )
    return INCONCLUSIVE, reason, needed


def _tested_verdict(
    name: str,
    d: _Descriptives,
    p: float,
    p_adj: float,
    *,
    alpha: float,
    minimum: tuple[float, float],
    lower_is_better: bool,
    family_size: int,
) -> tuple[str, str, int | None]:
    assert d.delta is not None and d.cliffs is not None
    change = _change_text(name, d)
    p_text = f"p={p:.3g}" if family_size == 1 else f"p={p:.3g}, Holm-adjusted {p_adj:.3g}"
    minimum_text = f"{metrics.format_value(name, minimum[0])} and {minimum[1]:g}%"
    significant = p_adj <= alpha
    meaningful = _is_meaningful(d, minimum)
    if significant and meaningful:
        if d.cliffs != 0 and (d.cliffs > 0) != (d.delta > 0):
            reason = (
                f"{name} is inconclusive: the {change} points one way and the ranks the "
                f"other (Cliff's delta {d.cliffs:+.2f}, {p_text})."
            )
            return INCONCLUSIVE, reason, None
        worse = (d.delta > 0) == lower_is_better
        verdict = REGRESSION if worse else IMPROVEMENT
        reason = (
            f"{name} {'regressed' if worse else 'improved'}: the {change} reaches the minimum "
            f"effect of {minimum_text} and is significant ({p_text} <= {alpha:g})."
        )
        return verdict, reason, None
    if significant:
        reason = (
            f"{name} did not change: the {change} is significant but below minimum effect "
            f"of {minimum_text} ({p_text})."
        )
        return NO_CHANGE, reason, None
    if meaningful and abs(d.cliffs) >= INCONCLUSIVE_MIN_CLIFFS:
        needed = max(
            runs_needed_for_effect(d.cliffs, alpha, family_size),
            min(d.base_n, d.branch_n) + 1,
        )
        needed = min(needed, RUNS_NEEDED_CAP)
        reason = (
            f"{name} is inconclusive: the {change} reaches the minimum effect of "
            f"{minimum_text} but is not significant ({p_text} > {alpha:g}, Cliff's delta "
            f"{d.cliffs:+.2f}); about {needed} runs per side would settle it."
        )
        return INCONCLUSIVE, reason, needed
    reason = (
        f"{name} did not change: the {change} is not a significant difference above the "
        f"minimum effect of {minimum_text} ({p_text})."
    )
    return NO_CHANGE, reason, None
