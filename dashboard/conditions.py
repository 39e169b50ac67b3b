"""Which lab conditions' runs a scenario page charts, and the browsers and profiles it offers.

Runs measured in different browsers or under different connection and CPU profiles are never
averaged together (scenarios.conditions): the page shows one browser and one profile at a
time, the scenario's own unless ``?browser=`` or ``?profile=`` names another.
"""

from collections.abc import Mapping

from core.browsers import BROWSERS
from core.profiles import name_problem
from scenarios.conditions import Conditions, browser_of
from scenarios.models import Scenario


def chosen(scenario: Scenario, query: Mapping[str, str]) -> Conditions:
    """The conditions ``query`` (a page's parameters) asks for: its ``browser`` when it names
    one of Perfite's browsers, its ``profile`` when it can be a profile's name, the
    scenario's current browser or profile otherwise."""
    browser = query.get("browser") or ""
    profile = query.get("profile") or ""
    return Conditions(
        browser if browser in BROWSERS else scenario.browser,
        profile if profile and name_problem(profile) is None else scenario.profile,
    )


def offered_browsers(scenario: Scenario, current: Conditions) -> list[str]:
    """The scenario's browser first, then every other browser its runs were measured in (an
    imported run's counts as Chromium) and ``current``'s, by name."""
    seen = {browser_of(b) for b in _distinct(scenario, "browser")}
    return [scenario.browser, *sorted((seen | {current.browser}) - {scenario.browser})]


def offered_profiles(scenario: Scenario, current: Conditions) -> list[str]:
    """The scenario's profile first, then every other profile its runs in ``current``'s
    browser were measured under (and ``current``'s), by name."""
    seen = _distinct(scenario, "profile", browser__in=current.browsers)
    return [scenario.profile, *sorted((seen | {current.profile}) - {scenario.profile})]


def _distinct(scenario: Scenario, field: str, **filters: object) -> set[str]:
    return set(scenario.runs.filter(**filters).order_by().values_list(field, flat=True).distinct())
