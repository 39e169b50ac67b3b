"""When did a page metric get worse, and which hosts and entities explain it.

Pure functions over the run history of ``core.stats.host_series`` (no ORM, no I/O).

Statistics chosen, and why:

- Change points: binary segmentation on the Mann-Whitney statistic. Each segment is split
  where the standardised rank-sum |z| is largest (one rank pass gives every split). A split is
  accepted when its Mann-Whitney p-value, Bonferroni-corrected for the number of splits
  scanned, is below `alpha` and the median shift meets both minimum deltas. The strongest
  accepted split across all open segments goes first, up to `max_points`.
- Culprits: for each host and entity, the medians of the `window` runs either side of the
  change (clipped to the neighbouring change points). A measure counts when it grew by more
  than 3 sigma (sigma = 1.4826 x MAD of both windows around their own medians, so the shift
  itself does not inflate the noise) and a Mann-Whitney test gives p < 0.05.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from core.metrics import HEADLINE, format_value, unit_of
from core.stats.host_series import (
    EXPLAINING,
    Array,
    Columns,
    entity_columns,
    host_columns,
    usable_runs,
)

_MAD_TO_SIGMA = 1.4826  # MAD x 1.4826 = standard deviation, for normal noise
_CULPRIT_SIGMAS = 3.0
_CULPRIT_ALPHA = 0.05
_SUMMARY_CULPRITS = 3


@dataclass(frozen=True)
class ChangePoint:
    """A shift in the page metric; the regimes either side end at the neighbouring changes."""

    index: int  # first run index of the new regime, in the caller's sequence
    t: Any  # that run's "t"
    before_median: float
    after_median: float
    delta: float
    delta_pct: float | None  # None when the median before is 0
    p_value: float  # two-sided Mann-Whitney (normal approximation) between the two regimes


@dataclass(frozen=True)
class Culprit:
    """A host or entity whose measure grew at a change; medians of the windows either side."""

    key: str
    kind: str
    party: str
    measure: str
    before: float
    after: float
    delta: float
    share: float  # estimated share of the page-metric change it explains, 0..1


@dataclass(frozen=True)
class Regression:
    """A change point where the page got worse, with the hosts that explain it."""

    change: ChangePoint
    metric: str
    culprits: list[Culprit]  # share desc, hosts before entities on ties

    def summary(self) -> str:
        """One line: the change and up to three culprits.

        An entity is not named when one of its hosts already is (the host says more).
        """
        c = self.change
        head = f"{self.metric} {format_value(self.metric, c.delta, signed=True)}"
        head += f" since {_format_time(c.t)}"
        named: list[Culprit] = []
        for culprit in self.culprits:
            if len(named) == _SUMMARY_CULPRITS:
                break
            if culprit.kind == "entity" and any(
                n.kind == "host" and f".{n.key}".endswith(f".{culprit.key}") for n in named
            ):
                continue
            named.append(culprit)
        if not named:
            return f"{head}; no host explains it"
        parts = [
            f"{n.key} {n.measure} {format_value(n.measure, n.delta, signed=True)} ({n.share:.0%})"
            for n in named
        ]
        return f"{head}; {', '.join(parts)}"


def detect_change_points(
    values: Sequence[float] | Array,
    *,
    min_size: int = 5,
    min_delta: float = 0.0,
    min_delta_pct: float = 10.0,
    alpha: float = 0.01,
    max_points: int = 5,
) -> list[int]:
    """Return the sorted indices where a new regime starts (each side >= `min_size` values).

    A split needs a Bonferroni-corrected Mann-Whitney p < `alpha`, a median shift of at least
    `min_delta` and at least `min_delta_pct` % of the median before (always met when that
    median is 0), and a non-zero shift. A segment whose best split fails is not searched
    further. Finally, while a point's final regimes (between its neighbours) miss a minimum
    delta, the one with the smallest shift is dropped. Raises ValueError on non-finite values
    or min_size < 1.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or not np.all(np.isfinite(v)):
        raise ValueError("values must be a flat sequence of finite numbers")
    if min_size < 1:
        raise ValueError("min_size must be at least 1")
    found: list[int] = []
    open_segments: dict[tuple[int, int], tuple[float, float, int] | None] = {}
    todo = [(0, len(v))]
    while len(found) < max_points:
        for lo, hi in todo:
            open_segments[(lo, hi)] = _best_split(
                v[lo:hi], min_size, min_delta, min_delta_pct, alpha
            )
        candidates = [(s[0], -s[1], seg, s[2]) for seg, s in open_segments.items() if s]
        if not candidates:
            break
        _, _, (lo, hi), k = min(candidates)
        del open_segments[(lo, hi)]
        found.append(lo + k)
        todo = [(lo, lo + k), (lo + k, hi)]
    # Binary segmentation judges a split against whole segments; a later split can leave a
    # point whose own regimes barely differ (100 | 105 | 150 split at 100|105 first).
    points = sorted(found)
    while points:
        bounds = [0, *points, len(v)]
        medians = [float(np.median(v[a:b])) for a, b in itertools.pairwise(bounds)]
        failing = [
            (abs(after - before), n)
            for n, (before, after) in enumerate(itertools.pairwise(medians))
            if not _big_enough(before, after, min_delta, min_delta_pct)
        ]
        if not failing:
            break
        points.pop(min(failing)[1])
    return points


