"""Third-party correlation and change-point detection over a scenario's run history.

Pure functions over plain data: no ORM, no I/O. A *run* is a mapping::

    {"t": datetime | epoch seconds, "run_id": int, "metric": float | None,
     "hosts": {host: {"time_ms": float, "transfer_bytes": int, "blocking_ms": float,
                      "requests": int, "entity": str, "party": "first" | "third"}}}

Runs come oldest first. A host missing from a run was not requested: its measures count as 0,
so a host appearing or disappearing is a signal too. Runs without a finite metric (failed runs)
are left out; every index returned still points into the caller's sequence.

Statistics chosen, and why:

- Correlation: Spearman's rho (Pearson on average ranks): robust to outliers, any monotone
  relation counts.
- Slope: Theil-Sen (median of pairwise slopes) in page-metric units per unit of measure: it
  keeps the units a reader needs ("ms of LCP per ms of ads.js"), which OLS on ranks would not,
  and shrugs off outliers. It uses at most 600 runs, evenly spaced in time, to stay fast.
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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

Array = NDArray[np.float64]

MEASURES = ("time_ms", "transfer_bytes", "blocking_ms", "requests")
# The measures a culprit is judged on; requests are left out because a new request shows up
# in time and bytes anyway.
CULPRIT_MEASURES = ("time_ms", "blocking_ms", "transfer_bytes")
# Which host measures can explain a page metric, by the metric's unit.
_EXPLAINING = {"ms": ("time_ms", "blocking_ms"), "B": ("transfer_bytes",)}
_MS_METRICS = frozenset(
    {"dns", "connect", "ttfb", "fcp", "lcp", "tbt", "dom_content_loaded", "load", "fully_loaded"}
)
_THEIL_SEN_MAX_POINTS = 600
_MAD_TO_SIGMA = 1.4826  # MAD x 1.4826 = standard deviation, for normal noise
_CULPRIT_SIGMAS = 3.0
_CULPRIT_ALPHA = 0.05
_SUMMARY_CULPRITS = 3


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
        head = f"{self.metric} {_format_amount(c.delta, _unit(self.metric))}"
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
            f"{n.key} {n.measure} {_format_amount(n.delta, _unit(n.measure))} ({n.share:.0%})"
            for n in named
        ]
        return f"{head}; {', '.join(parts)}"


def rank_correlations(
    runs: Sequence[Mapping[str, Any]],
    *,
    by: str = "host",
    measures: Sequence[str] = ("time_ms", "transfer_bytes", "blocking_ms"),
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
    rows, y = _usable_runs(runs)
    if len(rows) < max(min_runs, 3) or np.ptp(y) == 0:
        return []
    cols = _host_columns(runs, rows, measures)
    if by == "entity":
        cols = _entity_columns(cols)
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
    metric: str = "lcp",
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
    rows, y = _usable_runs(runs)
    points = detect_change_points(y, **cp_kwargs)
    if not points:
        return []
    hosts = _host_columns(runs, rows, CULPRIT_MEASURES)
    cols = hosts + _entity_columns(hosts)
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


@dataclass(frozen=True)
class _Columns:
    """Per-key measure matrices: data[measure] has one row per usable run, one column per key."""

    keys: list[str]
    kinds: list[str]
    parties: list[str]
    entities: list[str]
    data: dict[str, Array]

    def __add__(self, other: _Columns) -> _Columns:
        stacked = {m: np.hstack([a, other.data[m]]) for m, a in self.data.items()}
        return _Columns(
            self.keys + other.keys,
            self.kinds + other.kinds,
            self.parties + other.parties,
            self.entities + other.entities,
            stacked,
        )


def _usable_runs(runs: Sequence[Mapping[str, Any]]) -> tuple[list[int], Array]:
    """Indices of the runs with a finite metric, and those metrics."""
    given = [
        (i, float(run["metric"])) for i, run in enumerate(runs) if run.get("metric") is not None
    ]
    usable = [(i, value) for i, value in given if math.isfinite(value)]
    return [i for i, _ in usable], np.asarray([v for _, v in usable], dtype=np.float64)


def _host_columns(
    runs: Sequence[Mapping[str, Any]], rows: Sequence[int], measures: Sequence[str]
) -> _Columns:
    """Build the host matrices; absent hosts are 0, party and entity are the latest seen."""
    col: dict[str, int] = {}
    party: dict[str, str] = {}
    entity: dict[str, str] = {}
    at_row: list[int] = []
    at_col: list[int] = []
    values: dict[str, list[float]] = {m: [] for m in measures}
    # Collect coordinates in plain lists and scatter once: per-element numpy writes are slow.
    for r, i in enumerate(rows):
        for host, h in (runs[i].get("hosts") or {}).items():
            at_row.append(r)
            at_col.append(col.setdefault(host, len(col)))
            party[host] = h.get("party") or "third"
            entity[host] = h.get("entity") or host
            for m in measures:
                values[m].append(h.get(m) or 0.0)
    data: dict[str, Array] = {}
    for m in measures:
        matrix = np.zeros((len(rows), len(col)), dtype=np.float64)
        matrix[at_row, at_col] = values[m]
        data[m] = matrix
    keys = list(col)
    return _Columns(
        keys, ["host"] * len(keys), [party[k] for k in keys], [entity[k] for k in keys], data
    )


def _entity_columns(hosts: _Columns) -> _Columns:
    """Sum hosts into their entities; an entity is first-party when any of its hosts is."""
    names = sorted(set(hosts.entities))
    position = {name: i for i, name in enumerate(names)}
    membership = np.zeros((len(hosts.keys), len(names)), dtype=np.float64)
    membership[np.arange(len(hosts.keys)), [position[e] for e in hosts.entities]] = 1.0
    first = {e for e, p in zip(hosts.entities, hosts.parties, strict=True) if p == "first"}
    return _Columns(
        keys=names,
        kinds=["entity"] * len(names),
        parties=["first" if name in first else "third" for name in names],
        entities=names,
        data={m: matrix @ membership for m, matrix in hosts.data.items()},
    )


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
    cols: _Columns, w0: int, i: int, w1: int, page_delta: float, metric: str
) -> list[Culprit]:
    """Culprits for a change at row i, comparing rows [w0, i) with [i, w1)."""
    shifts = {m: _shift(cols.data[m][w0:i], cols.data[m][i:w1]) for m in CULPRIT_MEASURES}
    explaining = _EXPLAINING.get(_unit(metric), ())
    found: list[tuple[Culprit, bool]] = []
    for j, key in enumerate(cols.keys):
        grown = [m for m in CULPRIT_MEASURES if shifts[m][3][j]]
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


def _unit(name: str) -> str:
    """'ms', 'B' or '' for a page metric or host measure name."""
    if name in _MS_METRICS or name.endswith("_ms"):
        return "ms"
    if name.endswith("bytes"):
        return "B"
    return ""


def _format_amount(value: float, unit: str) -> str:
    return f"{value:+.0f} {unit}" if unit else f"{value:+.3g}"


def _format_time(t: Any) -> str:
    """UTC '%Y-%m-%d %H:%M' for a datetime (naive means UTC) or epoch seconds; else str(t)."""
    if isinstance(t, datetime):
        moment = t if t.tzinfo else t.replace(tzinfo=UTC)
    elif isinstance(t, int | float) and not isinstance(t, bool):
        moment = datetime.fromtimestamp(t, UTC)
    else:
        return str(t)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
