"""Worked examples for the CI comparison statistics (core/stats/ranks.py, verdict.py)."""

import itertools
import json

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from core.stats.ranks import (
    cliffs_delta,
    effect_size_label,
    holm,
    mann_whitney_u,
    min_runs_for_alpha,
    runs_needed_for_effect,
)
from core.stats.verdict import MetricComparison, compare, default_min_effect, overall_verdict

FULL_SEPARATION_5V5 = 2 / 252  # two of the C(10, 5) = 252 splits are as extreme
BASE_LCP = [1000.0, 1012.0, 988.0, 1021.0, 995.0]  # median 1000, ~20 ms noise
SLOWER_LCP = [1300.0, 1315.0, 1290.0, 1284.0, 1308.0]  # median 1300
FASTER_LCP = [700.0, 715.0, 690.0, 684.0, 708.0]  # median 700
GATE = ["ttfb", "fcp", "lcp", "load", "cls", "tbt"]


def page_runs() -> dict[str, list[float]]:
    """Ten metrics of five base runs, as a result document would give them."""
    return {
        "ttfb": [100.0, 102.0, 98.0, 101.0, 99.0],
        "fcp": [500.0, 510.0, 490.0, 505.0, 495.0],
        "lcp": BASE_LCP,
        "load": [1500.0, 1510.0, 1490.0, 1505.0, 1495.0],
        "cls": [0.0] * 5,
        "tbt": [0.0] * 5,
        "dns": [1.0] * 5,
        "connect": [2.0, 3.0, 2.0, 3.0, 2.0],
        "requests": [12.0] * 5,
        "transfer_bytes": [50000.0] * 5,
    }


def by_metric(results: list[MetricComparison]) -> dict[str, MetricComparison]:
    return {result.metric: result for result in results}


def result_with(verdict: str, gated: bool = True) -> MetricComparison:
    return MetricComparison(
        metric="m",
        base_n=5,
        branch_n=5,
        base_median=1.0,
        branch_median=1.0,
        base_iqr=(1.0, 1.0),
        branch_iqr=(1.0, 1.0),
        delta=0.0,
        delta_pct=0.0,
        p_value=1.0,
        p_adjusted=1.0,
        cliffs_delta=0.0,
        effect_size="negligible",
        verdict=verdict,
        reason="",
        runs_needed=None,
        gated=gated,
    )


# Cliff's delta


def test_cliffs_delta_is_one_when_every_branch_value_is_larger() -> None:
    assert cliffs_delta([1, 2, 3], [4, 5, 6]) == 1.0
    assert cliffs_delta([4, 5, 6], [1, 2, 3]) == -1.0


def test_cliffs_delta_of_mixed_samples_matches_the_hand_count() -> None:
    # branch 15: >10, <20, <30, <40 -> -2; 25: 2 above, 2 below -> 0; 5: below all -> -4.
    assert cliffs_delta([10, 20, 30, 40], [15, 25, 5]) == -6 / 12
    # Ties count zero: branch 2 vs base 1,2,3 -> 0; 3 -> +2; 4 -> +3.
    assert cliffs_delta([1, 2, 3], [2, 3, 4]) == pytest.approx(5 / 9, rel=1e-15)


def test_cliffs_delta_rejects_empty_and_non_finite_samples() -> None:
    with pytest.raises(ValueError):
        cliffs_delta([], [1.0])
    with pytest.raises(ValueError):
        cliffs_delta([1.0, float("nan")], [1.0])


def test_effect_size_labels_follow_romano_thresholds() -> None:
    labels = [effect_size_label(d) for d in (0.0, -0.146, 0.147, -0.329, 0.33, 0.473, -0.474)]
    assert labels == ["negligible", "negligible", "small", "small", "medium", "medium", "large"]
    assert effect_size_label(None) == "unknown"


# Mann-Whitney U


