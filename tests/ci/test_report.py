"""perfite-ci's renderings of a comparison: table, CSV, JUnit, TeamCity, HTML (pure)."""

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

from core.stats.report import compare_runs
from perfite_ci import report
from tests.factories import home_result

BASE = [home_result(f) for f in (100.0, 104.0, 98.0, 102.0, 101.0)]
SLOW = [home_result(f + 400, ad_ms=420.0) for f in (100.0, 104.0, 98.0, 102.0, 101.0)]


def comparison(before: list[Any], after: list[Any], **extra: Any) -> dict[str, Any]:
    data = compare_runs(before, after, budgets=extra.pop("budgets", {}))
    data["base"] = {"source": "paired", "url": "http://base.test/", "runs": [1, 3, 5, 7, 9]}
    data["branch"] = {"runs": [2, 4, 6, 8, 10]}
    return {
        "id": 7,
        "scenario": "demo",
        "mode": "paired",
        "verdict": data["verdict"],
        "report": data,
        "build_url": "",
        "branch_url": "",
        "base_url": "",
        **extra,
    }


def test_the_headline_names_the_profile_both_sides_were_measured_under() -> None:
    assert report.headline(comparison(BASE, SLOW, profile="3g-fast")) == (
        "Perfite comparison 7 of demo (paired, profile 3g-fast): REGRESSION, gate fail"
    )


def test_the_table_shows_gated_metrics_verdicts_and_attribution() -> None:
    text = report.table(comparison(BASE, SLOW))
    lines = text.splitlines()
    assert lines[0] == (
        "Perfite comparison 7 of demo (paired, profile native): REGRESSION, gate fail"
    )
    assert lines[1] == "base: paired http://base.test/ (5 runs); branch: 5 runs"
    assert lines[3].split() == ["metric", "base", "branch", "change", "p(adj)", "cliff", "verdict"]
    # ttfb, cls and tbt are constant in these runs: out of the Holm family and not shown.
    assert lines[4].split() == [
        "fcp",
        "101",
        "501",
        "+400",
        "(+396.0%)",
        "0.0238",
        "1",
        "regression",
    ]
    assert lines[5].split()[0] == "lcp"
    assert lines[6].split()[0] == "load"
    assert "  LCP +400 ms — ads.other.localhost: render-blocking script +400 ms" in lines


def test_the_csv_has_one_row_per_metric_with_the_numbers() -> None:
    data = comparison(BASE, SLOW)
    rows = list(csv.DictReader(io.StringIO(report.to_csv(data["report"]))))
    assert len(rows) == len(data["report"]["metrics"])
    lcp = next(r for r in rows if r["metric"] == "lcp")
    assert (lcp["base_median"], lcp["branch_median"], lcp["verdict"], lcp["gated"]) == (
        "101.0",
        "501.0",
        "regression",
        "True",
    )


def test_junit_has_one_case_per_metric_and_budget_and_counts_failures() -> None:
    data = comparison(BASE, BASE, budgets={"lcp": 50, "fcp": 1000})
    root = ET.fromstring(report.junit(data))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(data["report"]["metrics"]) + 2
    failed = [(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None]
    assert failed == [("perfite.demo.budgets", "lcp")]
    assert (suite.get("failures"), root.get("failures")) == ("1", "1")


def test_teamcity_messages_escape_their_values() -> None:
    data = comparison(BASE, SLOW)
    data["scenario"] = "shop[eu]'s"
    messages = list(report.teamcity(data))
    assert messages[:2] == [
        "##teamcity[buildStatisticValue key='perfite.shop|[eu|]|'s.fcp' value='501.000']",
        "##teamcity[buildStatisticValue key='perfite.shop|[eu|]|'s.fcp.delta' value='400.000']",
    ]
    assert len(messages) == 2 * 5  # every requested metric, the constant cls and tbt too
    assert all(m.startswith("##teamcity[buildStatisticValue key='perfite.") for m in messages)


def test_the_html_report_escapes_everything_it_shows() -> None:
    data = comparison(
        BASE, SLOW, branch="<script>alert(1)</script>", build_url="https://ci.test/?a=1&b='x'"
    )
    page = report.to_html(data)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "href='https://ci.test/?a=1&amp;b=&#x27;x&#x27;'" in page
    assert page.startswith("<!doctype html>")
