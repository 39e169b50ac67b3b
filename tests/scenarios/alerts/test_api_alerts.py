"""The read-only alert API: incidents, thresholds, correlation."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from rest_framework import serializers
from rest_framework.test import APIRequestFactory, force_authenticate

from scenarios.alerts.insights import correlation_report
from scenarios.api import alert_serializers as out
from scenarios.api import alerts as api_alerts
from scenarios.models import Channel, Incident, Location, Scenario, Threshold
from scenarios.models.alerts import Notification
from tests.roles import role

from .conftest import T0, MakeRun
from .test_insights import history


def call(view: Any, params: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """GET ``view`` as a viewer."""
    user, created = User.objects.get_or_create(username="u")
    if created:
        user.groups.add(role("viewer"))
    request = APIRequestFactory().get("/api/x/", params or {})
    force_authenticate(request, user=user)
    return view(request, **kwargs)


@pytest.fixture
def incidents(scenario: Scenario, location: Location) -> list[Incident]:
    th = Threshold.objects.create(scenario=scenario, metric="lcp", value=2500)
    old = Incident.objects.create(threshold=th, location=location, value=2600, message="old")
    old.resolved_at = old.opened_at
    old.save()
    new = Incident.objects.create(threshold=th, location=location, value=3000, message="new")
    channel = Channel.objects.create(name="ops", kind=Channel.SLACK, target="http://x.test/")
    Notification.objects.create(
        incident=new, channel=channel, event="opened", attempts=2, error="HTTP 500: nope"
    )
    return [old, new]


def test_incidents_are_listed_newest_first_and_filtered_by_state(
    incidents: list[Incident],
) -> None:
    everything = call(api_alerts.incidents, {"scenario": "shop"}).data["results"]
    assert [i["message"] for i in everything] == ["new", "old"]
    assert everything[0]["state"] == "open" and everything[1]["state"] == "resolved"
    assert everything[0]["threshold"]["label"] == "Shop home lcp > 2500"
    open_only = call(api_alerts.incidents, {"state": "open"}).data["results"]
    assert [i["id"] for i in open_only] == [incidents[1].pk]
    assert call(api_alerts.incidents, {"scenario": "nope"}).data["results"] == []
    assert call(api_alerts.incidents, {"state": "maybe"}).status_code == 400
    assert call(api_alerts.incidents, {"limit": "0"}).status_code == 400


def test_an_incident_shows_its_notifications(incidents: list[Incident]) -> None:
    data = call(api_alerts.incident_detail, pk=incidents[1].pk).data
    assert data["notifications"] == [
        {
            "channel": "ops",
            "event": "opened",
            "created_at": data["notifications"][0]["created_at"],
            "sent_at": None,
            "attempts": 2,
            "error": "HTTP 500: nope",
        }
    ]


def test_thresholds_are_listed(incidents: list[Incident]) -> None:
    [th] = call(api_alerts.thresholds, {"scenario": "shop"}).data["results"]
    assert (th["kind"], th["scope"], th["metric"], th["value"], th["location"]) == (
        "absolute",
        "page",
        "lcp",
        2500,
        None,
    )


def test_correlation_endpoint_reports_and_refuses_unknown_metrics(
    scenario: Scenario, make_run: MakeRun
) -> None:
    response = call(api_alerts.scenario_correlation, {"hours": "24"}, slug="shop")
    assert (response.status_code, response.data["runs"], response.data["hosts"]) == (200, 0, [])
    bad = call(api_alerts.scenario_correlation, {"metric": "speed"}, slug="shop")
    assert bad.status_code == 400
    assert call(api_alerts.scenario_correlation, slug="missing").status_code == 404


def declared(field: Any) -> Any:
    """A serializer's field names, nested: {name: declared(field) or None for a leaf}."""
    field = getattr(field, "child", field)
    if not isinstance(field, serializers.Serializer):
        return None
    return {name: declared(child) for name, child in field.fields.items()}


def answered(data: Any, like: Any) -> Any:
    """``data``'s keys in the form of declared(): lists by their first item, leaves as None."""
    if like is None:
        return None
    if isinstance(data, list):
        return answered(data[0], like)
    return {key: answered(value, like.get(key)) for key, value in data.items()}


def assert_described(serializer: type[serializers.Serializer], data: Any) -> None:
    """The answer has exactly the schema's fields, with the schema's types and choices."""
    assert answered(data, declared(serializer())) == declared(serializer())
    check = serializer(data=data)
    check.is_valid()
    assert check.errors == {}


def test_the_schema_describes_every_field_of_the_incident_and_threshold_answers(
    incidents: list[Incident],
) -> None:
    listed = call(api_alerts.incidents).data
    assert [i["id"] for i in listed["results"]] == [incidents[1].pk, incidents[0].pk]
    assert_described(out.IncidentListSerializer, listed)
    detail = call(api_alerts.incident_detail, pk=incidents[1].pk).data
    assert len(detail["notifications"]) == 1
    assert_described(out.IncidentDetailSerializer, detail)
    assert_described(out.ThresholdListSerializer, call(api_alerts.thresholds).data)


def test_the_schema_describes_every_field_of_a_correlation_report(
    scenario: Scenario, location: Location, make_run: MakeRun
) -> None:
    history(make_run)
    report = correlation_report(scenario, location, since=T0, metric="lcp")
    assert (len(report["hosts"]), len(report["entities"]), len(report["regressions"])) == (4, 4, 1)
    assert len(report["regressions"][0]["culprits"]) > 0
    assert_described(out.CorrelationReportSerializer, report)