def test_mann_whitney_full_separation_5v5_has_exact_p() -> None:
    assert round(FULL_SEPARATION_5V5, 6) == 0.007937
    assert mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == (
        25.0,
        pytest.approx(FULL_SEPARATION_5V5, rel=1e-12),
    )
    assert mann_whitney_u([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == (
        0.0,
        pytest.approx(FULL_SEPARATION_5V5, rel=1e-12),
    )


def test_mann_whitney_with_ties_matches_the_hand_enumeration() -> None:
    # Midranks of 1, 2, 2, 3 are 1, 2.5, 2.5, 4. Branch {2, 3} has rank sum 6.5, U = 3.5.
    # The six 2-subsets have rank sums 3.5, 3.5, 5, 5, 6.5, 6.5 (mean 5): four are at least
    # 1.5 from the mean, so p = 4/6.
    assert mann_whitney_u([1, 2], [2, 3]) == (3.5, pytest.approx(2 / 3, rel=1e-12))


def test_mann_whitney_is_exact_for_tied_integer_metrics() -> None:
    # Every base run has 12 requests, every branch run 13: as extreme as full separation.
    # scipy's default falls back to the normal approximation here and reports 0.0040.
    assert mann_whitney_u([12] * 5, [13] * 5) == (
        25.0,
        pytest.approx(FULL_SEPARATION_5V5, rel=1e-12),
    )


def test_mann_whitney_of_identical_constant_samples_is_p_one() -> None:
    assert mann_whitney_u([100.0] * 5, [100.0] * 5) == (12.5, 1.0)


def test_mann_whitney_agrees_with_scipy_exact_without_ties() -> None:
    rng = np.random.default_rng(7)
    for _ in range(50):
        n_a, n_b = (int(n) for n in rng.integers(1, 9, size=2))
        a = rng.normal(0.0, 1.0, n_a)
        b = rng.normal(0.5, 1.0, n_b)
        expected = mannwhitneyu(b, a, method="exact")
        u, p = mann_whitney_u(a, b)
        assert u == expected.statistic
        assert p == pytest.approx(expected.pvalue, rel=1e-9)


def test_mann_whitney_with_ties_agrees_with_brute_force_permutations() -> None:
    base = [1, 2, 2, 3, 3]
    branch = [2, 3, 3, 4, 4, 5]
    pooled = base + branch

    def u_of(branch_part: list[int], base_part: list[int]) -> float:
        return sum((b > a) + 0.5 * (b == a) for b in branch_part for a in base_part)

    observed = u_of(branch, base)
    mean = len(base) * len(branch) / 2
    splits = list(itertools.combinations(range(len(pooled)), len(branch)))
    extreme = 0
    for chosen in splits:
        part = [pooled[i] for i in chosen]
        rest = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        extreme += abs(u_of(part, rest) - mean) >= abs(observed - mean)
    assert mann_whitney_u(base, branch) == (observed, pytest.approx(extreme / len(splits)))
    assert (observed, extreme, len(splits)) == (25.0, 38, 462)


def test_mann_whitney_uses_the_tie_corrected_normal_approximation_for_large_samples() -> None:
    rng = np.random.default_rng(3)
    a = np.round(rng.normal(100, 10, 30))
    b = np.round(rng.normal(105, 10, 30))
    expected = mannwhitneyu(b, a, method="asymptotic")
    assert mann_whitney_u(a, b) == (expected.statistic, pytest.approx(expected.pvalue))


# Holm


def test_holm_matches_the_worked_example() -> None:
    adjusted = holm({"a": 0.01, "b": 0.04, "c": 0.03})
    assert list(adjusted) == ["a", "b", "c"]
    assert adjusted == pytest.approx({"a": 0.03, "b": 0.06, "c": 0.06}, rel=1e-12)


def test_holm_is_monotone_in_the_raw_p_values_and_capped_at_one() -> None:
    raw = {"a": 0.002, "b": 0.2, "c": 0.011, "d": 0.012, "e": 0.9, "f": 0.01}
    adjusted = holm(raw)
    order = sorted(raw, key=raw.__getitem__)
    values = [adjusted[name] for name in order]
    assert values == sorted(values)
    assert values == pytest.approx([0.012, 0.05, 0.05, 0.05, 0.4, 0.9], rel=1e-12)
    assert holm({"a": 0.5, "b": 0.6}) == {"a": 1.0, "b": 1.0}
    assert holm({}) == {}


def test_holm_rejects_p_values_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError):
        holm({"a": 1.5})
    with pytest.raises(ValueError):
        holm({"a": float("nan")})


# Runs needed


def test_min_runs_for_alpha_accounts_for_the_holm_factor() -> None:
    # 2/C(2n, n): n=4 0.0286, n=5 0.0079, n=6 0.0022 (x23 = 0.0498), n=7 0.00058.
    sizes = [1, 2, 6, 7, 23, 24]
    assert [min_runs_for_alpha(0.05, m) for m in sizes] == [4, 5, 5, 6, 6, 7]
    assert min_runs_for_alpha(0.01, 1) == 5
    with pytest.raises(ValueError):
        min_runs_for_alpha(0.0, 1)
    with pytest.raises(ValueError):
        min_runs_for_alpha(0.05, 0)


def test_runs_needed_solves_the_normal_approximation_of_u() -> None:
    # z* = 1.96: n = (z*^2 + z* sqrt(z*^2 + 3 d^2)) / (3 d^2) = 10.72 for d = 0.5.
    assert runs_needed_for_effect(0.5, 0.05, 1) == 11
    assert runs_needed_for_effect(-0.5, 0.05, 1) == 11
    # alpha / 6: z* = 2.638, n = 19.6.
    assert runs_needed_for_effect(0.5, 0.05, 6) == 20
    # d = 1 gives n = 2.99 but the exact test cannot reach 0.05 below 4 runs per side.
    assert runs_needed_for_effect(1.0, 0.05, 1) == 4
    assert runs_needed_for_effect(0.05, 0.05, 1) == 200
    assert runs_needed_for_effect(0.0, 0.05, 1) == 200


# compare(): verdicts


def test_it_reports_a_clean_300ms_slowdown_as_a_regression_after_holm() -> None:
    branch = page_runs() | {"lcp": SLOWER_LCP}
    results = by_metric(compare(page_runs(), branch, family=GATE))
    lcp = results["lcp"]
    assert lcp.verdict == "regression"
    assert (lcp.base_median, lcp.branch_median, lcp.delta) == (1000.0, 1300.0, 300.0)
    assert lcp.delta_pct == pytest.approx(30.0)
    assert lcp.base_iqr == (995.0, 1012.0)
    assert lcp.branch_iqr == (1290.0, 1308.0)
    assert lcp.p_value == pytest.approx(FULL_SEPARATION_5V5, rel=1e-12)
    assert lcp.p_adjusted == pytest.approx(6 * FULL_SEPARATION_5V5, rel=1e-12)
    assert (lcp.cliffs_delta, lcp.effect_size, lcp.gated) == (1.0, "large", True)
    assert lcp.runs_needed is None
    assert lcp.reason == (
        "lcp regressed: the median 1,000 ms -> 1,300 ms (+300 ms, +30.0%) reaches the minimum "
        "effect of 50 ms and 5% and is significant (p=0.00794, Holm-adjusted 0.0476 <= 0.05)."
    )
    assert {r.metric: r.verdict for r in results.values() if r.metric != "lcp"} == {
        name: "no_change" for name in page_runs() if name != "lcp"
    }
    assert [r.gated for r in results.values()] == [name in GATE for name in page_runs()]
    assert overall_verdict(list(results.values())) == "regression"


def test_a_family_too_large_for_five_runs_makes_the_same_slowdown_inconclusive() -> None:
    # Holm over all ten metrics: 10 x 0.0079 = 0.079 > 0.05; six runs per side would do.
    branch = page_runs() | {"lcp": SLOWER_LCP}
    lcp = by_metric(compare(page_runs(), branch))["lcp"]
    assert lcp.verdict == "inconclusive"
    assert lcp.p_adjusted == pytest.approx(10 * FULL_SEPARATION_5V5, rel=1e-12)
    assert lcp.runs_needed == 6
    assert lcp.reason.endswith("about 6 runs per side would settle it.")


def test_it_reports_a_300ms_speedup_as_an_improvement() -> None:
    branch = page_runs() | {"lcp": FASTER_LCP}
    results = compare(page_runs(), branch, family=GATE)
    lcp = by_metric(results)["lcp"]
    assert (lcp.verdict, lcp.delta, lcp.cliffs_delta) == ("improvement", -300.0, -1.0)
    assert lcp.reason.startswith("lcp improved: the median 1,000 ms -> 700 ms (-300 ms, -30.0%)")
    assert overall_verdict(results) == "improvement"


def test_a_significant_10ms_shift_is_below_the_minimum_effect() -> None:
    base = {"lcp": [1000.0, 1002.0, 998.0, 1001.0, 999.0]}
    branch = {"lcp": [1010.0, 1012.0, 1008.0, 1011.0, 1009.0]}
    (lcp,) = compare(base, branch)
    assert (lcp.verdict, lcp.delta) == ("no_change", 10.0)
    assert lcp.p_adjusted == pytest.approx(FULL_SEPARATION_5V5, rel=1e-12)
    assert "significant but below minimum effect" in lcp.reason


def aa_runs(rng: np.random.Generator) -> dict[str, list[float]]:
    """Ten runs of five timing metrics with 5% noise, all from the same distribution."""
    typical = {"ttfb": 120, "fcp": 800, "lcp": 1200, "load": 1500, "fully_loaded": 2500}
    return {name: list(rng.normal(mean, 0.05 * mean, 10)) for name, mean in typical.items()}


def test_an_a_a_comparison_finds_no_change() -> None:
    rng = np.random.default_rng(1)
    results = compare(aa_runs(rng), aa_runs(rng))
    assert [r.verdict for r in results] == ["no_change"] * 5
    assert all(r.p_adjusted is not None and r.p_adjusted > 0.05 for r in results)
    assert overall_verdict(results) == "no_change"


def test_a_a_comparisons_raise_a_false_alarm_at_most_alpha_of_the_time() -> None:
    # Holm keeps the chance of any false significant metric in the family at or below alpha.
    rng = np.random.default_rng(11)
    verdicts = [overall_verdict(compare(aa_runs(rng), aa_runs(rng))) for _ in range(200)]
    false_alarms = sum(v in ("regression", "improvement") for v in verdicts)
    assert false_alarms <= 10


def test_identical_constant_samples_do_not_crash() -> None:
    (tbt,) = compare({"tbt": [0.0] * 5}, {"tbt": [0.0] * 5})
    assert (tbt.verdict, tbt.p_value, tbt.delta, tbt.delta_pct) == ("no_change", 1.0, 0.0, None)
    assert tbt.cliffs_delta == 0.0


def test_two_runs_are_inconclusive_with_runs_needed() -> None:
    (lcp,) = compare({"lcp": [1000.0, 1010.0]}, {"lcp": [1300.0, 1310.0]})
    assert (lcp.verdict, lcp.p_value, lcp.p_adjusted) == ("inconclusive", None, None)
    assert (lcp.base_n, lcp.branch_n, lcp.delta, lcp.cliffs_delta) == (2, 2, 300.0, 1.0)
    # min_runs is 3, but 3 v 3 can never reach p <= 0.05 (best p is 0.1): 4 are needed.
    assert lcp.runs_needed == 4
    assert lcp.reason == (
        "lcp is inconclusive: only 2 base and 2 branch runs, but at least 3 per side are "
        "required and 4 are needed to reach significance."
    )


def test_a_metric_missing_on_one_side_is_inconclusive() -> None:
    results = by_metric(
        compare({"lcp": BASE_LCP, "inp": [80.0] * 5}, {"lcp": BASE_LCP}, family=["lcp", "fid"])
    )
    assert list(results) == ["lcp", "inp", "fid"]
    inp, fid = results["inp"], results["fid"]
    assert (inp.verdict, inp.gated, inp.branch_n, inp.base_median) == (
        "inconclusive",
        False,
        0,
        None,
    )
    assert (inp.effect_size, inp.runs_needed) == ("unknown", 4)
    assert inp.reason.startswith("inp is inconclusive: no branch values,")
    assert (fid.verdict, fid.gated, fid.runs_needed) == ("inconclusive", True, 5)
    assert fid.reason.startswith("fid is inconclusive: no values on either side,")
    assert overall_verdict(list(results.values())) == "inconclusive"


def test_a_noisy_large_shift_at_three_runs_is_inconclusive() -> None:
    (lcp,) = compare({"lcp": [1000.0, 1400.0, 1100.0]}, {"lcp": [1300.0, 1700.0, 1050.0]})
    assert (lcp.verdict, lcp.delta) == ("inconclusive", 200.0)
    assert lcp.cliffs_delta == pytest.approx(1 / 3)
    assert lcp.p_value == pytest.approx(0.7)
    # d = 1/3, z* = 1.96: n = (3.8415 + 1.96 * sqrt(3.8415 + 1/3)) * 3 = 23.5.
    assert lcp.runs_needed == 24


def test_higher_is_better_flips_the_direction() -> None:
    base = {"score": [70.0, 71.0, 69.0, 70.5, 69.5]}
    branch = {"score": [90.0, 91.0, 89.0, 90.5, 89.5]}
    minimum = {"score": (5.0, 5.0)}
    (lower,) = compare(base, branch, min_effect=minimum)
    (higher,) = compare(base, branch, min_effect=minimum, higher_is_better=frozenset({"score"}))
    assert (lower.verdict, higher.verdict) == ("regression", "improvement")


def test_byte_request_and_cls_metrics_have_their_own_default_minimum() -> None:
    assert default_min_effect("transfer_bytes") == (1024.0, 5.0)
    assert default_min_effect("third_party_requests") == (1.0, 5.0)
    assert default_min_effect("cls") == (0.01, 5.0)
    assert default_min_effect("third_party_blocking_ms", 30.0, 2.0) == (30.0, 2.0)
    assert default_min_effect("party.third.transfer_bytes") == (1024.0, 5.0)
    assert default_min_effect("entity.Google.requests") == (1.0, 5.0)
    assert default_min_effect("speed_index", 80.0) == (80.0, 5.0)
    base = {"transfer_bytes": [50000.0] * 5, "requests": [12.0] * 5, "cls": [0.05] * 5}
    branch = {"transfer_bytes": [51000.0] * 5, "requests": [13.0] * 5, "cls": [0.055] * 5}
    verdicts = {r.metric: r.verdict for r in compare(base, branch, family=["requests"])}
    assert verdicts == {"transfer_bytes": "no_change", "requests": "regression", "cls": "no_change"}
    bigger = {"transfer_bytes": [53000.0] * 5}
    (transfer,) = compare({"transfer_bytes": [50000.0] * 5}, bigger)
    assert transfer.verdict == "regression"


def test_min_effect_overrides_the_default_for_one_metric() -> None:
    base = {"lcp": BASE_LCP, "fcp": BASE_LCP}
    branch = {"lcp": SLOWER_LCP, "fcp": SLOWER_LCP}
    results = compare(base, branch, family=["lcp"], min_effect={"fcp": (500.0, 5.0)})
    assert [(r.metric, r.verdict) for r in results] == [
        ("lcp", "regression"),
        ("fcp", "no_change"),
    ]


def test_a_change_from_a_zero_base_is_judged_on_the_absolute_minimum() -> None:
    (cls,) = compare({"cls": [0.0] * 5}, {"cls": [0.1] * 5})
    assert (cls.verdict, cls.delta_pct) == ("regression", None)
    assert cls.reason.startswith("cls regressed: the median 0.000 -> 0.100 (+0.100) reaches")


def test_ungated_metrics_get_verdicts_from_raw_p_but_do_not_count_overall() -> None:
    base = {"lcp": BASE_LCP, "dns": BASE_LCP}
    branch = {"lcp": BASE_LCP, "dns": SLOWER_LCP}
    lcp, dns = compare(base, branch, family=["lcp"])
    assert (dns.verdict, dns.gated) == ("regression", False)
    assert dns.p_adjusted == dns.p_value
    assert dns.reason.endswith("(p=0.00794 <= 0.05).")
    assert overall_verdict([lcp, dns]) == "no_change"


def test_median_and_ranks_pointing_opposite_ways_is_inconclusive() -> None:
    # Base median 2000, branch median 1800 (faster), yet 64% of pairs have branch slower.
    base = [1000.0] * 40 + [2000.0] * 60
    branch = [1800.0] * 60 + [5000.0] * 40
    (load,) = compare({"load": base}, {"load": branch})
    assert (load.delta, load.cliffs_delta) == (-200.0, pytest.approx(0.28))
    assert load.p_adjusted is not None and load.p_adjusted < 0.001
    assert (load.verdict, load.runs_needed) == ("inconclusive", None)


def test_compare_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        compare({"lcp": BASE_LCP}, {"lcp": BASE_LCP}, alpha=0.0)
    with pytest.raises(ValueError):
        compare({"lcp": BASE_LCP}, {"lcp": BASE_LCP}, min_runs=1)
    with pytest.raises(ValueError):
        compare({"lcp": [1.0, float("inf"), 2.0]}, {"lcp": BASE_LCP})


def test_as_dict_is_json_serialisable() -> None:
    (lcp,) = compare({"lcp": BASE_LCP}, {"lcp": SLOWER_LCP})
    data = json.loads(json.dumps(lcp.as_dict()))
    assert data["base_iqr"] == [995.0, 1012.0]
    assert (data["metric"], data["verdict"], data["gated"]) == ("lcp", "regression", True)
    assert set(data) == set(MetricComparison.__dataclass_fields__)


# overall_verdict


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["no_change", "inconclusive", "improvement", "regression"], "regression"),
        (["no_change", "inconclusive", "improvement"], "improvement"),
        (["no_change", "inconclusive"], "inconclusive"),
        (["no_change", "no_change"], "no_change"),
        ([], "no_change"),
    ],
)
def test_overall_verdict_precedence(verdicts: list[str], expected: str) -> None:
    assert overall_verdict([result_with(v) for v in verdicts]) == expected


def test_overall_verdict_ignores_ungated_results() -> None:
    results = [result_with("no_change"), result_with("regression", gated=False)]
    assert overall_verdict(results) == "no_change"
