"""Which profile's runs a scenario page charts, and the profiles it offers.

Runs under different connection and CPU profiles are never averaged together: the page shows
one profile at a time, the scenario's own unless ``?profile=`` names another.
"""

from core.profiles import name_problem
from scenarios.models import Scenario


def chosen(scenario: Scenario, requested: str | None) -> str:
    """``requested`` when it can be a profile's name, else the scenario's profile."""
    if requested and name_problem(requested) is None:
        return requested
    return scenario.profile


def offered(scenario: Scenario, current: str) -> list[str]:
    """The scenario's profile first, then every other profile its runs were measured under
    (and ``current``), by name."""
    seen = set(scenario.runs.order_by().values_list("profile", flat=True).distinct())
    others = sorted((seen | {current}) - {scenario.profile})
    return [scenario.profile, *others]
