"""Building comparisons: interleaving, stored-history base lookup, failures, release reports."""

import itertools
import random
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from core.profiles import BUILTIN
from scenarios.ci import workflow as comparisons
from scenarios.ci.releases import release_report
from scenarios.models import Comparison, Location, Release, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import home_result

pytestmark = pytest.mark.django_db

BASE_URL = "http://www.example.localhost/?fcp=100"
SLOW_URL = "http://www.example.localhost/?fcp=420&ad=420"


@pytest.fixture
def scenario(db: None) -> Scenario:
    s = Scenario.objects.create(name="Demo", slug="demo", url=BASE_URL, paused=True)
    s.locations.add(Location.objects.create(name="local"))
    return s


def run_to_end(comparison: Comparison, limit: int = 50) -> Comparison:
    """Call advance as the API's status call does until the comparison settles."""
    for _ in range(limit):
        comparison = comparisons.advance(comparison.pk)
        if comparison.status in (Comparison.DONE, Comparison.ERROR):
            return comparison
    raise AssertionError(f"comparison {comparison.pk} did not settle: {comparison.status}")


def stored_run(scenario: Scenario, branch: str, commit: str, fcp: float, **fields: Any) -> Run:
    run = Run.objects.create(
        scenario=scenario,
        location=scenario.locations.get(),
        kind=Run.KIND_CI,
        branch=branch,
        commit=commit,
        **fields,
    )
    profile = BUILTIN[fields.get("profile", "native")].as_spec()
    store_result(run.pk, {**home_result(fcp), "profile": profile}, None)
    return run


