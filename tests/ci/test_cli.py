"""perfite-ci against a live server: exit codes, reports, one-line reasons, releases.

The runs are answered by the synthetic agent (no browser): tests/ci/test_gate_real_browser.py
covers real measurements.
"""

import csv
import io
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from scenarios.models import Comparison, Location, Release, Run, Scenario
from scenarios.runs.store import store_result
from tests.factories import home_result

# Every test runs perfite-ci as a child process.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.system]

BASE_URL = "http://www.example.localhost/?fcp=100"
SLOW_URL = "http://www.example.localhost/?fcp=420&ad=420"


def perfite_ci(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PERFITE_")}
    return subprocess.run(
        [sys.executable, "-m", "perfite_ci.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=settings.BASE_DIR,
        env=env,
    )


@pytest.fixture
def scenario(transactional_db: None) -> Scenario:
    s = Scenario.objects.create(name="Demo", slug="demo", url=BASE_URL, paused=True)
    s.locations.add(Location.objects.create(name="local"))
    return s


@pytest.fixture
def server(live_server: Any, make_user: Any) -> list[str]:
    return ["--server", live_server.url, "--token", make_user()[1]]


def test_a_regression_exits_1_with_reports_that_parse(
    scenario: Scenario, server: list[str], synthetic_agent: Any, tmp_path: Path
) -> None:
    scenario.budgets = {"lcp": 300, "requests": 10}
    scenario.save()
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--url",
        SLOW_URL,
        "--base-url",
        BASE_URL,
        "--junit",
        str(tmp_path / "j.xml"),
        "--csv",
        str(tmp_path / "m.csv"),
        "--html",
        str(tmp_path / "r.html"),
    )
    assert done.returncode == 1, done.stderr
    assert "regression" in done.stdout.splitlines()[0].lower()
    assert "LCP +320 ms — ads.other.localhost: render-blocking script +400 ms" in done.stdout
    assert "FAIL lcp: median 421 ms is over the budget of 300 ms" in done.stdout
    assert "runs finished" in done.stderr and "runs finished" not in done.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "m.csv").read_text())))
    report = Comparison.objects.get().report or {}
    assert [r["metric"] for r in rows] == [m["metric"] for m in report["metrics"]]
    root = ET.parse(tmp_path / "j.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(rows) + 2
    assert suite.get("tests") == root.get("tests") == str(len(rows) + 2)
    failed = sorted(c.get("name") or "" for c in cases if c.find("failure") is not None)
    expected = sorted(
        [m["metric"] for m in report["metrics"] if m["gated"] and m["verdict"] == "regression"]
        + ["lcp"]
    )
    assert failed == expected
    assert suite.get("failures") == str(len(expected))
    assert "<!doctype html>" in (tmp_path / "r.html").read_text()


def test_no_change_exits_0(scenario: Scenario, server: list[str], synthetic_agent: Any) -> None:
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--url",
        BASE_URL,
        "--base-url",
        BASE_URL,
        "--teamcity",
    )
    assert done.returncode == 0, done.stderr
    assert Comparison.objects.get().verdict == "no_change"
    assert "##teamcity[buildStatisticValue key='perfite.demo.fcp.delta' value='" in done.stdout


def test_the_profile_option_measures_both_sides_under_it(
    scenario: Scenario, server: list[str], synthetic_agent: Any
) -> None:
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--url",
        BASE_URL,
        "--base-url",
        BASE_URL,
        "--profile",
        "3g-fast",
    )
    assert done.returncode == 0, done.stderr
    comparison = Comparison.objects.get()
    assert comparison.profile == "3g-fast"
    assert set(comparison.runs.values_list("profile", flat=True)) == {"3g-fast"}
    assert done.stdout.splitlines()[0].startswith(
        f"Perfite comparison {comparison.pk} of demo (paired, profile 3g-fast): "
    )


def test_an_unknown_profile_exits_2_naming_the_ones_there_are(
    scenario: Scenario, server: list[str]
) -> None:
    done = perfite_ci(
        "compare", *server, "--scenario", "demo", "--base-url", BASE_URL, "--profile", "5g"
    )
    assert one_line(done).startswith(
        "perfite-ci: server answered HTTP 400 for POST comparisons/: "
        "profile: no profile '5g'; built in: native, cable, dsl"
    )
    assert not Comparison.objects.exists()


def test_history_mode_takes_the_first_ancestor_with_runs_from_a_file(
    scenario: Scenario, server: list[str], synthetic_agent: Any, tmp_path: Path
) -> None:
    for fcp in (100.0, 104.0, 98.0, 102.0, 101.0):
        run = Run.objects.create(
            scenario=scenario,
            location=scenario.locations.get(),
            kind=Run.KIND_CI,
            branch="main",
            commit="p2",
        )
        store_result(run.pk, home_result(fcp), None)
    (tmp_path / "ancestors").write_text("p1\np2\np3\n")
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--url",
        SLOW_URL,
        "--branch",
        "feature",
        "--commit",
        "f1",
        "--base-branch",
        "main",
        "--base-commit",
        "p0",
        "--base-commits",
        f"@{tmp_path / 'ancestors'}",
    )
    assert done.returncode == 1, done.stderr
    assert "base: nearest ancestor with runs main@p2 (5 runs); branch: 5 runs" in done.stdout


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_bad_token_exits_2_with_one_line(scenario: Scenario, live_server: Any) -> None:
    done = perfite_ci(
        "compare",
        "--server",
        live_server.url,
        "--token",
        "nope",
        "--scenario",
        "demo",
        "--base-url",
        BASE_URL,
    )
    assert one_line(done) == ("perfite-ci: server refused the request (HTTP 401): Invalid token.")


