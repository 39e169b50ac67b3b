"""core.spec: the one builder of the measurement spec (merging rules, exact keys)."""

from types import SimpleNamespace
from typing import Any

import pytest

from core.profiles import BUILTIN, Profile
from core.script import parse_script
from core.spec import SpecOptions, build_spec

OPTIONS = SpecOptions(quiet_ms=500, step_timeout_ms=7000, run_timeout_ms=60_000)


def build(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(
        url="http://www.example.com/", steps=[], first_party=[], dns={}, block=[]
    )
    return build_spec(**{**arguments, **overrides}, options=OPTIONS)


def test_a_bare_url_gives_the_exact_spec_with_every_key() -> None:
    assert build() == {
        "scenario": None,
        "run_id": None,
        "location": "",
        "browser": "chromium",
        "url": "http://www.example.com/",
        "setup": {
            "viewport": None,
            "device": None,
            "user_agent": None,
            "headers": {},
            "cookies": [],
            "block": [],
            "dns": {},
            "requests": [],
            "websockets": [],
            "backend": [],
        },
        "steps": [],
        "first_party": [],
        "quiet_ms": 500,
        "step_timeout_ms": 7000,
        "run_timeout_ms": 60_000,
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


def test_setup_steps_leave_the_journey_and_actions_keep_their_order() -> None:
    steps = parse_script(
        "- set_viewport: {width: 390, height: 844}\n"
        "- click: '#menu'\n"
        "- set_header: {name: X-Test, value: '1'}\n"
        "- navigate: /cart\n"
    )

    spec = build(steps=steps, scenario="shop", run_id=7, location="eu", screenshot=False)

    assert (spec["scenario"], spec["run_id"], spec["location"]) == ("shop", 7, "eu")
    assert (spec["setup"]["viewport"], spec["setup"]["headers"]) == (
        {"width": 390, "height": 844},
        {"X-Test": "1"},
    )
    assert [(s["action"], s["line"]) for s in spec["steps"]] == [("click", 2), ("navigate", 4)]
    assert spec["screenshot"] is False


def test_the_scripts_dns_wins_over_the_scenarios_for_the_same_host() -> None:
    steps = parse_script(
        "- dns: {host: api.example.com, address: 10.0.0.2}\n"
        "- dns: {host: cdn.example.com, address: 10.0.0.3}\n"
    )

    spec = build(steps=steps, dns={"api.example.com": "10.0.0.1", "www.example.com": "10.0.0.9"})

    assert spec["setup"]["dns"] == {
        "api.example.com": "10.0.0.2",
        "www.example.com": "10.0.0.9",
        "cdn.example.com": "10.0.0.3",
    }


def test_block_patterns_are_the_scenarios_then_the_scripts() -> None:
    steps = parse_script("- block: ['*.ads.com', tracker.net]\n")

    spec = build(steps=steps, block=["fonts.example.com", "*.ads.com"])

    assert spec["setup"]["block"] == ["fonts.example.com", "*.ads.com", "*.ads.com", "tracker.net"]


def test_building_leaves_its_arguments_unchanged() -> None:
    steps = parse_script("- dns: {host: a.example.com, address: 10.0.0.2}\n- click: '#a'\n")
    dns, block, first_party = {"b.example.com": "10.0.0.1"}, ["x.com"], ["*.example.com"]

    spec = build(steps=steps, dns=dns, block=block, first_party=first_party)
    spec["setup"]["dns"]["c.example.com"] = "10.0.0.3"
    spec["setup"]["block"].append("y.com")
    spec["first_party"].append("other.com")

    assert (dns, block, first_party) == (
        {"b.example.com": "10.0.0.1"},
        ["x.com"],
        ["*.example.com"],
    )
    assert [s["action"] for s in steps] == ["dns", "click"]


def test_options_come_from_any_object_with_the_perfite_settings() -> None:
    settings = SimpleNamespace(
        PERFITE_QUIET_MS=300,
        PERFITE_STEP_TIMEOUT_MS=5000,
        PERFITE_RUN_TIMEOUT_MS=90_000,
        PERFITE_HAR_CONTENT="embed",
    )

    assert SpecOptions.from_settings(settings) == SpecOptions(
        quiet_ms=300, step_timeout_ms=5000, run_timeout_ms=90_000, har_content="embed"
    )


def test_the_spec_carries_the_profiles_numbers_not_only_its_name() -> None:
    spec = build(profile=BUILTIN["lighthouse-mobile"])

    assert spec["profile"] == {
        "name": "lighthouse-mobile",
        "download_kbps": 1509.949,
        "upload_kbps": 691.2,
        "rtt_ms": 562.5,
        "cpu_slowdown": 4.0,
    }


def test_a_custom_profiles_numbers_are_carried_as_given() -> None:
    custom = Profile("office-wifi", download_kbps=20_000, upload_kbps=5_000, rtt_ms=12)

    assert build(profile=custom)["profile"] == {
        "name": "office-wifi",
        "download_kbps": 20_000,
        "upload_kbps": 5_000,
        "rtt_ms": 12,
        "cpu_slowdown": 1.0,
    }


def test_the_spec_names_the_browser_to_measure_in() -> None:
    assert build(browser="firefox")["browser"] == "firefox"


def test_a_browser_perfite_does_not_know_is_refused() -> None:
    with pytest.raises(
        ValueError, match="unknown browser 'opera': one of chromium, firefox, webkit"
    ):
        build(browser="opera")
