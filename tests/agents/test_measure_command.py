"""manage.py measure, end to end in-process against the demo site."""

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from agents.engines import BrowserNotFound
from agents.management.commands.measure import medians, named_lines, summary_line
from agents.scenario_file import spec_from_target
from core.metrics import PAGE
from core.profiles import BUILTIN, ProfileError
from core.visual.archive import check
from scenarios.models import ConnectionProfile


def test_json_output_is_the_result_document(site, tmp_path: Path, capsys) -> None:
    har_out = tmp_path / "run.har"
    call_command("measure", site.url("/"), "--json", "--har-out", str(har_out))
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded"
    assert result["schema"] == 1
    assert result["metrics"]["requests"] == len(result["requests"])
    har = json.loads(har_out.read_text())
    assert len(har["log"]["entries"]) == len(result["requests"])
    # The repaired HAR, as stored: its sizes and times are the document's.
    entries = har["log"]["entries"]
    assert (
        sum(e["response"]["_transferSize"] for e in entries)
        == (result["metrics"]["transfer_bytes"])
    )
    assert [e["time"] for e in entries] == [r["duration_ms"] for r in result["requests"]]
    assert all(e["timings"]["ssl"] == 0 for e in entries)


def test_several_runs_print_every_run_and_the_median(site, capsys) -> None:
    call_command("measure", site.url("/blank"), "--runs", "3", "--json")
    document = json.loads(capsys.readouterr().out)
    assert len(document["runs"]) == 3
    assert document["median"]["requests"] == 1
    transfers = sorted(r["metrics"]["transfer_bytes"] for r in document["runs"])
    assert document["median"]["transfer_bytes"] == transfers[1]


def test_the_table_shows_progress_metrics_and_hosts(site, capsys) -> None:
    call_command("measure", site.url("/"), "--runs", "2")
    captured = capsys.readouterr()
    assert "run 1/2: succeeded" in captured.err and "run 2/2: succeeded" in captured.err
    assert "ads.other.localhost" in captured.out and "third" in captured.out
    printed = [line.split()[0] for line in captured.out.splitlines()[2 : 2 + len(PAGE)]]
    assert printed == [m.name for m in PAGE]  # every page metric of the registry, in order


def test_progress_lines_show_the_summary_metrics_by_the_one_formatter() -> None:
    metrics = {"ttfb": 120.4, "lcp": None, "transfer_bytes": 1_000_000, "third_party_bytes": 1500}

    assert summary_line(metrics) == (
        "TTFB 120 ms  LCP —  Transfer 1.0 MB  Third-party bytes 1.5 kB"
    )


def test_medians_keep_a_scores_three_digits() -> None:
    runs = [{"metrics": {"cls": c, "lcp": v}} for c, v in ((0.1234, 100.04), (0.2, 300.0))]

    assert medians(runs) == {"cls": 0.162, "lcp": 200.0}


def test_first_party_patterns_from_the_command_line(site, capsys) -> None:
    call_command("measure", site.url("/"), "--json", "--first-party", "*.other.localhost")
    hosts = json.loads(capsys.readouterr().out)["hosts"]
    assert hosts["ads.other.localhost"]["party"] == "first"
    assert hosts["www.example.localhost"]["party"] == "third"


def test_a_scenario_file_in_given_when_then_form(site, tmp_path: Path, capsys) -> None:
    feature = tmp_path / "search.feature"
    feature.write_text(
        f'Given I open "{site.url("/search")}"\n'
        'When I fill "#q" with "shoes"\nAnd I click "#search"\nThen I wait for "#results li"\n'
    )
    call_command("measure", str(feature), "--json")
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded"
    assert any("/api/search?q=shoes" in r["url"] for r in result["requests"])


def test_a_broken_scenario_file_is_refused_with_line_and_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("url: http://www.example.localhost/\nsteps:\n  - navigate: /\n  - clik: '#a'\n")
    with pytest.raises(CommandError, match=r"line 4: unknown action 'clik'"):
        call_command("measure", str(bad))