def test_an_unreachable_server_exits_2_with_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = perfite_ci(
        "compare",
        "--server",
        f"http://127.0.0.1:{port}",
        "--token",
        "t",
        "--scenario",
        "demo",
        "--base-url",
        BASE_URL,
    )
    assert one_line(done) == (
        f"perfite-ci: cannot reach http://127.0.0.1:{port}: [Errno 111] Connection refused"
    )


def test_bad_arguments_exit_2_with_one_line() -> None:
    assert one_line(perfite_ci("compare", "--server", "http://x", "--token", "t")) == (
        "perfite-ci: the following arguments are required: --scenario (see perfite-ci --help)"
    )
    assert one_line(
        perfite_ci("compare", "--server", "http://x", "--token", "t", "--scenario", "demo")
    ) == ("perfite-ci: give --base-url (paired runs) or --base-branch (stored base runs)")


def test_an_unknown_scenario_exits_2_naming_it(scenario: Scenario, server: list[str]) -> None:
    done = perfite_ci("compare", *server, "--scenario", "nope", "--base-url", BASE_URL)
    assert one_line(done) == (
        "perfite-ci: server answered HTTP 400 for POST comparisons/: "
        "scenario: Object with slug=nope does not exist."
    )


def test_named_metrics_are_gated_by_name_and_an_unknown_one_exits_2(
    scenario: Scenario, server: list[str], synthetic_agent: Any
) -> None:
    script = "- request_metric: {name: create_chat, match: POST */api/chats}\n- navigate: /\n"
    scenario.script_format, scenario.script = Scenario.FORMAT_YAML, script
    scenario.full_clean()
    scenario.save()
    compare = ["compare", *server, "--scenario", "demo"]
    urls = ["--url", f"{BASE_URL}&chat=300", "--base-url", f"{BASE_URL}&chat=100"]
    unknown = perfite_ci(*compare, *urls, "--metrics", "lcp,user.Checkout")
    assert one_line(unknown) == (
        "perfite-ci: server answered HTTP 400 for POST comparisons/: metrics: user.Checkout: "
        "invalid metric name 'Checkout': use lower-case letters, digits, '_', '-' and '.' "
        "between them"
    )
    assert Comparison.objects.count() == 0
    gated = "user.checkout_ready,request.create_chat.duration_ms"
    done = perfite_ci(*compare, *urls, "--metrics", gated)
    assert done.returncode == 1, done.stderr
    assert (
        "  Request create_chat Duration +200 ms — api.example.localhost: "
        "create_chat POST /api/chats +200 ms"
    ) in done.stdout.splitlines()
    report = Comparison.objects.get().report or {}
    verdicts = {m["metric"]: (m["gated"], m["verdict"]) for m in report["metrics"]}
    assert verdicts["request.create_chat.duration_ms"] == (True, "regression")
    assert "user.checkout_ready" not in verdicts  # gated, but no run measured it


def test_failing_runs_exit_2_with_the_reason(
    scenario: Scenario, server: list[str], synthetic_agent: Any
) -> None:
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--runs",
        "3",
        "--url",
        "http://www.example.localhost/?fail=1",
        "--base-url",
        BASE_URL,
    )
    reason = done.stderr.strip().splitlines()[-1]
    assert done.returncode == 2
    assert reason.startswith("perfite-ci: comparison ")
    assert reason.endswith(" failed: HTTP 500 for the page")
    assert done.stdout == ""


def test_a_release_is_recorded(scenario: Scenario, server: list[str]) -> None:
    done = perfite_ci(
        "release",
        *server,
        "--name",
        "v1.2",
        "--scenario",
        "demo",
        "--note",
        "new ads",
        "--link",
        "https://ci.test/1",
    )
    assert done.returncode == 0, done.stderr
    release = Release.objects.get()
    assert (release.name, release.note, release.link) == ("v1.2", "new ads", "https://ci.test/1")
    assert done.stdout.startswith(f"release {release.pk} v1.2 at ")
    assert done.stdout.endswith("(demo)\n")


def test_the_client_needs_nothing_but_the_standard_library() -> None:
    code = (
        "import sys, perfite_ci.cli; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'django', 'requests', 'rest_framework', 'scenarios', 'agents'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=30,
    )
    assert done.stdout.strip() == "[]"


def test_a_timeout_cancels_the_comparison_and_withdraws_its_queued_runs(
    scenario: Scenario, server: list[str]
) -> None:
    # No agent answers: the first run stays queued until perfite-ci gives up.
    done = perfite_ci(
        "compare", *server, "--scenario", "demo", "--base-url", BASE_URL, "--timeout", "2"
    )
    comparison = Comparison.objects.get()
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == (
        f"perfite-ci: comparison {comparison.pk} not finished after 2 s; "
        f"comparison {comparison.pk} cancelled"
    )
    assert comparison.status == Comparison.CANCELLED
    assert comparison.error.startswith("cancelled by ")
    assert not comparison.runs.exists()


def test_history_mode_without_a_stored_base_fails_fast_and_runs_nothing(
    scenario: Scenario, server: list[str]
) -> None:
    done = perfite_ci(
        "compare",
        *server,
        "--scenario",
        "demo",
        "--branch",
        "feature",
        "--commit",
        "f00d",
        "--base-branch",
        "main",
    )
    assert done.returncode == 2
    assert one_line(done) == (
        "perfite-ci: server answered HTTP 400 for POST comparisons/: only 0 stored succeeded "
        "runs of base branch 'main' in chromium under profile 'native' found (need 3); run the "
        "base first"
    )
    assert not Comparison.objects.exists() and not Run.objects.exists()
