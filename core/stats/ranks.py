"""Rank statistics for two samples: exact Mann-Whitney, Cliff's delta, Holm, runs needed.

Pure functions over plain sequences or numpy arrays; no ORM, no I/O. The per-metric verdict
built on them is ``core.stats.verdict``; ``docs/statistics.md`` explains both to users.
"""

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.stats import mannwhitneyu, norm

# Romano et al. (2006) thresholds on |Cliff's delta|.
_EFFECT_THRESHOLDS = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"))
RUNS_NEEDED_CAP = 200
# Up to this many runs in total the p-value comes from the exact permutation distribution
# (ties included). C(50, 25) ~ 1.3e14 is still exact in a float64 count.
_EXACT_MAX_TOTAL = 50

# Plain sequences from a result document, or numpy arrays.
Values = Sequence[float] | npt.NDArray[np.floating[Any]]


def check_values(values: Values, what: str) -> np.ndarray:
    """``values`` as a flat float array; ValueError naming ``what`` unless all are finite."""
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
    a_values = check_values(a, "a")
    b_values = check_values(b, "b")
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
    base_values = check_values(base, "base")
    branch_values = check_values(branch, "branch")
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
