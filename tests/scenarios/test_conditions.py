"""A run's lab conditions (browser and profile): which runs a set of conditions takes, in the
ORM and in raw SQL, the runs of a scenario's current conditions in a subquery and a join, and
the refusal that names what mixed runs were measured under. Imported runs (no browser of
ours) count as Chromium's."""

from typing import Any

import pytest
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from scenarios.conditions import Conditions, current_q, current_sql, mixed
from scenarios.models import Location, Run, Scenario, Threshold

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario() -> Scenario:
    return Scenario.objects.create(name="Shop", slug="shop", url="http://www.example.com/")


def runs(scenario: Scenario) -> dict[str, Run]:
    """One run per (browser, profile) pair, by name: chromium, firefox, imported, 4g."""
    location = Location.objects.create(name="paris")
    made = {}
    for name, browser, profile in (
        ("chromium", "chromium", "native"),
        ("firefox", "firefox", "native"),
        ("imported", "", "native"),
        ("4g", "chromium", "4g"),
    ):
        made[name] = Run.objects.create(
            scenario=scenario, location=location, browser=browser, profile=profile
        )
    return made


def names(found: Any, made: dict[str, Run]) -> list[str]:
    by_pk = {run.pk: name for name, run in made.items()}
    return sorted(by_pk[pk] for pk in found)


@pytest.mark.parametrize(
    ("conditions", "taken"),
    [
        (Conditions("chromium", "native"), ["chromium", "imported"]),
        (Conditions("chromium", "4g"), ["4g"]),
        (Conditions("firefox", "native"), ["firefox"]),
        (Conditions("webkit", "native"), []),
    ],
)
def test_conditions_take_their_runs_in_the_orm_and_in_sql(
    scenario: Scenario, conditions: Conditions, taken: list[str]
) -> None:
    made = runs(scenario)
    where, params = conditions.sql("r")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id FROM scenarios_run r WHERE {where}", params)
        in_sql = [row[0] for row in cursor.fetchall()]

    assert names(Run.objects.filter(conditions.runs()).values_list("pk", flat=True), made) == taken
    assert names(in_sql, made) == taken


def test_an_imported_run_counts_as_measured_in_chromium(scenario: Scenario) -> None:
    made = runs(scenario)
    assert Conditions.of_run(made["imported"]) == Conditions("chromium", "native")
    assert Conditions.of_run(made["4g"]) == Conditions("chromium", "4g")
    assert Conditions.of_scenario(scenario).key == "chromium:native"


@pytest.mark.parametrize(
    ("browser", "profile", "taken"),
    [
        ("chromium", "native", ["chromium", "imported"]),
        ("firefox", "native", ["firefox"]),
        ("chromium", "4g", ["4g"]),
    ],
)
def test_a_scenarios_current_conditions_take_its_runs_in_a_subquery_and_a_join(
    scenario: Scenario, browser: str, profile: str, taken: list[str]
) -> None:
    made = runs(scenario)  # created in the order chromium, firefox, imported, 4g
    Scenario.objects.filter(pk=scenario.pk).update(browser=browser, profile=profile)
    newest = Run.objects.filter(current_q(""), scenario_id=OuterRef("pk")).order_by("-pk")
    where, params = current_sql("r", "s")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id FROM scenarios_run r JOIN scenarios_scenario s "
            f"ON s.id = r.scenario_id AND {where}",
            params,
        )
        joined = [row[0] for row in cursor.fetchall()]

    [last] = Scenario.objects.annotate(last=Subquery(newest.values("pk")[:1])).values_list(
        "last", flat=True
    )

    assert names([last], made) == taken[-1:]
    assert names(joined, made) == taken


def test_mixed_runs_are_refused_naming_each_sides_browsers_then_profiles(
    scenario: Scenario,
) -> None:
    made = runs(scenario)
    a, b, c, d = (made[n].pk for n in ("chromium", "firefox", "imported", "4g"))

    assert mixed({"base": [made["chromium"]], "branch": [made["imported"]]}) is None
    assert mixed({"base": [made["chromium"], made["imported"]], "branch": [made["firefox"]]}) == (
        "runs measured in different browsers are not compared: "
        f"base chromium (runs {a}, {c}), branch firefox (run {b})"
    )
    assert mixed({"base": [made["firefox"]], "branch": [made["4g"]]}) == (
        "runs measured in different browsers are not compared: "
        f"base firefox (run {b}), branch chromium (run {d}). "
        "runs measured under different profiles are not compared: "
        f"base native (run {b}), branch 4g (run {d})"
    )


def test_changing_a_scenarios_browser_drops_its_thresholds_cached_baselines(
    scenario: Scenario,
) -> None:
    # As changing its profile does (tests/scenarios/test_profiles.py).
    threshold = Threshold.objects.create(
        scenario=scenario, metric="lcp", value=20, baseline=900.0, baseline_at=timezone.now()
    )
    scenario.browser = "firefox"
    scenario.save()

    threshold.refresh_from_db()
    assert (threshold.baseline, threshold.baseline_at) == (None, None)
