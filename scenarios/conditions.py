"""The lab conditions a run is measured under: its browser and its connection and CPU profile.

Runs measured under different conditions are never averaged, compared or judged together:
every chart, host and entity table, named-metric picker, comparison, "previous run" link,
threshold history, correlation and release report of a scenario reads the runs of one
``Conditions`` (a scenario's current ones: :meth:`Conditions.of_scenario`), and the cache
keys of closed chart buckets carry its :attr:`~Conditions.key`.

An imported run (``Run.browser`` empty: measured elsewhere, by a tool whose browser Perfite
does not know) counts as measured in the default browser, Chromium, as a document without
a profile counts as ``native``. That is what every run was before scenarios chose a
browser, so the series of a scenario that never changed browser are unchanged by browsers
existing; the tools people import from (DevTools' HAR export, Lighthouse, browsertime and
WebPageTest by default) measure in Chromium; and a run of unknown browser joined to every
browser would be the very mixing this rule forbids.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from django.db.models import OuterRef, Q
from django.db.models.lookups import Exact

from core.browsers import DEFAULT as DEFAULT_BROWSER

if TYPE_CHECKING:
    from scenarios.models import Run, Scenario

IMPORTED = ""
"""``Run.browser`` of an imported run (see the module docstring: it counts as Chromium's)."""


def browser_of(run_browser: str) -> str:
    """The browser a run with ``Run.browser == run_browser`` counts as measured in."""
    return run_browser or DEFAULT_BROWSER


@dataclass(frozen=True)
class Conditions:
    """A browser (one of ``core.browsers.BROWSERS``) and a profile's name."""

    browser: str
    profile: str

    @classmethod
    def of_scenario(cls, scenario: "Scenario") -> Self:
        """The conditions a scenario's runs are measured under now."""
        return cls(scenario.browser, scenario.profile)

    @classmethod
    def of_run(cls, run: "Run") -> Self:
        """The conditions ``run`` was measured under (an imported run's browser: Chromium)."""
        return cls(browser_of(run.browser), run.profile)

    @property
    def browsers(self) -> tuple[str, ...]:
        """The ``Run.browser`` values of runs measured in this browser."""
        if self.browser == DEFAULT_BROWSER:
            return (self.browser, IMPORTED)
        return (self.browser,)

    @property
    def key(self) -> str:
        """A text naming these conditions, for cache keys."""
        return f"{self.browser}:{self.profile}"

    def runs(self, prefix: str = "") -> Q:
        """The runs measured under these conditions, as a filter on Run (``prefix``: the path
        to the run from the filtered model, e.g. ``run__``)."""
        return Q(**{f"{prefix}profile": self.profile, f"{prefix}browser__in": self.browsers})

    def sql(self, alias: str = "") -> tuple[str, list[Any]]:
        """The same filter as :meth:`runs` for raw SQL over scenarios_run (``alias``: its
        name in the query): ``(condition, parameters)``."""
        column = f"{alias}." if alias else ""
        marks = ", ".join(["%s"] * len(self.browsers))
        return (
            f"{column}profile = %s AND {column}browser IN ({marks})",
            [self.profile, *self.browsers],
        )


def current_q(scenario_ref: str) -> Q:
    """The runs measured under the current conditions of the scenario an outer query's
    ``scenario_ref`` names (the path to a Scenario, e.g. ``scenario__`` or ``""``), as a
    filter on Run inside a subquery."""
    browser = OuterRef(f"{scenario_ref}browser")
    return Q(profile=OuterRef(f"{scenario_ref}profile")) & (
        Q(browser=browser) | (Q(browser=IMPORTED) & Q(Exact(browser, DEFAULT_BROWSER)))
    )


def current_sql(run: str, scenario: str) -> tuple[str, list[Any]]:
    """Raw SQL for "run ``run`` (an alias of scenarios_run) was measured under the current
    conditions of scenario ``scenario`` (an alias of scenarios_scenario)": ``(condition,
    parameters)``."""
    return (
        f"{scenario}.profile = {run}.profile AND ({run}.browser = {scenario}.browser "
        f"OR ({run}.browser = %s AND {scenario}.browser = %s))",
        [IMPORTED, DEFAULT_BROWSER],
    )


def mixed(sides: dict[str, list["Run"]]) -> str | None:
    """Why the runs of ``sides`` (label → runs) are not compared: each condition that differs
    among them (browser, then profile), naming what each side's runs were measured under;
    None when they were all measured under the same conditions."""
    reasons = []
    for part, what in (
        ("browser", "in different browsers"),
        ("profile", "under different profiles"),
    ):
        found = {getattr(Conditions.of_run(run), part) for runs in sides.values() for run in runs}
        if len(found) > 1:
            said = ", ".join(f"{label} {_said(runs, part)}" for label, runs in sides.items())
            reasons.append(f"runs measured {what} are not compared: {said}")
    return ". ".join(reasons) or None


def _said(runs: list["Run"], part: str) -> str:
    """``native (run 4); 3g (runs 5, 6)``: the runs by the value of their conditions' ``part``."""
    by_value: dict[str, list[int]] = {}
    for run in runs:
        by_value.setdefault(getattr(Conditions.of_run(run), part), []).append(run.pk)
    return "; ".join(
        f"{value} (run{'s' if len(pks) > 1 else ''} {', '.join(map(str, pks))})"
        for value, pks in sorted(by_value.items())
    )
