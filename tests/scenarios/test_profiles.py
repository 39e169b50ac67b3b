"""Profiles on the server: custom ones in the admin, a scenario's, each run's, and the look-up
from a name to the numbers an agent applies."""

from typing import Any

import pytest
from django.contrib.admin.sites import site as admin_site
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from core.profiles import BUILTIN
from scenarios.ci import workflow as comparisons
from scenarios.models import (
    Agent,
    Comparison,
    ConnectionProfile,
    Location,
    Run,
    Scenario,
    Threshold,
    UnknownProfile,
    resolve_profile,
)
from scenarios.models.run import claim_run
from scenarios.runs import dispatch
from scenarios.runs.store import store_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario() -> Scenario:
    return Scenario.objects.create(name="Shop", slug="shop", url="http://www.example.com/")


@pytest.fixture
def office() -> ConnectionProfile:
    return ConnectionProfile.objects.create(
        name="office", label="Office Wi-Fi", download_kbps=20_000, upload_kbps=5_000, rtt_ms=12
    )


def refusal(profile: ConnectionProfile) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        profile.full_clean()
    return refused.value.message_dict


def test_a_name_is_a_builtin_profile_first_then_a_custom_one(office: ConnectionProfile) -> None:
    assert resolve_profile("4g") == BUILTIN["4g"]
    assert resolve_profile("office").as_spec() == {
        "name": "office",
        "download_kbps": 20_000.0,
        "upload_kbps": 5_000.0,
        "rtt_ms": 12.0,
        "cpu_slowdown": 1.0,
    }
    with pytest.raises(UnknownProfile) as unknown:
        resolve_profile("nope")
    assert str(unknown.value) == (
        "no profile 'nope'; built in: " + ", ".join(BUILTIN) + "; custom: office"
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "4g"}, "name", "'4g' is a built-in profile"),
        ({"name": "Office Wifi"}, "name", "invalid profile name 'Office Wifi'"),
        ({"name": "x", "rtt_ms": -3}, "rtt_ms", "rtt_ms must be between 0 and 10000, got -3"),
        ({"name": "x", "cpu_slowdown": 0.5}, "cpu_slowdown", "cpu_slowdown must be between 1"),
        ({"name": "x", "upload_kbps": 0.2}, "upload_kbps", "upload_kbps must be 0 (unlimited)"),
    ],
)
def test_a_custom_profile_is_refused_with_its_field(
    fields: dict[str, Any], field: str, message: str
) -> None:
    errors = refusal(ConnectionProfile(**fields))
    assert errors[field][0].startswith(message), errors


def test_its_numbers_are_fixed_once_a_run_was_measured_under_it(
    scenario: Scenario, office: ConnectionProfile
) -> None:
    office.rtt_ms = 40
    office.full_clean()  # no run yet: still editable
    office.save()
    Run.objects.create(scenario=scenario, profile="office")

    office.rtt_ms = 80
    assert refusal(office) == {
        "rtt_ms": [
            "runs were measured under this profile: its numbers are fixed so that they stay "
            "comparable; make a new profile instead"
        ]
    }
    office.rtt_ms = 40
    office.label = "Office, second floor"
    office.full_clean()  # the label is for people: it may change


def test_its_name_is_fixed(office: ConnectionProfile) -> None:
    office.name = "home"
    assert refusal(office) == {"name": ["a profile's name is fixed: make a new profile instead"]}


def test_it_cannot_be_deleted_while_a_scenario_a_comparison_or_a_waiting_run_names_it(
    scenario: Scenario, office: ConnectionProfile
) -> None:
    scenario.profile = "office"
    scenario.save()
    with pytest.raises(ValidationError, match=r"'office' is in use \(scenario shop\)"):
        office.delete()
    scenario.profile = "native"
    scenario.save()
    comparison = Comparison.objects.create(scenario=scenario, profile="office")
    run = Run.objects.create(scenario=scenario, profile="office", status=Run.SUCCEEDED)
    assert office.users() == [f"comparison {comparison.pk}"]
    comparison.status = Comparison.DONE
    comparison.save()
    queued = Run.objects.create(scenario=scenario, profile="office")
    assert office.users() == [f"run {queued.pk}"]
    queued.delete()

    office.delete()  # a finished run keeps its name and numbers in its document

    assert not ConnectionProfile.objects.exists()
    assert Run.objects.get(pk=run.pk).profile == "office"


def test_the_admin_deletes_the_unused_profiles_and_names_the_others(
    scenario: Scenario, office: ConnectionProfile, admin_user: Any
) -> None:
    spare = ConnectionProfile.objects.create(name="spare", rtt_ms=5)
    Scenario.objects.filter(pk=scenario.pk).update(profile="office")
    request = RequestFactory().post("/")
    request.user = admin_user
    request._messages = Messages()  # type: ignore[attr-defined]
    model_admin = admin_site._registry[ConnectionProfile]

    model_admin.delete_queryset(
        request, ConnectionProfile.objects.filter(pk__in=[office.pk, spare.pk])
    )

    assert list(ConnectionProfile.objects.values_list("name", flat=True)) == ["office"]
    assert request._messages.texts == ["office is in use (scenario shop): not deleted"]  # type: ignore[attr-defined]
    assert model_admin.has_delete_permission(request, office) is False


