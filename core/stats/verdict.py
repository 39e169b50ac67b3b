"""CI comparison statistics: is a branch's metric different from its base's? Pure functions.

Input is plain data (metric name -> values of N runs per side); output is one
:class:`MetricComparison` per metric. No ORM, no I/O. The method is described for users in
``docs/statistics.md``; keep the two in step.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import mannwhitneyu, norm

# Romano et al. (2006) thresholds on |Cliff's delta|.
_EFFECT_THRESHOLDS = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"))
# A non-significant difference only earns "inconclusive" (rather than "no_change") when the
# ranks agree with it at least this much, i.e. at least a "medium" effect.
INCONCLUSIVE_MIN_CLIFFS = 0.33
RUNS_NEEDED_CAP = 200
# Up to this many runs in total the p-value comes from the exact permutation distribution
# (ties included). C(50, 25) ~ 1.3e14 is still exact in a float64 count.
_EXACT_MAX_TOTAL = 50

# Plain sequences from a result document, or numpy arrays.
Values = Sequence[float] | npt.NDArray[np.floating[Any]]

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


def _check_values(values: Values, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ValueError(f"{what}: values must be a flat sequence of finite numbers")
    return array


def _doubled_midranks(values: np.ndarray) -> np.ndarray:
    """Return 2 x the average ranks (1-based) of ``values``; always integers."""
    order = np.argsort(values, kind="stable")
    ranks2 = np.empty(len(values), dtype=np.int64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        # Positions start..end (0-based) share the average of ranks start+1..end+1.
        ranks2[order[start : end + 1]] = start + end + 2
        start = end + 1
    return ranks2


def _exact_two_sided_p(ranks2: np.ndarray, k: int, observed2: int) -> float:
    """P(|R - E[R]| >= |observed - E[R]|) for the sum R of ``k`` of ``ranks2`` drawn at random.

    The permutation distribution is counted exactly by dynamic programming over subset sums,
    so tied ranks are handled without approximation.
    """
    total = int(ranks2.sum())
    counts = np.zeros((k + 1, total + 1))  # counts[j, s]: j-subsets with rank sum s
    counts[0, 0] = 1.0
    for rank in ranks2:
        # The right-hand side is built from the old rows before assignment: each rank is used once.
        counts[1:, rank:] = counts[1:, rank:] + counts[:-1, : total + 1 - rank]
    distribution = counts[k]
    mean2 = k * total / len(ranks2)  # E[R]
    deviation = abs(observed2 - mean2)
    sums = np.arange(total + 1)
    extreme = distribution[np.abs(sums - mean2) >= deviation - 1e-9].sum()
    return float(min(1.0, extreme / distribution.sum()))


def mann_whitney_u(a: Values, b: Values) -> tuple[float, float]:
    """Return ``(U, p)``: the Mann-Whitney U of ``b`` against ``a`` and its two-sided p-value.

    U counts the pairs (a_i, b_j) with b_j > a_i, ties counting one half. With at most 50
    values in total p is the exact permutation p-value, correct with ties too: scipy's
    "exact" method ignores ties and its "auto" then switches to the normal approximation,
    which for tied 5 v 5 samples reports half the true smallest p. Larger samples use
    scipy's tie-corrected normal approximation with continuity correction. When all values
    are equal p is 1.
    Raises ValueError when a side is empty or holds a non-finite value.
    """
    a_values = _check_values(a, "a")
    b_values = _check_values(b, "b")
    if len(a_values) == 0 or len(b_values) == 0:
        raise ValueError("both samples need at least one value")
    n_a, n_b = len(a_values), len(b_values)
    pooled = np.concatenate([a_values, b_values])
    ranks2 = _doubled_midranks(pooled)
    rank_sum2_b = int(ranks2[n_a:].sum())
    u = rank_sum2_b / 2 - n_b * (n_b + 1) / 2
    if np.all(pooled == pooled[0]):
        return u, 1.0
    if n_a + n_b <= _EXACT_MAX_TOTAL:
        return u, _exact_two_sided_p(ranks2, n_b, rank_sum2_b)
    result = mannwhitneyu(b_values, a_values, alternative="two-sided", method="asymptotic")
    return u, float(result.pvalue)


def cliffs_delta(base: Values, branch: Values) -> float:
    """Return Cliff's delta, P(branch > base) - P(branch < base), in [-1, 1].

    Positive means branch values tend to be larger. Raises ValueError on an empty side or a
    non-finite value.
    """
    base_values = _check_values(base, "base")
    branch_values = _check_values(branch, "branch")
    if len(base_values) == 0 or len(branch_values) == 0:
        raise ValueError("both samples need at least one value")
    signs = np.sign(branch_values[:, None] - base_values[None, :])
    return float(signs.sum() / signs.size)


def effect_size_label(delta: float | None) -> str:
    """Return the Romano et al. label for ``|delta|``, or "unknown" for None."""
    if delta is None:
        return "unknown"
    for threshold, label in _EFFECT_THRESHOLDS:
        if abs(delta) < threshold:
            return label
    return "large"


def holm(p_values: Mapping[str, float]) -> dict[str, float]:
    """Return Holm-Bonferroni adjusted p-values, keyed and ordered like ``p_values``.

    The i-th smallest p (1-based) is multiplied by m - i + 1, then a running maximum keeps the
    adjusted values monotone in the raw ones, and each is capped at 1. Rejecting where the
    adjusted p <= alpha controls the family-wise error rate at alpha. Raises ValueError for a
    p outside [0, 1].
    """
    for name, p in p_values.items():
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"p-value of {name!r} is not in [0, 1]: {p}")
    m = len(p_values)
    adjusted: dict[str, float] = {}
    running = 0.0
    for i, name in enumerate(sorted(p_values, key=lambda key: p_values[key])):
        running = max(running, min(1.0, (m - i) * p_values[name]))
        adjusted[name] = running
    return {name: adjusted[name] for name in p_values}


def min_runs_for_alpha(alpha: float, family_size: int) -> int:
    """Return the smallest n per side at which n v n runs can be significant after Holm.

    The best an exact two-sided test can do is full separation, p = 2 / C(2n, n); Holm
    multiplies the smallest p by ``family_size``. E.g. at alpha 0.05: n = 5 (p 0.0079) serves
    families of up to 6 metrics, n = 6 (p 0.0022) up to 23. Raises ValueError unless
    0 < alpha < 1 and family_size >= 1.
    """
    if not 0.0 < alpha < 1.0 or family_size < 1:
        raise ValueError("need 0 < alpha < 1 and family_size >= 1")
    n = 1
    # Integer arithmetic on the left keeps the boundary (p * m == alpha) exact enough.
    while 2 * family_size > alpha * math.comb(2 * n, n):
        n += 1
    return n


def runs_needed_for_effect(delta: float, alpha: float, family_size: int) -> int:
    """Return the runs per side at which an observed Cliff's delta would reach significance.

    Normal approximation of U for n v n runs without ties: z = |d| * sqrt(3 n^2 / (2n + 1)).
    Setting z to the two-sided critical value z* of alpha / family_size (Holm's factor for the
    smallest p) and solving for n gives n = (z*^2 + z* sqrt(z*^2 + 3 d^2)) / (3 d^2). The
    result is rounded up, raised to :func:`min_runs_for_alpha` (the exact test's floor) and
    capped at 200. It is the point where the observed effect, if it is real and stays the
    same size, would *just* be significant: about even odds, so a lower bound.
    """
    floor = min_runs_for_alpha(alpha, family_size)
    if delta == 0:
        return RUNS_NEEDED_CAP
    z = float(norm.ppf(1 - alpha / (2 * family_size)))
    d2 = delta * delta
    n = (z * z + z * math.sqrt(z * z + 3 * d2)) / (3 * d2)
    return min(RUNS_NEEDED_CAP, max(floor, math.ceil(n - 1e-9)))


def default_min_effect(
    metric: str, min_effect_ms: float = 50.0, min_effect_pct: float = 5.0
) -> tuple[float, float]:
    """Return the (absolute, percent) minimum effect for ``metric`` when not overridden.

    Names containing "bytes" -> 1024 bytes; containing "requests" -> 1 request; "cls" (or
    ending in "_cls") -> 0.01; anything else is taken to be a time -> ``min_effect_ms``.
    The percentage is ``min_effect_pct`` for all.
    """
    if "bytes" in metric:
        return 1024.0, min_effect_pct
    if "requests" in metric:
        return 1.0, min_effect_pct
    if metric == "cls" or metric.endswith("_cls"):
        return 0.01, min_effect_pct
    return min_effect_ms, min_effect_pct


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


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def _change_text(d: _Descriptives) -> str:
    assert d.base_median is not None and d.branch_median is not None and d.delta is not None
    pct = "" if d.delta_pct is None else f", {d.delta_pct:+.1f}%"
    sign = "+" if d.delta > 0 else ""
    return f"median {_fmt(d.base_median)} -> {_fmt(d.branch_median)} ({sign}{_fmt(d.delta)}{pct})"


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
      otherwise :func:`default_min_effect` (``min_effect_ms`` for times, 1024 for *bytes*,
      1 for *requests*, 0.01 for cls; ``min_effect_pct`` for all).
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
            _check_values(base.get(name, ()), f"base[{name!r}]"),
            _check_values(branch.get(name, ()), f"branch[{name!r}]"),
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
    change = _change_text(d)
    p_text = f"p={p:.3g}" if family_size == 1 else f"p={p:.3g}, Holm-adjusted {p_adj:.3g}"
    minimum_text = f"{_fmt(minimum[0])} and {minimum[1]:g}%"
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
