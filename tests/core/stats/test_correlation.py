"""Third-party correlation and change-point detection on synthetic run histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from scipy import stats

from core.stats.changepoints import (
    ChangePoint,
    Culprit,
    Regression,
    detect_change_points,
    find_regressions,
)
from core.stats.correlation import HostCorrelation, rank_correlations

CULPRIT = "ads.other.com"
START = 1_795_000_000.0  # epoch seconds of run 0; runs are five minutes apart


def _entity(host: str) -> str:
    return ".".join(host.split(".")[-2:])


def noisy_history(
    n: int = 200,
    n_hosts: int = 20,
    change: int | None = 120,
    seed: int = 1,
    host_step: float = 500.0,
    page_step: float = 480.0,
    appears: bool = False,
) -> list[dict[str, Any]]:
    """n runs, n_hosts hosts with independent noise; from `change` on CULPRIT gets `host_step`
    ms more time_ms and the page metric `page_step` ms more. With `appears`, CULPRIT is absent
    before the change."""
    rng = np.random.default_rng(seed)
    hosts = [f"h{i}.site{i % 7}.com" for i in range(n_hosts - 1)] + [CULPRIT]
    times = rng.uniform(20, 300, n_hosts) + rng.normal(0, 15, (n, n_hosts))
    sizes = rng.integers(1_000, 50_000, n_hosts) + rng.integers(0, 500, (n, n_hosts))
    blocking = np.abs(rng.normal(0, 5, (n, n_hosts)))
    metric = 2_000 + rng.normal(0, 40, n)
    if change is not None:
        times[change:, -1] += host_step
        metric[change:] += page_step
    runs = []
    for r in range(n):
        present = {}
        for j, host in enumerate(hosts):
            if appears and host == CULPRIT and change is not None and r < change:
                continue
            present[host] = {
                "time_ms": float(times[r, j]),
                "transfer_bytes": int(sizes[r, j]),
                "blocking_ms": float(blocking[r, j]),
                "requests": 3,
                "entity": _entity(host),
                "party": "first" if host.endswith("site0.com") else "third",
            }
        runs.append(
            {"t": START + 300 * r, "run_id": r + 1, "metric": float(metric[r]), "hosts": present}
        )
    return runs


def run(t: Any, metric: float | None, **hosts: dict[str, Any]) -> dict[str, Any]:
    """A run whose hosts are given as keyword name -> measures (underscores become dots)."""
    return {
        "t": t,
        "run_id": 0,
        "metric": metric,
        "hosts": {
            (host := name.replace("_", ".")): {
                "time_ms": 0.0,
                "transfer_bytes": 0,
                "blocking_ms": 0.0,
                "requests": 1,
                "entity": _entity(host),
                "party": "third",
                **measures,
            }
            for name, measures in hosts.items()
        },
    }


def step_history() -> list[dict[str, Any]]:
    """Noise-free: at run 30 (2026-11-23 14:05 UTC) lcp 1000 -> 1480, ads time 100 -> 500,
    cdn bytes 10000 -> 30000, www unchanged."""
    t0 = datetime(2026, 11, 23, 11, 35, tzinfo=UTC)
    return [
        run(
            t0 + timedelta(minutes=5 * r),
            1000.0 if r < 30 else 1480.0,
            ads_other_com={"time_ms": 100.0 if r < 30 else 500.0},
            cdn_img_com={"time_ms": 50.0, "transfer_bytes": 10_000 if r < 30 else 30_000},
            www_site_com={"time_ms": 200.0, "party": "first"},
        )
        for r in range(60)
    ]


# --- find_regressions ---------------------------------------------------------------------


def test_it_finds_one_regression_at_the_step_and_blames_the_slowed_host() -> None:
    regressions = find_regressions(noisy_history())

    assert len(regressions) == 1
    regression = regressions[0]
    assert abs(regression.change.index - 120) <= 2
    assert regression.metric == "lcp"
    top = regression.culprits[0]
    assert (top.key, top.kind, top.party, top.measure) == (CULPRIT, "host", "third", "time_ms")
    assert 0.8 <= top.share <= 1.0
    assert 400 < top.delta < 600
    assert {c.key for c in regression.culprits} == {CULPRIT, "other.com"}
    assert CULPRIT in regression.summary()
    assert "+" in regression.summary()


def test_a_history_without_change_has_no_regressions() -> None:
    assert find_regressions(noisy_history(change=None)) == []


def test_a_host_that_appears_at_the_change_is_named_with_zero_before() -> None:
    regressions = find_regressions(noisy_history(appears=True))

    assert len(regressions) == 1
    top = regressions[0].culprits[0]
    assert (top.key, top.measure, top.before) == (CULPRIT, "time_ms", 0.0)
    assert top.share == 1.0


def test_an_improvement_is_not_a_regression() -> None:
    assert find_regressions(noisy_history(host_step=-50.0, page_step=-480.0)) == []


def test_it_reports_exact_medians_shares_and_summary_on_a_clean_step() -> None:
    [regression] = find_regressions(step_history())

    assert regression.change == ChangePoint(
        index=30,
        t=datetime(2026, 11, 23, 14, 5, tzinfo=UTC),
        before_median=1000.0,
        after_median=1480.0,
        delta=480.0,
        delta_pct=48.0,
        p_value=float(stats.mannwhitneyu([1000.0] * 30, [1480.0] * 30, method="asymptotic").pvalue),
    )
    assert regression.culprits == [
        Culprit(CULPRIT, "host", "third", "time_ms", 100.0, 500.0, 400.0, 400.0 / 480.0),
        Culprit("other.com", "entity", "third", "time_ms", 100.0, 500.0, 400.0, 400.0 / 480.0),
        Culprit("cdn.img.com", "host", "third", "transfer_bytes", 10_000.0, 30_000.0, 20_000.0, 0),
        Culprit("img.com", "entity", "third", "transfer_bytes", 10_000.0, 30_000.0, 20_000.0, 0),
    ]
    assert regression.summary() == (
        "lcp +480 ms since 2026-11-23 14:05; ads.other.com time_ms +400 ms (83%), "
        "cdn.img.com transfer_bytes +20.0 kB (0%)"
    )


def test_blocking_time_is_the_measure_when_it_grew_more_than_request_time() -> None:
    runs = [
        run(START + r, 500.0 if r < 20 else 800.0, tag_x_com={"blocking_ms": 240.0 * (r >= 20)})
        for r in range(40)
    ]

    [regression] = find_regressions(runs)

    assert regression.culprits[0] == Culprit(
        "tag.x.com", "host", "third", "blocking_ms", 0.0, 240.0, 240.0, 0.8
    )


def test_bytes_share_the_blame_when_no_time_changed() -> None:
    runs = [
        run(
            START + r,
            500.0 if r < 20 else 800.0,
            a_big_com={"time_ms": 10.0, "transfer_bytes": 1_000 if r < 20 else 4_000},
            b_big_com={"time_ms": 10.0, "transfer_bytes": 1_000 if r < 20 else 2_000},
        )
        for r in range(40)
    ]

    [regression] = find_regressions(runs)

    assert [(c.key, c.measure, c.share) for c in regression.culprits] == [
        ("big.com", "transfer_bytes", 1.0),
        ("a.big.com", "transfer_bytes", 0.75),
        ("b.big.com", "transfer_bytes", 0.25),
    ]
    assert regression.summary() == (
        "lcp +300 ms since 2026-11-18 11:07; big.com transfer_bytes +4.0 kB (100%), "
        "a.big.com transfer_bytes +3.0 kB (75%), b.big.com transfer_bytes +1.0 kB (25%)"
    )


def test_runs_without_a_metric_are_skipped_and_indices_stay_the_callers() -> None:
    runs = step_history()
    for i in (3, 10, 45):
        runs[i]["metric"] = None
    runs[12]["metric"] = float("nan")

    [regression] = find_regressions(runs)

    assert regression.change.index == 30
    assert regression.culprits[0].key == CULPRIT


def test_windows_stop_at_the_neighbouring_change() -> None:
    # lcp steps up at 20 (ads) and again at 40 (cdn); a 30-run window must not mix them.
    runs = [
        run(
            START + r,
            1000.0 + (300.0 if r >= 20 else 0.0) + (300.0 if r >= 40 else 0.0),
            ads_a_com={"time_ms": 300.0 if r >= 20 else 0.0},
            cdn_b_com={"time_ms": 300.0 if r >= 40 else 0.0},
        )
        for r in range(60)
    ]

    regressions = find_regressions(runs, window=30)

    assert [(g.change.index, g.culprits[0].key) for g in regressions] == [
        (20, "ads.a.com"),
        (40, "cdn.b.com"),
    ]
    assert [len(g.culprits) for g in regressions] == [2, 2]


def test_summary_formats_aware_times_in_utc_and_names_missing_culprits() -> None:
    paris = timezone(timedelta(hours=1))
    change = ChangePoint(7, datetime(2026, 11, 23, 15, 5, tzinfo=paris), 0.1, 0.35, 0.25, 250, 0.0)

    assert Regression(change, "cls", []).summary() == (
        "cls +0.250 since 2026-11-23 14:05; no host explains it"
    )


def test_it_handles_a_long_history_of_8600_runs() -> None:
    n, n_hosts, change = 8_600, 20, 5_000
    rng = np.random.default_rng(7)
    times = rng.uniform(20, 300, n_hosts) + rng.normal(0, 15, (n, n_hosts))
    times[change:, 4] += 500.0
    metric = 2_000 + rng.normal(0, 40, n)
    metric[change:] += 480.0
    hosts = [f"h{j}.e{j % 5}.com" for j in range(n_hosts)]
    runs = [
        {
            "t": START + 300 * r,
            "run_id": r,
            "metric": float(metric[r]),
            "hosts": {
                h: {
                    "time_ms": float(times[r, j]),
                    "transfer_bytes": 1_000,
                    "blocking_ms": 0.0,
                    "requests": 1,
                    "entity": _entity(h),
                    "party": "third",
                }
                for j, h in enumerate(hosts)
            },
        }
        for r in range(n)
    ]

    [regression] = find_regressions(runs)
    correlations = rank_correlations(runs)

    assert abs(regression.change.index - change) <= 2
    assert regression.culprits[0].key == "h4.e4.com"
    assert (correlations[0].key, correlations[0].measure, correlations[0].n) == (
        "h4.e4.com",
        "time_ms",
        n,
    )
    assert 0.8 < correlations[0].slope < 1.1


# --- rank_correlations --------------------------------------------------------------------


def test_rank_correlations_ranks_the_culprit_host_first() -> None:
    correlations = rank_correlations(noisy_history())

    assert correlations[0].key == CULPRIT
    assert correlations[0].measure == "time_ms"
    assert correlations[0].coefficient > 0.6
    assert all(abs(c.coefficient) < 0.3 for c in correlations[1:])
    assert len(correlations) == 20


def test_rank_correlations_are_exact_on_a_linear_relation() -> None:
    runs = [
        run(START + r, 2.0 * (r * 7 % 20) + 10.0, a_x_com={"time_ms": float(r * 7 % 20)})
        for r in range(20)
    ]

    assert rank_correlations(runs) == [
        HostCorrelation("a.x.com", "host", "third", "time_ms", 1.0, 2.0, 20)
    ]


def test_the_slope_ignores_an_outlying_run() -> None:
    runs = [run(START + r, 2.0 * r + 10.0, a_x_com={"time_ms": float(r)}) for r in range(30)]
    runs[29]["metric"] = 50_000.0

    [correlation] = rank_correlations(runs)

    assert (correlation.coefficient, correlation.slope) == (1.0, 2.0)


def test_the_slope_falls_back_to_least_squares_when_the_sample_misses_a_rare_host() -> None:
    # 1000 runs are sampled down to 600 for Theil-Sen; run 1 is not among them.
    runs = [run(START + r, 100.0, www_x_com={}) for r in range(1_000)]
    runs[1] = run(START + 1, 200.0, www_x_com={}, rare_y_com={"time_ms": 10.0})

    [rare] = rank_correlations(runs, measures=("time_ms",))

    assert (rare.key, rare.coefficient) == ("rare.y.com", 1.0)
    assert rare.slope == pytest.approx(10.0, rel=1e-12)


def test_rank_correlations_pick_the_best_measure_and_skip_constant_hosts() -> None:
    runs = [
        run(
            START + r,
            float(r),
            fast_x_com={"time_ms": float(r % 3), "transfer_bytes": 100 * r},
            still_y_com={"time_ms": 5.0, "transfer_bytes": 10},
            down_z_com={"blocking_ms": float(-r)},
        )
        for r in range(12)
    ]

    correlations = rank_correlations(runs)

    assert [(c.key, c.measure, c.coefficient) for c in correlations] == [
        ("down.z.com", "blocking_ms", -1.0),
        ("fast.x.com", "transfer_bytes", 1.0),
    ]
    assert [c.slope for c in correlations] == [-1.0, 0.01]


def test_rank_correlations_by_entity_sum_the_entitys_hosts() -> None:
    runs = [
        run(
            START + r,
            float(3 * r),
            a_e_com={"time_ms": float(r), "party": "first"},
            b_e_com={"time_ms": float(2 * r)},
        )
        for r in range(10)
    ]

    [entity] = rank_correlations(runs, by="entity", measures=("time_ms",))

    assert (entity.key, entity.kind, entity.party, entity.coefficient, entity.slope) == (
        "e.com",
        "entity",
        "first",
        1.0,
        1.0,
    )


def test_rank_correlations_count_an_absent_host_as_zero() -> None:
    runs = [
        run(START + r, 900.0, www_x_com={"requests": 4})
        if r % 2
        else run(START + r, 1000.0, ads_y_com={"requests": 4})
        for r in range(10)
    ]

    [ads, www] = rank_correlations(runs, measures=("requests",))

    assert (ads.key, ads.coefficient, ads.slope) == ("ads.y.com", 1.0, 25.0)
    assert (www.key, www.coefficient, www.slope) == ("www.x.com", -1.0, -25.0)


def test_rank_correlations_need_min_runs_and_a_moving_metric() -> None:
    moving = [run(START + r, float(r), a_x_com={"time_ms": float(r)}) for r in range(9)]
    flat = [run(START + r, 5.0, a_x_com={"time_ms": float(r)}) for r in range(30)]

    assert rank_correlations(moving) == []
    assert len(rank_correlations(moving, min_runs=9)) == 1
    assert rank_correlations(flat) == []
    assert rank_correlations([]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "domain"}, "by must be"),
        ({"measures": ("time_ms", "cpu")}, "measures must be"),
        ({"measures": ()}, "measures must be"),
    ],
)
def test_rank_correlations_reject_unknown_options(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rank_correlations([], **kwargs)


# --- detect_change_points -----------------------------------------------------------------


def test_it_finds_a_clean_step_exactly() -> None:
    assert detect_change_points([10.0] * 30 + [20.0] * 20) == [30]


def test_it_finds_a_noisy_step() -> None:
    rng = np.random.default_rng(11)
    values = np.concatenate([rng.normal(1000, 50, 80), rng.normal(1300, 50, 70)])

    [index] = detect_change_points(values)

    assert abs(index - 80) <= 2


def test_pure_noise_has_no_change_points_even_without_a_relative_minimum() -> None:
    rng = np.random.default_rng(5)

    for _ in range(20):
        assert detect_change_points(rng.normal(1000, 50, 300), min_delta_pct=0.0) == []


def test_it_finds_both_of_two_steps() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [rng.normal(1000, 30, 60), rng.normal(1400, 30, 60), rng.normal(900, 30, 60)]
    )

    first, second = detect_change_points(values)

    assert abs(first - 60) <= 2
    assert abs(second - 120) <= 2


def test_outliers_do_not_make_change_points() -> None:
    values = np.random.default_rng(2).normal(100, 2, 100)
    values[[20, 21, 55, 90]] = 5_000.0
    values[70:] += 30.0

    assert detect_change_points(values) == [70]


def test_minimum_deltas_and_max_points_hold_back_change_points() -> None:
    values = [100.0] * 20 + [105.0] * 20 + [150.0] * 20 + [300.0] * 20

    assert detect_change_points(values, min_delta_pct=0.0) == [20, 40, 60]
    assert detect_change_points(values) == [40, 60]
    assert detect_change_points(values, min_delta=100.0) == [60]
    # The most significant split by rank goes first: 40 | 40 beats 60 | 20.
    assert detect_change_points(values, min_delta_pct=0.0, max_points=1) == [40]


def test_a_rise_from_zero_passes_the_relative_minimum() -> None:
    assert detect_change_points([0.0] * 10 + [1.0] * 10) == [10]


def test_constant_and_short_series_have_no_change_points() -> None:
    assert detect_change_points([42.0] * 500) == []
    assert detect_change_points([1.0, 2.0, 30.0, 40.0]) == []
    assert detect_change_points([]) == []
    assert detect_change_points([1.0] * 5 + [9.0] * 4) == []


def test_min_size_is_the_smallest_regime() -> None:
    values = [1.0] * 10 + [9.0] * 3

    assert detect_change_points(values) == []
    assert detect_change_points(values, min_size=3) == [10]


@pytest.mark.parametrize(
    ("values", "kwargs"),
    [
        ([1.0, float("nan"), 2.0], {}),
        ([1.0, float("inf")], {}),
        ([1.0, 2.0], {"min_size": 0}),
    ],
)
def test_detect_change_points_rejects_bad_input(values: list[float], kwargs: Any) -> None:
    with pytest.raises(ValueError):
        detect_change_points(values, **kwargs)
