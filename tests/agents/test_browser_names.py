"""The agents' engines and the server's scenarios know the browsers by the same names, and
agree on which can apply a connection and CPU profile."""

from agents.engines import DEFAULT, ENGINES, engine
from core import browsers


def test_the_engines_are_the_browsers_scenarios_choose_from() -> None:
    assert (ENGINES, DEFAULT) == (browsers.BROWSERS, browsers.DEFAULT)
    assert {name: engine(name).LABEL for name in ENGINES} == browsers.LABELS


def test_the_browsers_that_apply_profiles_are_the_engines_with_emulation() -> None:
    emulating = {name for name in ENGINES if "profiles" in engine(name).CAPABILITIES}
    assert emulating == browsers.EMULATES_PROFILES == {"chromium"}
