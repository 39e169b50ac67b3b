"""Run.spec(): the job a scheduled, CI or "try it now" run sends to its agent."""

from pathlib import Path
from typing import Any

import pytest

from agents.scenario_file import spec_from_target
from core.script import ScriptError
from scenarios.models import Location, Run, Scenario

SCRIPT = """\
- dns: {host: api.example.com, address: 10.0.0.2}
- block: [tracker.net]
- click: '#menu'
"""


@pytest.fixture
def scenario(db: None) -> Scenario:
    return Scenario.objects.create(
        name="Shop",
        slug="shop",
        url="http://www.example.com/",
        script_format=Scenario.FORMAT_YAML,
        script=SCRIPT,
        first_party=["*.example.com"],
        dns_overrides={"api.example.com": "10.0.0.1", "www.example.com": "10.0.0.9"},
        block=["*.ads.com"],
    )


@pytest.fixture
def run(scenario: Scenario) -> Run:
    return Run.objects.create(scenario=scenario, location=Location.objects.create(name="eu"))


def test_a_scheduled_runs_spec_honours_har_content_embed(run: Run, settings: Any) -> None:
    settings.PERFITE_HAR_CONTENT = "embed"

    assert run.spec()["har_content"] == "embed"


def test_a_scheduled_runs_spec_is_exactly_the_scenario_with_the_runs_identity(
    run: Run, settings: Any
) -> None:
    settings.PERFITE_QUIET_MS = 300
    settings.PERFITE_STEP_TIMEOUT_MS = 5000
    settings.PERFITE_RUN_TIMEOUT_MS = 90_000
    settings.PERFITE_HAR_CONTENT = "omit"

    assert run.spec() == {
        "scenario": "shop",
        "run_id": run.pk,
        "location": "eu",
        "browser": "chromium",
        "url": "http://www.example.com/",
        "setup": {
            "viewport": None,
            "device": None,
            "user_agent": None,
            "headers": {},
            "cookies": [],
            "block": ["*.ads.com", "tracker.net"],
            "dns": {"api.example.com": "10.0.0.2", "www.example.com": "10.0.0.9"},
            "requests": [],
            "websockets": [],
            "backend": [],
        },
        "steps": [{"action": "click", "line": 3, "selector": "#menu"}],
        "first_party": ["*.example.com"],
        "quiet_ms": 300,
        "step_timeout_ms": 5000,
        "run_timeout_ms": 90_000,
        "har_content": "omit",
        "screenshot": True,
        "profile": {
            "name": "native",
            "download_kbps": 0.0,
            "upload_kbps": 0.0,
            "rtt_ms": 0.0,
            "cpu_slowdown": 1.0,
        },
        "filmstrip": True,
    }


def test_a_scenario_without_a_filmstrip_asks_its_agents_for_none(
    scenario: Scenario, run: Run
) -> None:
    scenario.filmstrip = False
    scenario.save()

    assert Run.objects.get(pk=run.pk).spec()["filmstrip"] is False


def test_a_run_is_measured_in_the_browser_it_was_queued_for(scenario: Scenario) -> None:
    scenario.browser = "firefox"
    scenario.save()
    run = Run.objects.create(scenario=scenario, browser=scenario.browser)
    scenario.browser = "webkit"  # changed after the run was queued to the firefox queue
    scenario.save()

    assert Run.objects.get(pk=run.pk).spec()["browser"] == "firefox"


def test_a_ci_run_measures_its_target_url(scenario: Scenario) -> None:
    run = Run.objects.create(scenario=scenario, target_url="http://preview.example.com/")

    spec = run.spec()

    assert (spec["url"], spec["location"]) == ("http://preview.example.com/", "")


def test_a_scenario_file_gives_the_same_spec_as_the_same_scenario_in_the_database(
    run: Run, tmp_path: Path, settings: Any
) -> None:
    settings.PERFITE_HAR_CONTENT = "embed"
    path = tmp_path / "shop.yaml"
    path.write_text(
        "name: shop\nurl: http://www.example.com/\nfirst_party: ['*.example.com']\n"
        "dns: {api.example.com: 10.0.0.1, www.example.com: 10.0.0.9}\n"
        "block: ['*.ads.com']\nsteps:\n"
        "  - dns: {host: api.example.com, address: 10.0.0.2}\n"
        "  - block: [tracker.net]\n"
        "  - click: '#menu'\n"
    )

    from_file = spec_from_target(str(path))
    from_run = run.spec()

    assert from_file["setup"] == from_run["setup"]
    assert [s["action"] for s in from_file["steps"]] == ["click"]
    assert {k: v for k, v in from_file.items() if k not in ("steps", "run_id", "location")} == {
        k: v for k, v in from_run.items() if k not in ("steps", "run_id", "location")
    }


def test_a_scenario_file_names_its_browser_and_the_option_wins(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        "name: shop\nurl: http://www.example.com/\nbrowser: firefox\nsteps: [{wait_for: {ms: 1}}]\n"
    )

    assert spec_from_target(str(path))["browser"] == "firefox"
    assert spec_from_target(str(path), browser="webkit")["browser"] == "webkit"
    assert spec_from_target("http://www.example.com/")["browser"] == "chromium"


def test_a_scenario_file_naming_an_unknown_browser_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text("url: http://www.example.com/\nbrowser: opera\nsteps: [{wait_for: {ms: 1}}]\n")

    with pytest.raises(ScriptError) as refused:
        spec_from_target(str(path))
    assert str(refused.value) == "unknown browser 'opera': one of chromium, firefox, webkit"
