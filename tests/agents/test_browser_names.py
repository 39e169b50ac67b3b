"""The agents' engines and the server's scenarios know the browsers by the same names."""

from agents.engines import DEFAULT, ENGINES
from core import browsers


def test_the_engines_are_the_browsers_scenarios_choose_from() -> None:
    assert (ENGINES, DEFAULT) == (browsers.BROWSERS, browsers.DEFAULT)