def find_regressions(
    runs: Sequence[Mapping[str, Any]],
    *,
    metric: str = HEADLINE,
    window: int = 10,
    **cp_kwargs: Any,
) -> list[Regression]:
    """Find the change points where `metric` got worse and name the hosts that explain them.

    Every page metric of the result document is lower-is-better, so "worse" means the median
    rose. `cp_kwargs` go to detect_change_points. Culprits are hosts and entities whose
    time_ms, blocking_ms or transfer_bytes grew (see the module docstring). Share is the
    culprit's growth in the metric's unit (ms: time_ms or blocking_ms, whichever grew more;
    bytes: transfer_bytes) over the page metric's growth across the same windows, clipped to
    0..1; other measures get 0. When no culprit grew in the metric's unit, shares are split in
    proportion to delta among culprits of the same kind and measure: a guess, not a measure.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    rows, y = usable_runs(runs)
    points = detect_change_points(y, **cp_kwargs)
    if not points:
        return []
    hosts = host_columns(runs, rows, EXPLAINING)
    cols = hosts + entity_columns(hosts)
    bounds = [0, *points, len(y)]
    out: list[Regression] = []
    for b, i in enumerate(points):
        lo, hi = bounds[b], bounds[b + 2]
        before, after = y[lo:i], y[i:hi]
        change_base = float(np.median(before))
        delta = float(np.median(after)) - change_base
        if delta <= 0:
            continue
        change = ChangePoint(
            index=rows[i],
            t=runs[rows[i]].get("t"),
            before_median=change_base,
            after_median=float(np.median(after)),
            delta=delta,
            delta_pct=None if change_base == 0 else delta / abs(change_base) * 100,
            p_value=float(stats.mannwhitneyu(before, after, method="asymptotic").pvalue),
        )
        w0, w1 = max(lo, i - window), min(hi, i + window)
        page_delta = float(np.median(y[i:w1]) - np.median(y[w0:i]))
        culprits = _culprits(cols, w0, i, w1, page_delta if page_delta > 0 else delta, metric)
        out.append(Regression(change, metric, culprits))
    return out


# --- internals ---------------------------------------------------------------------------


def _best_split(
    seg: Array, min_size: int, min_delta: float, min_delta_pct: float, alpha: float
) -> tuple[float, float, int] | None:
    """(corrected p, |z|, left size) of the segment's best split, or None if it fails."""
    m = len(seg)
    if m < 2 * min_size:
        return None
    _, counts = np.unique(seg, return_counts=True)
    tie_term = float((counts**3 - counts).sum()) / (m * (m - 1))
    if (m + 1) - tie_term <= 0:  # every value equal
        return None
    # U of the left part for every split from one ranking: U = R_left - k(k+1)/2.
    ks = np.arange(min_size, m - min_size + 1, dtype=np.float64)
    rank_sums = np.cumsum(stats.rankdata(seg))[ks.astype(np.intp) - 1]
    u = rank_sums - ks * (ks + 1) / 2
    sd = np.sqrt(ks * (m - ks) / 12 * ((m + 1) - tie_term))
    z = np.abs(u - ks * (m - ks) / 2) / sd
    best = int(np.argmax(z))
    k = int(ks[best])
    left, right = seg[:k], seg[k:]
    p = float(stats.mannwhitneyu(left, right, method="asymptotic").pvalue)
    corrected = min(1.0, p * len(ks))
    before, after = float(np.median(left)), float(np.median(right))
    if corrected >= alpha or not _big_enough(before, after, min_delta, min_delta_pct):
        return None
    return corrected, float(z[best]), k