def test_paired_runs_alternate_base_and_branch_one_at_a_time(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(
            scenario, iterations=5, base_url=BASE_URL, branch_url=SLOW_URL
        )
    done = created
    for _ in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            done = comparisons.advance(created.pk)
        if done.status == Comparison.DONE:
            break
    everything = list(done.runs.order_by("sequence"))
    # one at a time: each run is created only once the one before it was stored
    for before, after in itertools.pairwise(everything):
        assert before.finished_at is not None and after.created_at >= before.finished_at
    warm, runs = everything[:2], everything[2:]
    assert [(r.sequence, r.role, r.target_url, r.branch) for r in warm] == [
        (0, "warmup", BASE_URL, ""),
        (1, "warmup", SLOW_URL, ""),
    ]
    pairs = [runs[i : i + 2] for i in range(0, 10, 2)]
    assert [{r.role for r in pair} for pair in pairs] == [{"base", "branch"}] * 5
    assert [r.sequence for r in runs] == list(range(2, 12))
    firsts = [pair[0].role for pair in pairs]
    assert firsts == [random.Random(f"{done.pk}:{k}").choice(["base", "branch"]) for k in range(5)]
    assert {r.target_url for r in runs if r.role == "base"} == {BASE_URL}
    assert {r.target_url for r in runs if r.role == "branch"} == {SLOW_URL}
    assert {r.kind for r in runs} == {Run.KIND_CI}
    assert done.verdict == "regression"
    assert (done.report or {})["gate"] == "fail"
    assert (done.report or {})["mode"] == "paired"
    assert (done.report or {})["base"]["runs"] == [r.pk for r in runs if r.role == "base"]
    lcp = next(a for a in (done.report or {})["attribution"] if a["metric"] == "lcp")
    assert lcp["message"] == "LCP +320 ms — ads.other.localhost: render-blocking script +400 ms"


def test_a_comparison_needs_a_base_url_or_a_base_branch(scenario: Scenario) -> None:
    with pytest.raises(comparisons.ComparisonError, match="base URL .* or a base branch"):
        comparisons.create_comparison(scenario, iterations=5, branch_url=SLOW_URL)


def history(scenario: Scenario, **fields: Any) -> Comparison:
    return Comparison.objects.create(
        scenario=scenario,
        iterations=5,
        branch="feature",
        commit="f00",
        base_branch="main",
        location=scenario.locations.get(),
        **fields,
    )


def test_the_base_commits_own_runs_are_the_base(scenario: Scenario) -> None:
    at_base = [stored_run(scenario, "main", "aaa", 100) for _ in range(3)]
    stored_run(scenario, "main", "bbb", 100)
    runs, source = comparisons.find_base_runs(history(scenario, base_commit="aaa"))
    assert sorted(r.pk for r in runs) == sorted(r.pk for r in at_base)
    assert source == {"source": "base commit", "branch": "main", "commit": "aaa"}


def test_the_nearest_ancestor_with_runs_wins_when_the_base_commit_has_none(
    scenario: Scenario,
) -> None:
    stored_run(scenario, "main", "old", 100)
    near = stored_run(scenario, "main", "near", 100)
    stored_run(scenario, "other-branch", "newest", 100)
    comparison = history(
        scenario,
        base_commit="none",
        options={"base_commits": ["none", "nearer-no-runs", "near", "old"]},
    )
    runs, source = comparisons.find_base_runs(comparison)
    assert [r.pk for r in runs] == [near.pk]
    assert source["source"] == "nearest ancestor with runs"
    assert source["commit"] == "near"


def test_without_commits_the_latest_base_branch_runs_before_the_comparison_are_the_base(
    scenario: Scenario,
) -> None:
    stored_run(scenario, "main", "c1", 100)
    latest = [stored_run(scenario, "main", "c2", 100) for _ in range(2)]
    comparison = history(scenario)
    stored_run(scenario, "main", "c3", 100)  # measured after the comparison started
    Run.objects.filter(commit="c3").update(created_at=timezone.now() + timedelta(seconds=5))
    runs, source = comparisons.find_base_runs(comparison)
    assert sorted(r.pk for r in runs) == sorted(r.pk for r in latest)
    assert source["source"] == "latest base-branch runs before the comparison"


def test_only_base_runs_of_the_comparisons_profile_are_the_base(scenario: Scenario) -> None:
    native = [stored_run(scenario, "main", "aaa", 100) for _ in range(3)]
    on_4g = [stored_run(scenario, "main", "aaa", 300, profile="4g") for _ in range(3)]

    runs, _ = comparisons.find_base_runs(history(scenario, base_commit="aaa", profile="4g"))
    native_runs, _ = comparisons.find_base_runs(history(scenario, base_commit="aaa"))

    assert sorted(r.pk for r in runs) == sorted(r.pk for r in on_4g)
    assert sorted(r.pk for r in native_runs) == sorted(r.pk for r in native)


def test_both_sides_are_measured_under_the_scenarios_profile_unless_one_is_named(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    scenario.profile = "3g-fast"
    scenario.save()
    with django_capture_on_commit_callbacks(execute=True):
        default = comparisons.create_comparison(
            scenario, iterations=2, base_url=BASE_URL, branch_url=SLOW_URL, options={"warmup": 0}
        )
        named = comparisons.create_comparison(
            scenario,
            iterations=2,
            base_url=BASE_URL,
            branch_url=SLOW_URL,
            options={"warmup": 0},
            profile="lte",
        )
    default, named = run_to_end(default), run_to_end(named)

    assert (default.profile, named.profile) == ("3g-fast", "lte")
    assert set(default.runs.values_list("profile", flat=True)) == {"3g-fast"}
    assert set(named.runs.values_list("profile", flat=True)) == {"lte"}
    assert [r.status for r in named.runs.all()] == [Run.SUCCEEDED] * 4
    assert (named.report or {})["profile"] == "lte"


def test_a_comparison_under_a_profile_that_does_not_exist_is_refused(scenario: Scenario) -> None:
    with pytest.raises(comparisons.ComparisonError, match="^no profile 'moon'; built in: native"):
        comparisons.create_comparison(scenario, iterations=2, base_url=BASE_URL, profile="moon")
    assert not Comparison.objects.exists()


def test_a_history_comparison_measures_only_the_branch(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    for fcp in (100, 104, 98, 102, 101):
        stored_run(scenario, "main", "aaa", fcp)
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(
            scenario,
            iterations=5,
            branch_url=SLOW_URL,
            branch="feature",
            commit="f00",
            base_branch="main",
            base_commit="aaa",
        )
    done = created
    for _ in range(10):
        with django_capture_on_commit_callbacks(execute=True):
            done = comparisons.advance(created.pk)
    assert done.status == Comparison.DONE
    roles = [r.role for r in done.runs.order_by("sequence")]
    assert roles == ["warmup"] + ["branch"] * 5
    assert (done.report or {})["base"]["source"] == "base commit"
    assert done.verdict == "regression"


def test_a_history_comparison_without_stored_base_runs_is_refused_before_any_run(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(comparisons.ComparisonError) as refused,
    ):
        comparisons.create_comparison(
            scenario, iterations=3, branch="feature", commit="f00", base_branch="main"
        )
    assert str(refused.value) == (
        "only 0 stored succeeded runs of base branch 'main' in chromium under profile "
        "'native' found (need 3); run the base first"
    )
    assert not Comparison.objects.exists() and not Run.objects.exists()
    assert synthetic_agent.count == 0


def test_failed_runs_are_replaced_until_more_fail_than_the_iterations(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(
            scenario,
            iterations=3,
            base_url=BASE_URL,
            branch_url="http://www.example.localhost/?fail=1",
            options={"warmup": 0},
        )
    done = created
    for _ in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            done = comparisons.advance(created.pk)
    assert done.status == Comparison.ERROR
    outcomes = Counter((r.role, r.status) for r in done.runs.all())
    assert outcomes == {("base", "succeeded"): 3, ("branch", "failed"): 4}
    assert done.error.startswith("4 runs failed; last: run ")
    assert done.error.endswith(" failed: HTTP 500 for the page")


def test_a_release_report_compares_runs_before_and_after_the_release(scenario: Scenario) -> None:
    now = timezone.now()
    for minute, fcp in enumerate((100, 104, 98, 102, 101, 420, 424, 418, 422, 421)):
        run = stored_run(scenario, "", "", fcp)
        Run.objects.filter(pk=run.pk).update(
            kind=Run.KIND_SCHEDULED, created_at=now - timedelta(minutes=20 - minute)
        )
    release = Release.objects.create(name="v2", time=now - timedelta(minutes=15, seconds=30))
    report = release_report(release, runs=20)
    assert report["verdict"] == "regression"
    [only] = report["scenarios"]
    assert (only["scenario"], only["location"], only["profile"]) == ("demo", "local", "native")
    assert (len(only["before"]), len(only["after"])) == (5, 5)
    assert {m["metric"]: m["verdict"] for m in only["metrics"]}["lcp"] == "regression"


def test_storing_each_run_creates_the_next_until_the_comparison_is_done(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # store_result's after-commit hook advances the comparison: no status poll is needed.
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(
            scenario, iterations=2, base_url=BASE_URL, branch_url=SLOW_URL, options={"warmup": 0}
        )
    runs = [(r.sequence, r.role, r.status) for r in created.runs.order_by("sequence")]
    first = runs[0][1]
    other = "branch" if first == "base" else "base"
    assert [r[0] for r in runs] == [0, 1, 2, 3]
    assert {r[2] for r in runs} == {"succeeded"}
    assert [r[1] for r in runs[:2]] == [first, other]
    assert sorted(r[1] for r in runs) == ["base", "base", "branch", "branch"]
    assert Comparison.objects.get().status == Comparison.DONE
    standalone = Run.objects.create(scenario=scenario)
    comparisons.run_finished(standalone.pk)  # a run outside any comparison: nothing happens
    assert Comparison.objects.get().runs.count() == 4


def test_advance_does_nothing_while_a_run_is_in_flight(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    from perfite.celery import app

    sent: list[Any] = []
    monkeypatch.setattr(app, "send_task", lambda name, **kw: sent.append(kw["args"]))
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(scenario, iterations=5, base_url=BASE_URL)
        for _ in range(3):
            comparisons.advance(created.pk)
    assert sent == [[created.runs.get().pk]]
    assert Comparison.objects.get().status == Comparison.RUNNING


def test_the_base_branch_measured_against_itself_starts_its_history(
    scenario: Scenario, synthetic_agent: Any, django_capture_on_commit_callbacks: Any
) -> None:
    scenario.budgets = {"lcp": 50}
    scenario.save()
    with django_capture_on_commit_callbacks(execute=True):
        created = comparisons.create_comparison(
            scenario, iterations=3, branch="main", commit="m1", base_branch="main"
        )
    done = created
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            done = comparisons.advance(created.pk)
    report = done.report or {}
    assert (done.status, done.verdict, report["gate"]) == ("done", "inconclusive", "fail")
    assert report["base"]["note"] == "too few earlier runs of 'main': these start its history"
    assert report["budgets"][0]["message"] == "lcp: median 100 ms is over the budget of 50 ms"
    stored = Run.objects.filter(branch="main", commit="m1", status=Run.SUCCEEDED).count()
    assert stored == 3  # the next comparison against main finds these


def test_a_release_report_keeps_each_profiles_runs_apart(scenario: Scenario) -> None:
    now = timezone.now()
    for minute in range(8):
        for profile, fcp in (("native", 100 + minute % 3), ("4g", 400 + minute % 3)):
            run = stored_run(scenario, "", "", fcp, profile=profile)
            Run.objects.filter(pk=run.pk).update(
                kind=Run.KIND_SCHEDULED, created_at=now - timedelta(minutes=20 - minute)
            )
    release = Release.objects.create(name="v2", time=now - timedelta(minutes=16, seconds=30))

    report = release_report(release, runs=20)

    assert [
        (r["location"], r["profile"], len(r["before"]), len(r["after"]))
        for r in report["scenarios"]
    ] == [("local", "4g", 4, 4), ("local", "native", 4, 4)]
    # before and after hold one profile each: no change, not a 300 ms "regression"
    assert report["verdict"] != "regression"


def test_a_release_report_keeps_each_browsers_runs_apart(scenario: Scenario) -> None:
    now = timezone.now()
    for minute in range(8):
        for browser, fcp in (("chromium", 100 + minute % 3), ("firefox", 400 + minute % 3)):
            run = stored_run(scenario, "", "", fcp, browser=browser)
            Run.objects.filter(pk=run.pk).update(
                kind=Run.KIND_SCHEDULED, created_at=now - timedelta(minutes=20 - minute)
            )
    # Imported before the release: counted with Chromium's runs (no browser of ours).
    imported = stored_run(scenario, "", "", 101, browser="")
    Run.objects.filter(pk=imported.pk).update(
        kind=Run.KIND_IMPORTED, created_at=now - timedelta(minutes=19, seconds=30)
    )
    release = Release.objects.create(name="v2", time=now - timedelta(minutes=16, seconds=30))

    report = release_report(release, runs=20)

    assert [
        (r["location"], r["browser"], r["profile"], len(r["before"]), len(r["after"]))
        for r in report["scenarios"]
    ] == [("local", "chromium", "native", 5, 4), ("local", "firefox", "native", 4, 4)]
    # before and after hold one browser each: no change, not a 300 ms "regression"
    assert report["verdict"] != "regression"