@pytest.mark.system  # starts Chromium
def test_a_failed_page_exits_non_zero_with_the_browser_error(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        call_command("measure", "http://nothing-here.invalid/", "--json")
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "failed"
    assert "ERR_NAME_NOT_RESOLVED" in result["error"]


def test_non_http_urls_are_refused() -> None:
    with pytest.raises(CommandError, match="javascript"):
        call_command("measure", "javascript:alert(1)")


def test_named_metrics_print_as_medians_with_the_reasons_for_absent_ones() -> None:
    run = {
        "metrics": {"lcp": 100.0, "user.ready": 412.3, "custom.ratio": 0.125},
        "steps": [
            {
                "name": "send",
                "duration_ms": 870.7,
                "metrics": {"request.add.transfer_bytes": 310},
            }
        ],
        "metric_errors": {"custom.boom": "TypeError: x is undefined"},
    }
    other = {**run, "metrics": {"lcp": 90.0, "user.ready": 400.1, "custom.ratio": 0.5}}

    assert named_lines([other, run]) == [
        "named metric                                  median",
        "custom.ratio                                   0.312",
        "step.send.duration_ms                         871 ms",
        "step.send.request.add.transfer_bytes           310 B",
        "user.ready                                    406 ms",
        "custom.boom                                        —  TypeError: x is undefined",
    ]
    assert named_lines([{"metrics": {"lcp": 1.0}}]) == []


def test_the_table_shows_a_scenarios_named_metrics(site, tmp_path: Path, capsys) -> None:
    scenario = tmp_path / "timings.yaml"
    scenario.write_text(
        f"url: {site.url('/timings?wait=50')}\n"
        "steps:\n"
        "  - wait_for: 'body[data-state=\"done\"]'\n"
        "  - evaluate: {name: boom, expression: \"(() => { throw new TypeError('no') })()\"}\n"
    )
    call_command("measure", str(scenario))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("user.")] == [
        "user.timings_done",
        "user.timings_start",
        "user.timings_wait",
    ]
    assert [line.split(maxsplit=2) for line in lines if line.startswith("custom.")] == [
        ["custom.boom", "—", "TypeError: no"]
    ]


def test_a_builtin_profile_is_measured_under_and_recorded(site, capsys) -> None:
    call_command("measure", site.url("/blank"), "--json", "--profile", "3g-slow")
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "succeeded"
    assert result["profile"] == BUILTIN["3g-slow"].as_spec()
    assert result["metrics"]["ttfb"] >= 400  # its 400 ms round trip, at least


def test_the_table_names_the_profile_with_its_numbers(site, capsys) -> None:
    call_command("measure", site.url("/blank"), "--profile", "lte")
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith(", profile lte: 12 Mbps down, 12 Mbps up, 70 ms RTT, CPU ×1)")


@pytest.mark.django_db
def test_a_custom_profile_is_read_from_the_database(site, capsys) -> None:
    ConnectionProfile.objects.create(name="office", download_kbps=20_000, rtt_ms=30)
    call_command("measure", site.url("/blank"), "--json", "--profile", "office")
    assert json.loads(capsys.readouterr().out)["profile"] == {
        "name": "office",
        "download_kbps": 20_000.0,
        "upload_kbps": 0.0,
        "rtt_ms": 30.0,
        "cpu_slowdown": 1.0,
    }


@pytest.mark.django_db
def test_an_unknown_profile_is_refused_before_anything_is_measured() -> None:
    with pytest.raises(CommandError, match=r"^no profile 'nope'; built in: native, cable, dsl"):
        call_command("measure", "http://www.example.localhost/", "--profile", "nope")


def test_the_browser_asked_for_is_the_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, Any]] = []

    def measure(spec: dict[str, Any], pool: Any) -> Any:  # the engine itself is not under test
        asked.append(spec)
        raise BrowserNotFound("No Firefox here")

    monkeypatch.setattr("agents.management.commands.measure.measure", measure)
    with pytest.raises(CommandError, match="^No Firefox here$"):
        call_command("measure", "http://www.example.localhost/", "--browser", "firefox")
    assert [spec["browser"] for spec in asked] == ["firefox"]


def test_a_browser_perfite_does_not_know_is_refused_before_anything_is_measured() -> None:
    with pytest.raises(CommandError, match=r"argument --browser: invalid choice: 'opera'"):
        call_command("measure", "http://www.example.localhost/", "--browser", "opera")


def test_a_scenario_files_profile_is_used_unless_the_command_line_names_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("url: http://www.example.com/\nprofile: dsl\nsteps: [{wait_for: {ms: 1}}]\n")

    assert spec_from_target(str(path))["profile"] == BUILTIN["dsl"].as_spec()
    assert spec_from_target(str(path), profile=BUILTIN["4g"])["profile"]["name"] == "4g"
    assert spec_from_target("http://www.example.com/")["profile"]["name"] == "native"
    path.write_text("url: http://www.example.com/\nprofile: office\nsteps: [{wait_for: {ms: 1}}]\n")
    with pytest.raises(ProfileError, match="no built-in profile 'office'; built in: native"):
        spec_from_target(str(path))


def test_the_filmstrip_is_written_where_asked_one_frame_per_listed_frame(
    site, tmp_path: Path, capsys
) -> None:
    film_out = tmp_path / "run.zip"
    call_command("measure", site.url("/"), "--json", "--filmstrip-out", str(film_out))
    result = json.loads(capsys.readouterr().out)

    count = len(result["filmstrip"]["frames"])
    check(film_out.read_bytes(), count, max_frames=300, max_bytes=6 * 1024 * 1024)
    assert result["metrics"]["speed_index"] is not None


def test_no_filmstrip_measures_no_visual_metric(site, tmp_path: Path, capsys) -> None:
    film_out = tmp_path / "run.zip"
    call_command(
        "measure", site.url("/"), "--json", "--no-filmstrip", "--filmstrip-out", str(film_out)
    )
    result = json.loads(capsys.readouterr().out)

    assert "filmstrip" not in result and "speed_index" not in result["metrics"]
    assert not film_out.exists()
