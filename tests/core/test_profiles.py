"""core.profiles: the built-in lab conditions, their names and the spec form."""

import math

import pytest

from core.profiles import (
    BUILTIN,
    NATIVE,
    Profile,
    ProfileError,
    builtin,
    from_spec,
    name_problem,
    numbers_problem,
    recorded,
)


def numbers(name: str) -> tuple[float, float, float, float]:
    p = BUILTIN[name]
    return (p.download_kbps, p.upload_kbps, p.rtt_ms, p.cpu_slowdown)


def test_webpagetests_connectivity_profiles_carry_its_published_figures() -> None:
    # connectivity.ini.sample: bwIn / bwOut in bit/s, latency = round trip in ms.
    assert numbers("cable") == (5000, 1000, 28, 1)
    assert numbers("dsl") == (1500, 384, 50, 1)
    assert numbers("fios") == (20000, 5000, 4, 1)
    assert numbers("4g") == (9000, 9000, 170, 1)
    assert numbers("4g-fast") == (10240, 10240, 40, 1)
    assert numbers("lte") == (12000, 12000, 70, 1)
    assert numbers("3g") == (1600, 768, 300, 1)
    assert numbers("3g-fast") == (1600, 768, 150, 1)
    assert numbers("3g-slow") == (400, 400, 400, 1)
    assert numbers("2g") == (280, 256, 800, 1)
    assert numbers("edge") == (240, 200, 840, 1)
    assert numbers("dial") == (49, 30, 120, 1)


def test_lighthouse_mobile_is_slow_4g_as_its_devtools_throttling_applies_it() -> None:
    # rtt 150 ms × 3.75; 1.6 × 1024 and 750 "kbps" × 0.9, of 1,024 bit/s; CPU ×4.
    down, up, rtt, cpu = numbers("lighthouse-mobile")
    assert rtt == 562.5
    assert down == round(1.6 * 1024 * 0.9 * 1.024, 3) == 1509.949
    assert up == round(750 * 0.9 * 1.024, 3) == 691.2
    assert cpu == 4
    assert numbers("lighthouse-3g") == (645.12, 645.12, 1125, 4)


def test_native_shapes_nothing_and_every_other_builtin_shapes_the_network() -> None:
    assert NATIVE.native and not NATIVE.shapes_network
    assert BUILTIN["native"] is NATIVE
    assert [name for name, p in BUILTIN.items() if not p.shapes_network] == ["native"]
    assert builtin("4g") is BUILTIN["4g"]
    assert builtin("nope") is None


def test_every_builtin_has_a_valid_name_label_and_numbers() -> None:
    assert len(BUILTIN) == 15
    for name, profile in BUILTIN.items():
        assert profile.name == name
        assert name_problem(name) is None
        assert profile.label
        assert numbers_problem(*numbers(name)) is None


def test_a_cpu_only_profile_is_not_native_but_shapes_no_network() -> None:
    cpu = Profile("slow-cpu", cpu_slowdown=4)
    assert not cpu.native
    assert not cpu.shapes_network


@pytest.mark.parametrize("name", ["", "4G", "my profile", "-x", "a.b", "x" * 41, "é", None, 4])
def test_a_name_that_cannot_be_a_graphite_node_is_refused(name: object) -> None:
    assert name_problem(name) is not None


@pytest.mark.parametrize("name", ["x", "3g-slow", "a" * 40, "0"])
def test_lower_case_letters_digits_and_dashes_name_a_profile(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ((-1, 0, 0, 1), "download_kbps must be between 0 and 1e+07, got -1"),
        ((0, 0.5, 0, 1), "upload_kbps must be 0 (unlimited) or at least 1 kbps, got 0.5"),
        ((0, 0, 10_001, 1), "rtt_ms must be between 0 and 10000, got 10001"),
        ((0, 0, 0, 0.5), "cpu_slowdown must be between 1 and 20, got 0.5"),
        ((0, 0, 0, 21), "cpu_slowdown must be between 1 and 20, got 21"),
        ((math.nan, 0, 0, 1), "download_kbps must be between 0 and 1e+07, got nan"),
        ((0, 0, True, 1), "rtt_ms must be a number"),
        ((0, "1", 0, 1), "upload_kbps must be a number"),
    ],
)
def test_numbers_out_of_range_are_refused_with_the_field(
    values: tuple[object, ...], problem: str
) -> None:
    assert numbers_problem(*values) == problem


def test_the_spec_form_round_trips() -> None:
    for profile in BUILTIN.values():
        back = from_spec(profile.as_spec())
        assert back.as_spec() == profile.as_spec()
    assert BUILTIN["4g"].as_spec() == {
        "name": "4g",
        "download_kbps": 9000.0,
        "upload_kbps": 9000.0,
        "rtt_ms": 170.0,
        "cpu_slowdown": 1.0,
    }


def test_a_spec_without_a_profile_is_native() -> None:
    assert from_spec(None) == NATIVE
    assert recorded({}) == NATIVE.as_spec()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4g", "profile must be an object"),
        ({"name": "Bad Name"}, "profile.name: invalid profile name 'Bad Name'"),
        (
            {"name": "x", "download_kbps": 1, "upload_kbps": 1, "rtt_ms": -5, "cpu_slowdown": 1},
            "profile.rtt_ms must be between 0 and 10000, got -5",
        ),
        ({"name": "x", "download_kbps": 1}, "profile.upload_kbps must be a number"),
    ],
)
def test_a_malformed_spec_profile_is_refused_and_recorded_as_none(
    value: object, message: str
) -> None:
    with pytest.raises(ProfileError, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        from_spec(value)
    assert recorded({"profile": value}) is None


def test_describe_says_the_numbers_in_one_line() -> None:
    assert BUILTIN["4g"].describe() == "4g: 9 Mbps down, 9 Mbps up, 170 ms RTT, CPU ×1"
    assert BUILTIN["3g-slow"].describe() == (
        "3g-slow: 400 kbps down, 400 kbps up, 400 ms RTT, CPU ×1"
    )
    assert Profile("cpu", cpu_slowdown=4).describe() == (
        "cpu: unlimited down, unlimited up, 0 ms RTT, CPU ×4"
    )
    assert NATIVE.describe() == "native: no shaping"
