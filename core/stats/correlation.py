"""Which hosts and entities move with a page metric over a scenario's run history.

Pure functions over the run history of ``core.stats.host_series`` (no ORM, no I/O).

Statistics chosen, and why:

- Correlation: Spearman's rho (Pearson on average ranks): robust to outliers, any monotone
  relation counts.
- Slope: Theil-Sen (median of pairwise slopes) in page-metric units per unit of measure: it
  keeps the units a reader needs ("ms of LCP per ms of ads.js"), which OLS on ranks would not,
  and shrugs off outliers. It uses at most 600 runs, evenly spaced in time, to stay fast.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from core.stats.host_series import (
    EXPLAINING,
    MEASURES,
    Array,
    entity_columns,
    host_columns,
    usable_runs,
)

_THEIL_SEN_MAX_POINTS = 600


@dataclass(frozen=True)
class HostCorrelation:
    """How strongly one host's (or entity's) cost moves with the page metric."""

    key: str  # host or entity
    kind: str  # "host" | "entity"
    party: str
    measure: str  # the measure with the highest |coefficient|
    coefficient: float  # Spearman rho with the page metric
    slope: float  # Theil-Sen: page-metric units per unit of measure
    n: int  # runs used


def rank_correlations(
    runs: Sequence[Mapping[str, Any]],
    *,
    by: str = "host",
    measures: Sequence[str] = EXPLAINING,
    min_runs: int = 10,
) -> list[HostCorrelation]:
    """Rank hosts (or entities, `by="entity"`, hosts summed) by correlation with the metric.

    Returns one entry per key, on the measure with the highest |rho|, sorted by |rho| desc then
    key. Keys whose measures are all constant are skipped. Returns [] when fewer than
    `min_runs` runs have a metric or the metric is constant. Raises ValueError on an unknown
    `by` or measure.
    """
    if by not in ("host", "entity"):
        raise ValueError(f"by must be 'host' or 'entity', not {by!r}")
    if not measures or any(m not in MEASURES for m in measures):
        raise ValueError(f"measures must be a non-empty subset of {MEASURES}, got {measures!r}")
    rows, y = usable_runs(runs)
    if len(rows) < max(min_runs, 3) or np.ptp(y) == 0:
        return []
    cols = host_columns(runs, rows, measures)
    if by == "entity":
        cols = entity_columns(cols)
    ranked_y = stats.rankdata(y)
    ranked_y -= ranked_y.mean()
    rhos = {m: _spearman(ranked_y, cols.data[m]) for m in measures}
    out: list[HostCorrelation] = []
    for j, key in enumerate(cols.keys):
        best: tuple[str, float] | None = None
        for m in measures:
            rho = float(rhos[m][j])
            if math.isfinite(rho) and (best is None or abs(rho) > abs(best[1])):
                best = (m, rho)
        if best is None:
            continue
        measure, rho = best
        slope = _theil_sen(cols.data[measure][:, j], y)
        out.append(
            HostCorrelation(key, cols.kinds[j], cols.parties[j], measure, rho, slope, len(rows))
        )
    out.sort(key=lambda c: (-abs(c.coefficient), c.key))
    return out


def _spearman(ranked_y: Array, x: Array) -> Array:
    """Spearman rho of centred y ranks with every column of x; NaN for constant columns."""
    ranked_x = stats.rankdata(x, axis=0)
    ranked_x -= ranked_x.mean(axis=0)
    denominator = np.sqrt(float(ranked_y @ ranked_y) * (ranked_x * ranked_x).sum(axis=0))
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = (ranked_y @ ranked_x) / denominator
    rho[denominator == 0] = np.nan
    return np.clip(rho, -1.0, 1.0)


def _theil_sen(x: Array, y: Array) -> float:
    """Median pairwise slope on at most _THEIL_SEN_MAX_POINTS runs evenly spaced in time.

    Falls back to OLS on all runs when the sample happens to hold a single x value.
    """
    sample_x, sample_y = x, y
    if len(x) > _THEIL_SEN_MAX_POINTS:
        idx = np.unique(np.linspace(0, len(x) - 1, _THEIL_SEN_MAX_POINTS).round().astype(np.intp))
        sample_x, sample_y = x[idx], y[idx]
    i, j = np.triu_indices(len(sample_x), 1)
    dx = sample_x[j] - sample_x[i]
    keep = dx != 0
    if not keep.any():
        xc = x - x.mean()
        return float(xc @ (y - y.mean()) / (xc @ xc))
    return float(np.median((sample_y[j] - sample_y[i])[keep] / dx[keep]))
