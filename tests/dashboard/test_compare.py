"""Comparing two sets of runs: medians, deltas, per-host deltas and the page itself."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from dashboard.compare import CompareError, host_deltas, metric_deltas, parse_ids
from scenarios.models import Comparison, Run, Scenario
from tests.factories import result_doc


def test_ids_are_parsed_in_order_without_duplicates() -> None:
    assert parse_ids(" 3, 1,3 ,,2") == [3, 1, 2]


def test_ids_must_be_numbers() -> None:
    with pytest.raises(CompareError, match="'x1' is not a run id"):
        parse_ids("1,x1")


def test_metric_deltas_compare_medians() -> None:
    base: list[dict[str, Any]] = [{"lcp": 100.0}, {"lcp": 300.0}, {"lcp": 200.0}]
    branch: list[dict[str, Any]] = [{"lcp": 250.0}, {"lcp": None}, {"lcp": 230.0}]

    lcp = next(row for row in metric_deltas(base, branch) if row["name"] == "lcp")

    assert lcp == {
        "name": "lcp",
        "label": "LCP",
        "base": 200.0,
        "branch": 240.0,
        "delta": 40.0,
        "change": 20.0,
    }


def test_host_deltas_count_a_missing_host_as_zero() -> None:
    base = [{"a.com": {"transfer_bytes": 100.0}}, {"a.com": {"transfer_bytes": 300.0}}]
    branch = [
        {"a.com": {"transfer_bytes": 100.0}, "ads.com": {"transfer_bytes": 900.0}},
        {"a.com": {"transfer_bytes": 100.0}},
    ]

    rows = host_deltas(base, branch)

    assert [r["host"] for r in rows] == ["ads.com", "a.com"]
    assert rows[0]["transfer_bytes"] == {"base": 0.0, "branch": 450.0, "delta": 450.0}
    assert rows[1]["transfer_bytes"] == {"base": 200.0, "branch": 100.0, "delta": -100.0}


def test_the_page_shows_deltas_and_both_waterfalls(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    base = [make_run(result_doc(lcp=100.0)), make_run(result_doc(lcp=120.0))]
    branch = [make_run(result_doc(lcp=200.0))]
    ids = lambda runs: ",".join(str(r.pk) for r in runs)  # noqa: E731

    response = viewer_client.get(f"/compare/?base={ids(base)}&branch={ids(branch)}")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td>LCP</td><td class="num">110 ms</td><td class="num">200 ms</td>' in html
    assert '<td class="num">+90 ms</td><td class="num worse">+81.8%</td>' in html
    assert html.count('class="wf"') == 2
    assert f'href="/runs/{branch[0].pk}/">run #{branch[0].pk}</a>' in html


def test_unknown_runs_are_a_bad_request(viewer_client: Client, db: None) -> None:
    response = viewer_client.get("/compare/?base=999&branch=998")

    assert response.status_code == 400
    assert "no run 999" in response.content.decode()


def test_one_side_only_is_a_bad_request(viewer_client: Client, db: None) -> None:
    response = viewer_client.get("/compare/?base=1")

    assert response.status_code == 400
    assert "give run ids for both sides" in response.content.decode()


def test_a_run_links_to_a_comparison_with_the_previous_success(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    first = make_run()
    make_run(result_doc(status="failed", error="HTTP 500 for http://www.example.com/"))
    latest = make_run()

    html = viewer_client.get(f"/runs/{latest.pk}/").content.decode()
    first_html = viewer_client.get(f"/runs/{first.pk}/").content.decode()

    assert f'href="/compare/?base={first.pk}&amp;branch={latest.pk}"' in html
    assert "Compare with the previous run" not in first_html


def test_a_ci_comparison_is_shown_by_its_id(
    viewer_client: Client, make_run: Callable[..., Run]
) -> None:
    base = make_run(result_doc(lcp=100.0))
    branch = make_run(result_doc(lcp=150.0))
    comparison = Comparison.objects.create(
        scenario=base.scenario, branch="feature/x", base_branch="main"
    )
    Run.objects.filter(pk=base.pk).update(comparison=comparison, role="base")
    Run.objects.filter(pk=branch.pk).update(comparison=comparison, role="branch")

    html = viewer_client.get(f"/compare/?comparison={comparison.pk}").content.decode()

    assert "base main (1 runs)" in html
    assert "branch feature/x (1 runs)" in html
    assert '<td>LCP</td><td class="num">100 ms</td><td class="num">150 ms</td>' in html


def test_sets_can_come_from_checkboxes(viewer_client: Client, make_run: Callable[..., Run]) -> None:
    a, b, c = make_run(result_doc(lcp=100.0)), make_run(result_doc(lcp=300.0)), make_run()

    response = viewer_client.get(f"/compare/?base={a.pk}&base={b.pk}&branch={c.pk}")

    assert "base (2 runs)" in response.content.decode()
    assert '<td>LCP</td><td class="num">200 ms</td><td class="num">100 ms</td>' in (
        response.content.decode()
    )
    scenario_page = viewer_client.get("/scenarios/home/").content.decode()
    assert f'name="base" value="{a.pk}"' in scenario_page


def test_an_editor_cancels_a_running_comparison_from_its_page(
    editor_client: Client, viewer_client: Client, scenario: Scenario
) -> None:
    comparison = Comparison.objects.create(scenario=scenario, status=Comparison.RUNNING)
    queued = Run.objects.create(scenario=scenario, comparison=comparison, kind=Run.KIND_CI)
    page = editor_client.get(f"/compare/?comparison={comparison.pk}").content.decode()
    assert "Cancel this comparison" in page
    assert (
        "Cancel this comparison"
        not in viewer_client.get(f"/compare/?comparison={comparison.pk}").content.decode()
    )
    assert viewer_client.post(f"/comparisons/{comparison.pk}/cancel/").status_code == 403
    answer = editor_client.post(f"/comparisons/{comparison.pk}/cancel/")
    assert (answer.status_code, answer["Location"]) == (
        302,
        f"/compare/?comparison={comparison.pk}",
    )
    comparison.refresh_from_db()
    assert comparison.status == Comparison.CANCELLED
    assert not Run.objects.filter(pk=queued.pk).exists()
