"""The words of an alert print values in the registry's one format, like every other surface."""

from datetime import UTC, datetime, timedelta

from core.stats.attribution import attribute
from core.stats.budgets import evaluate_budgets
from scenarios.alerts.messages import fmt, opened_message, resolved_message
from scenarios.models import Incident, Location, Scenario, Threshold
from tests.factories import WWW, home_result, req

OPENED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def host_incident(**details: float | str | None) -> Incident:
    """An (unsaved) incident of a host's transfer threshold at 900 kB."""
    threshold = Threshold(
        scenario=Scenario(name="Shop home"),
        scope="host",
        key="ads.example.com",
        metric="transfer_bytes",
        value=900_000,
    )
    return Incident(
        threshold=threshold,
        location=Location(name="eu"),
        opened_at=OPENED,
        resolved_at=OPENED + timedelta(minutes=50),
        details=details,
    )


def test_threshold_values_print_in_their_unit_and_missing_as_a_dash() -> None:
    assert fmt("lcp", 2500) == "2,500 ms"
    assert fmt("time_ms", 120.4) == "120 ms"
    assert fmt("failed", 3) == "3"
    assert fmt("cls", 0.1254) == "0.125"
    assert fmt("transfer_bytes", 1_500) == "1.5 kB"
    assert fmt("lcp", None) == "—"


def test_a_resolved_incident_without_its_value_says_so_with_a_dash() -> None:
    incident = host_incident(limit=900_000)
    assert resolved_message(incident) == (
        "Shop home @ eu: host ads.example.com transfer_bytes back to — (limit 900.0 kB) "
        "after 50 min"
    )


def test_a_megabyte_is_a_million_bytes_in_alerts_attribution_and_budgets() -> None:
    incident = host_incident(value=1_000_000, limit=900_000, note="last run")
    alert = opened_message(incident)
    big = req(WWW, "/big.js", 30.0, 5.0, bytes=1_000_000)
    base = [home_result(f) for f in (100.0, 104.0, 98.0)]
    branch = [home_result(f, extra=[big]) for f in (100.0, 104.0, 98.0)]
    explained = attribute("transfer_bytes", base, branch)["message"]
    document = {"parties": {"third": {"transfer_bytes": 1_000_000}}}
    [budget] = evaluate_budgets({"party.third.transfer_bytes": 900_000}, [document])

    assert alert == (
        "Shop home @ eu: host ads.example.com transfer_bytes 1.0 MB is above 900.0 kB (last run)"
    )
    assert explained == "Transfer +1.0 MB — www.example.localhost: appeared: script +1.0 MB"
    assert budget.message == (
        "party.third.transfer_bytes: median 1.0 MB is over the budget of 900.0 kB"
    )