def _big_enough(before: float, after: float, min_delta: float, min_delta_pct: float) -> bool:
    """A non-zero shift meeting both minima; any shift from 0 meets the relative one."""
    delta = abs(after - before)
    if delta == 0 or delta < min_delta:
        return False
    return before == 0 or delta / abs(before) * 100 >= min_delta_pct


def _shift(before: Array, after: Array) -> tuple[Array, Array, Array, NDArray[np.bool_]]:
    """Per column: medians before and after, their delta, and whether it grew beyond noise."""
    med_before = np.median(before, axis=0)
    med_after = np.median(after, axis=0)
    delta = med_after - med_before
    residuals = np.vstack([before - med_before, after - med_after])
    sigma = _MAD_TO_SIGMA * np.median(np.abs(residuals), axis=0)
    candidate = (delta > 0) & (delta > _CULPRIT_SIGMAS * sigma)
    grew = np.zeros(len(delta), dtype=bool)
    if candidate.any():
        p = stats.mannwhitneyu(
            before[:, candidate], after[:, candidate], axis=0, method="asymptotic"
        ).pvalue
        grew[candidate] = np.nan_to_num(p, nan=1.0) < _CULPRIT_ALPHA
    return med_before, med_after, delta, grew


def _culprits(
    cols: Columns, w0: int, i: int, w1: int, page_delta: float, metric: str
) -> list[Culprit]:
    """Culprits for a change at row i, comparing rows [w0, i) with [i, w1)."""
    shifts = {m: _shift(cols.data[m][w0:i], cols.data[m][i:w1]) for m in EXPLAINING}
    # A measure explains the metric in its own unit: time a timing, bytes a size.
    explaining = [m for m in EXPLAINING if unit_of(m) is unit_of(metric)]
    found: list[tuple[Culprit, bool]] = []
    for j, key in enumerate(cols.keys):
        grown = [m for m in EXPLAINING if shifts[m][3][j]]
        if not grown:
            continue
        matched = [m for m in grown if m in explaining]
        measure = max(matched, key=lambda m: shifts[m][2][j]) if matched else grown[0]
        before, after, delta = (float(a[j]) for a in shifts[measure][:3])
        share = min(1.0, max(0.0, delta / page_delta)) if matched else 0.0
        culprit = Culprit(key, cols.kinds[j], cols.parties[j], measure, before, after, delta, share)
        found.append((culprit, bool(matched)))
    culprits = [c for c, _ in found]
    if culprits and not any(explained for _, explained in found):
        totals: dict[tuple[str, str], float] = {}
        for c in culprits:
            totals[(c.kind, c.measure)] = totals.get((c.kind, c.measure), 0.0) + c.delta
        culprits = [replace(c, share=c.delta / totals[(c.kind, c.measure)]) for c in culprits]
    culprits.sort(key=lambda c: (-c.share, c.kind != "host", c.key))
    return culprits


def _format_time(t: Any) -> str:
    """UTC '%Y-%m-%d %H:%M' for a datetime (naive means UTC) or epoch seconds; else str(t)."""
    if isinstance(t, datetime):
        moment = t if t.tzinfo else t.replace(tzinfo=UTC)
    elif isinstance(t, int | float) and not isinstance(t, bool):
        moment = datetime.fromtimestamp(t, UTC)
    else:
        return str(t)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
