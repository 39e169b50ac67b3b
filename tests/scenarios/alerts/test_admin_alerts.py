"""Admin actions: send test, acknowledge, mute; channel form checks."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

import scenarios.alerts.admin  # noqa: F401 - registers the alert admins (admin.py imports it)
from scenarios.alerts.admin import ChannelForm, EntityMappingForm
from scenarios.models import Channel, Incident, Scenario, Threshold

from .conftest import Receiver


@pytest.fixture
def staff(client: Client, db: None) -> Client:
    user = User.objects.create_superuser("admin", "admin@x.test", "pw-123456")
    client.force_login(user)
    return client


@pytest.fixture
def incident(scenario: Scenario) -> Incident:
    th = Threshold.objects.create(scenario=scenario, metric="lcp", value=2500)
    return Incident.objects.create(threshold=th, location=scenario.locations.get(), value=3000)


def test_send_test_action_sends_and_reports(staff: Client, receiver: Receiver) -> None:
    good = Channel.objects.create(name="good", kind=Channel.SLACK, target=receiver.url)
    bad = Channel.objects.create(name="bad", kind=Channel.SLACK, target=receiver.url + "x")
    receiver.status = 200
    url = reverse("admin:scenarios_channel_changelist")
    response = staff.post(
        url, {"action": "send_test", "_selected_action": [good.pk, bad.pk]}, follow=True
    )
    texts = sorted(str(m) for m in response.context["messages"])
    assert texts == ["bad: test message sent.", "good: test message sent."]
    assert len(receiver.requests) == 2
    receiver.status = 503
    response = staff.post(url, {"action": "send_test", "_selected_action": [bad.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["bad: HTTP 503: ok"]
    bad.refresh_from_db()
    assert bad.last_error == "HTTP 503: ok"


def test_acknowledge_and_mute_actions(staff: Client, incident: Incident) -> None:
    url = reverse("admin:scenarios_incident_changelist")
    staff.post(url, {"action": "acknowledge", "_selected_action": [incident.pk]})
    staff.post(url, {"action": "mute_hour", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    assert incident.is_muted()
    staff.post(url, {"action": "unmute", "_selected_action": [incident.pk]})
    incident.refresh_from_db()
    assert incident.muted_until is None


def test_incident_page_and_open_filter_render(staff: Client, incident: Incident) -> None:
    url = reverse("admin:scenarios_incident_changelist")
    assert staff.get(url, {"state": "open"}).context["cl"].result_count == 1
    assert staff.get(url, {"state": "resolved"}).context["cl"].result_count == 0
    page = staff.get(reverse("admin:scenarios_incident_change", args=[incident.pk]))
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "webhook", "target": "https://h.test/x", "secret": ""}, ["secret"]),
        ({"kind": "slack", "target": "h.test/x", "secret": ""}, ["target"]),
        ({"kind": "email", "target": "a@x.test", "secret": ""}, []),
    ],
)
def test_channel_form_checks_targets_and_secrets(
    db: None, data: dict[str, Any], errors: list[str]
) -> None:
    form = ChannelForm(data={"name": "c", "enabled": True, **data})
    form.is_valid()
    assert sorted(form.errors) == errors


@pytest.mark.parametrize(
    ("pattern", "cleaned"),
    [
        ("Ads.Example.COM.", "ads.example.com"),
        ("*.cdn.example.net", "*.cdn.example.net"),
        ("https://x.com/", None),
        ("*.", None),
        ("a..b", None),
    ],
)
def test_entity_mapping_patterns_are_domains(db: None, pattern: str, cleaned: str | None) -> None:
    form = EntityMappingForm(data={"pattern": pattern, "entity": "X", "category": "ads"})
    assert form.is_valid() == (cleaned is not None)
    if cleaned is not None:
        assert form.cleaned_data["pattern"] == cleaned
