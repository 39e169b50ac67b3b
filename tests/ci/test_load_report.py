"""perfite-ci load's own parts: the request it sends, the report it prints, its exit code."""

from typing import Any

import pytest

from perfite_ci.cli import build_parser
from perfite_ci.client import CIError
from perfite_ci.load import EXIT_FAIL, EXIT_OK, load_body, outcome, report_text, stages_body

TEST: dict[str, Any] = {
    "id": 7,
    "scenario": "crowded",
    "kind": "parallel",
    "location": "lab",
    "browser": "chromium",
    "status": "done",
    "metric": "ttfb",
    "statistic": "median",
    "limit": 2000.0,
    "report": {
        "stages": [
            {
                "users": 1,
                "iterations": 2,
                "failed": 0,
                "error_rate": 0.0,
                "throughput": 12.5,
                "metrics": {"ttfb": {"median": 1010.0, "p95": 1020.5}},
                "cpu_percent": 35.2,
                "pss_per_user": 61_400_000.0,
                "saturated": [],
            },
            {
                "users": 4,
                "iterations": 8,
                "failed": 1,
                "error_rate": 0.125,
                "throughput": 30.0,
                "metrics": {"ttfb": {"median": 3900.0, "p95": 4100.0}},
                "cpu_percent": 95.0,
                "pss_per_user": None,
                "saturated": ["lab-1"],
            },
        ],
        "crossed": {"stage": 1, "users": 4, "value": 3900.0},
    },
    "compared": {"load_test": 3, "rows": [{"users": 1, "current": 1010.0, "earlier": 990.0}]},
}


def test_stages_are_a_list_or_a_ramp_and_anything_else_is_refused() -> None:
    assert stages_body("1, 4,8") == {"stages": [1, 4, 8]}
    assert stages_body("1-10/3") == {"ramp": {"start": 1, "stop": 10, "step": 3}}
    with pytest.raises(CIError, match="whole numbers of users"):
        stages_body("1,x")
    with pytest.raises(CIError, match="FROM-TO/STEP"):
        stages_body("1-x")


def test_the_request_carries_the_arguments_given() -> None:
    args = build_parser().parse_args(
        ["load", "--scenario", "crowded", "--stages", "1,4", "--iterations", "2", "--limit", "5"]
    )
    assert load_body(args) == {
        "scenario": "crowded",
        "kind": "continuous",
        "metric": "lcp",
        "statistic": "p95",
        "stages": [1, 4],
        "iterations": 2,
        "limit": 5.0,
    }


def test_the_report_is_a_line_per_stage_with_the_answer() -> None:
    assert report_text(TEST) == (
        "Perfite load test 7 of crowded (parallel, from lab in chromium): done\n"
        "median and p95 of ttfb; limit on the median: 2,000\n"
        "users  iterations  failed  errors  per min  median    p95  cpu  mem/user\n"
        "    1           2       0    0.0%     12.5   1,010  1,020  35%   61.4 MB\n"
        "    4           8       1   12.5%       30   3,900  4,100  95%         -\n"
        "The median of ttfb crosses 2,000 at 4 users (3,900).\n"
        "Warning: saturated agents (their CPU, not only the site): ['lab-1']\n"
        "Compared with load test 3 (median of ttfb):\n"
        "  1 users: 1,010 now, 990 then\n"
    )


def test_crossing_below_the_users_it_must_hold_exits_1() -> None:
    assert outcome(TEST, None) == EXIT_FAIL
    assert outcome(TEST, 5) == EXIT_FAIL
    assert outcome(TEST, 4) == EXIT_OK
    assert outcome({**TEST, "report": {"crossed": None}}, 100) == EXIT_OK
