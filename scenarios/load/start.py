"""Starting a load test, or refusing it with the reason: the guard rails of load mode.

A load test starts only when its plan is sound (core.load.plan), its metric is one the
registry knows, every host its journey targets is allowed (``PERFITE_LOAD_ALLOWED_HOSTS`` and
the location's ``load_hosts``: core.load.targets), no other load test is running in the
location, and the live agents of the location that serve the scenario's browser hold the
largest stage (their announced ``load_users``). A refusal says which rule and, for
capacity, the numbers.
"""

from typing import Any

from django.conf import settings
from django.db import transaction

from core.browsers import profile_refusal
from core.load.plan import Plan, PlanError, capacity_refusal
from core.load.targets import refused_hosts
from core.metrics import metric_problem
from core.profiles import Profile
from scenarios.load import stages
from scenarios.models import LoadTest, Location, Scenario, UnknownProfile, resolve_profile


class LoadRefused(ValueError):
    """The load test may not start; the message says why, to the person who asked."""


def allowed_hosts(location: Location) -> list[str]:
    """The host patterns load tests from ``location`` may target: the setting's, then the
    location's own."""
    own = [str(p) for p in (location.load_hosts or []) if isinstance(p, str)]
    return [*settings.PERFITE_LOAD_ALLOWED_HOSTS, *own]


def host_refusal(spec: dict[str, Any], location: Location) -> str | None:
    """Why the journey of ``spec`` may not be load-tested from ``location``, None when every
    host it targets is allowed."""
    refused = refused_hosts(spec, allowed_hosts(location))
    if not refused:
        return None
    names = ", ".join(refused)
    return (
        f"load tests may not target {names}: an admin allows a host in "
        f"PERFITE_LOAD_ALLOWED_HOSTS or in the load hosts of location {location.name} "
        "(admin, Locations), and only with its owners' agreement"
    )


def load_spec(scenario: Scenario, location: Location) -> dict[str, Any]:
    """What each virtual user measures: the scenario's spec (core.spec) from ``location``,
    without the final screenshot and the filmstrip (a load test keeps neither, and frames
    cost the agent CPU its users need). Raises LoadRefused when the scenario's profile is
    gone or its browser cannot apply it."""
    try:
        profile: Profile = resolve_profile(scenario.profile)
    except UnknownProfile as exc:
        raise LoadRefused(str(exc)) from exc
    if refusal := profile_refusal(scenario.browser, profile):
        raise LoadRefused(refusal)
    spec = scenario.spec(location=location.name)
    spec.update(screenshot=False, filmstrip=False)
    return spec


def default_location(scenario: Scenario) -> Location:
    """The scenario's first location by name; LoadRefused when it has none."""
    location = scenario.locations.order_by("name").first()
    if location is None:
        raise LoadRefused(f"{scenario.name} has no location to load-test from: add one first")
    return location


def create_load_test(
    scenario: Scenario, plan: Plan, *, location: Location | None = None, user: Any = None
) -> LoadTest:
    """Create the load test and start its first stage (its shares go to the agents once the
    transaction commits). Raises LoadRefused, creating nothing, when a guard rail says no."""
    location = location or default_location(scenario)
    if problem := metric_problem(plan.metric):
        raise LoadRefused(f"metric: {problem}")
    spec = load_spec(scenario, location)
    if refusal := host_refusal(spec, location):
        raise LoadRefused(refusal)
    with transaction.atomic():
        Location.objects.select_for_update().get(pk=location.pk)  # one start at a time here
        running = LoadTest.objects.filter(location=location).exclude(status__in=LoadTest.SETTLED)
        if (other := running.first()) is not None:
            raise LoadRefused(
                f"load test {other.pk} of {other.scenario.name} is running in "
                f"{location.name}: wait for it or cancel it first"
            )
        capacity = location.load_capacity(scenario.browser)
        where = f"{location.name} with {scenario.browser}"
        if plan.most_users > sum(capacity.values()):
            raise LoadRefused(capacity_refusal(plan.most_users, capacity, where))
        test = LoadTest.objects.create(
            scenario=scenario,
            location=location,
            browser=scenario.browser,
            kind=plan.kind,
            stages=list(plan.stages),
            seconds=plan.seconds,
            iterations=plan.iterations,
            metric=plan.metric,
            statistic=plan.statistic,
            limit=plan.limit,
            spec=spec,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        try:
            stages.start_stage(test, 0)
        except PlanError as exc:  # an agent went away since the check above
            raise LoadRefused(str(exc)) from exc
    return test