class Messages:
    """Collects admin messages (django.contrib.messages' storage, reduced to the texts)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def add(self, level: int, message: str, extra_tags: str = "") -> None:
        self.texts.append(str(message))


def test_a_scenario_naming_no_profile_is_refused(scenario: Scenario) -> None:
    scenario.profile = "office"
    with pytest.raises(ValidationError) as refused:
        scenario.full_clean()
    assert refused.value.message_dict["profile"] == [
        "no profile 'office'; built in: " + ", ".join(BUILTIN)
    ]


def test_a_browser_without_emulation_keeps_the_native_profile(
    scenario: Scenario, office: ConnectionProfile
) -> None:
    scenario.browser = "firefox"
    scenario.full_clean()  # native: every browser measures it
    for name, label in (("4g", "Firefox"), ("office", "Firefox")):
        scenario.profile = name
        with pytest.raises(ValidationError) as refused:
            scenario.full_clean()
        assert refused.value.message_dict["profile"] == [
            f"{label} cannot apply the profile {name!r}: connection and CPU profiles need "
            "Chromium's emulation"
        ]
    scenario.browser = "chromium"
    scenario.full_clean()


def test_a_comparison_under_a_profile_its_scenarios_browser_cannot_apply_is_refused(
    scenario: Scenario,
) -> None:
    scenario.browser = "webkit"
    scenario.save()
    with pytest.raises(comparisons.ComparisonError) as refused:
        comparisons.create_comparison(
            scenario, iterations=3, base_url="http://www.example.com/?a", profile="3g"
        )
    assert str(refused.value) == (
        "WebKit cannot apply the profile '3g': connection and CPU profiles need Chromium's "
        "emulation"
    )
    assert Comparison.objects.count() == 0


def test_a_runs_spec_carries_the_runs_profile_with_its_numbers(
    scenario: Scenario, office: ConnectionProfile
) -> None:
    scenario.profile = "lte"
    scenario.save()
    run = Run.objects.create(scenario=scenario, profile="office")

    assert run.spec()["profile"] == office.as_profile().as_spec()
    assert scenario.spec()["profile"] == BUILTIN["lte"].as_spec()


def test_a_run_whose_profile_was_deleted_since_fails_saying_so_when_claimed(
    scenario: Scenario,
) -> None:
    run = Run.objects.create(scenario=scenario, profile="gone")

    assert claim_run(run.pk, "agent-1") is None

    run.refresh_from_db()
    assert (run.status, run.attempts) == (Run.FAILED, 0)
    assert run.error == "cannot be measured: no profile 'gone'; built in: " + ", ".join(BUILTIN)


def test_every_way_of_making_runs_gives_them_the_scenarios_profile(
    scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "enqueue_run", lambda run, queue=None: None)
    monkeypatch.setattr(dispatch, "enqueue_runs", lambda runs: None)
    location = Location.objects.create(name="eu")
    Agent.objects.create(name="eu-1", location=location, last_seen=timezone.now())
    scenario.locations.add(location)
    scenario.profile = "3g"
    scenario.save()

    made = [
        *dispatch.create_runs(scenario, [location]),
        *dispatch.run_now(scenario),
        dispatch.try_now(scenario),
    ]
    dispatch.dispatch_due()

    assert len(made) == 3
    assert set(Run.objects.values_list("profile", flat=True)) == {"3g"}
    assert Run.objects.count() == 4


def stored(run: Run, profile: Any) -> Run:
    result: dict[str, Any] = {"status": "succeeded", "metrics": {"ttfb": 10.0}}
    if profile is not ...:
        result["profile"] = profile
    assert store_result(run.pk, result, None)
    run.refresh_from_db()
    return run


def test_a_result_measured_under_another_profile_is_stored_failed(scenario: Scenario) -> None:
    run = stored(Run.objects.create(scenario=scenario, profile="4g"), BUILTIN["native"].as_spec())

    assert run.status == Run.FAILED
    assert run.error == (
        "measured under profile 'native', not the run's '4g': the agent does not apply "
        "profiles (upgrade it)"
    )


def test_a_result_without_a_profile_was_measured_natively(scenario: Scenario) -> None:
    native = stored(Run.objects.create(scenario=scenario), ...)
    shaped = stored(Run.objects.create(scenario=scenario, profile="4g"), ...)
    matching = stored(Run.objects.create(scenario=scenario, profile="4g"), BUILTIN["4g"].as_spec())

    assert (native.status, shaped.status, matching.status) == (
        Run.SUCCEEDED,
        Run.FAILED,
        Run.SUCCEEDED,
    )


def test_changing_a_scenarios_profile_drops_its_thresholds_cached_baselines(
    scenario: Scenario,
) -> None:
    from django.utils import timezone

    threshold = Threshold.objects.create(
        scenario=scenario, metric="lcp", value=20, baseline=900.0, baseline_at=timezone.now()
    )
    scenario.name = "Shop!"
    scenario.save()
    threshold.refresh_from_db()
    assert threshold.baseline == 900.0

    scenario.profile = "4g"
    scenario.save()

    threshold.refresh_from_db()
    assert (threshold.baseline, threshold.baseline_at) == (None, None)
