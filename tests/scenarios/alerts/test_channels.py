"""Channels: webhook payload and HMAC signature, Slack text, e-mail, retries, failures."""

import hashlib
import hmac
import json
import socket
from typing import Any

import pytest
from django.core import mail

from scenarios.alerts import channels as notify
from scenarios.alerts.evaluate import evaluate_after_run
from scenarios.alerts.tasks import notify_incident
from scenarios.models import Channel, Incident, Run, Scenario, Threshold
from scenarios.models.alerts import Notification
from scenarios.runs.store import store_result
from tests.factories import page

from .conftest import MakeRun, Receiver


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def crossing(scenario: Scenario, make_run: MakeRun) -> Run:
    """A threshold on LCP > 2500 and a run at 3000 that crosses it."""
    Threshold.objects.create(scenario=scenario, metric="lcp", value=2500, window_runs=1)
    return make_run(0, lcp=3000)


def open_incident(run: Run, capture: Any) -> list[Any]:
    with capture(execute=True):
        return evaluate_after_run(run.pk, now=run.created_at)


def dead_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


def test_json_webhook_is_signed_with_hmac_over_the_raw_body(
    crossing: Run, receiver: Receiver, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    Channel.objects.create(name="ops", kind=Channel.WEBHOOK, target=receiver.url, secret="s3cr3t")
    open_incident(crossing, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    expected = hmac.new(b"s3cr3t", body, hashlib.sha256).hexdigest()
    assert headers["X-Perfite-Signature"] == f"sha256={expected}"
    document = json.loads(body)
    assert headers["X-Perfite-Timestamp"] == str(document["timestamp"])
    incident = Incident.objects.get()
    assert document["event"] == "opened"
    assert document["scenario"] == {"slug": "shop", "name": "Shop home"}
    assert document["location"] == "eu"
    assert document["threshold"]["metric"] == "lcp" and document["threshold"]["value"] == 2500
    assert document["incident"]["id"] == incident.pk
    assert document["incident"]["value"] == 3000
    assert document["text"] == f"ALERT {incident.message}"
    assert incident.message == "Shop home @ eu: lcp 3,000 ms is above 2,500 ms (last run)"


def test_a_tampered_body_does_not_match_the_signature() -> None:
    body = b'{"event": "opened"}'
    assert notify.sign("k", body) != notify.sign("k", body + b" ")
    assert notify.sign("k", body) != notify.sign("other", body)


def test_slack_webhook_gets_only_a_text(
    crossing: Run, receiver: Receiver, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    Channel.objects.create(name="slack", kind=Channel.SLACK, target=receiver.url)
    open_incident(crossing, django_capture_on_commit_callbacks)
    assert receiver.bodies() == [
        {"text": "ALERT Shop home @ eu: lcp 3,000 ms is above 2,500 ms (last run)"}
    ]
    assert "X-Perfite-Signature" not in receiver.requests[0]["headers"]


def test_email_goes_through_the_django_mail_backend(
    crossing: Run, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    Channel.objects.create(name="mail", kind=Channel.EMAIL, target="a@x.test, b@x.test")
    open_incident(crossing, django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert message.subject == "[Perfite] OPENED: Shop home @ eu"
    assert message.to == ["a@x.test", "b@x.test"]
    assert message.body == "ALERT Shop home @ eu: lcp 3,000 ms is above 2,500 ms (last run)"


def test_only_global_channels_and_the_scenarios_own_channels_hear_about_it(
    crossing: Run,
    receiver: Receiver,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = Scenario.objects.create(name="Other", slug="other", url="https://o.example.com/")
    mine = Channel.objects.create(name="mine", kind=Channel.SLACK, target=receiver.url + "/mine")
    mine.scenarios.add(crossing.scenario)
    theirs = Channel.objects.create(name="theirs", kind=Channel.SLACK, target=receiver.url + "/x")
    theirs.scenarios.add(other)
    Channel.objects.create(name="global", kind=Channel.SLACK, target=receiver.url + "/all")
    Channel.objects.create(
        name="off", kind=Channel.SLACK, target=receiver.url + "/off", enabled=False
    )
    open_incident(crossing, django_capture_on_commit_callbacks)
    assert sorted(r["path"] for r in receiver.requests) == ["/hook/all", "/hook/mine"]


def test_a_failing_channel_is_retried_until_it_answers(
    crossing: Run, receiver: Receiver, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.fail_first = 2
    channel = Channel.objects.create(name="flaky", kind=Channel.SLACK, target=receiver.url)
    open_incident(crossing, django_capture_on_commit_callbacks)
    note = Notification.objects.get()
    assert (len(receiver.requests), note.attempts, note.error) == (3, 3, "")
    assert note.sent_at is not None
    channel.refresh_from_db()
    assert channel.last_error == "" and channel.last_error_at is not None


def test_a_dead_channel_shows_its_error_and_never_blocks_result_storage(
    scenario: Scenario, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    Threshold.objects.create(scenario=scenario, metric="lcp", value=2500, window_runs=1)
    channel = Channel.objects.create(name="dead", kind=Channel.WEBHOOK, target=dead_url())
    run = Run.objects.create(scenario=scenario, location=scenario.locations.get())
    result = page(url="https://shop.example.com/", scenario="shop", location="eu", lcp=3000.0)
    with django_capture_on_commit_callbacks(execute=True):
        assert store_result(run.pk, result, None) is True
    run.refresh_from_db()
    assert (run.status, run.lcp) == (Run.SUCCEEDED, 3000.0)
    assert Incident.objects.get().opened_run == run
    note = Notification.objects.get()
    assert note.sent_at is None
    assert note.attempts == notify_incident.max_retries + 1
    channel.refresh_from_db()
    assert channel.last_error.startswith("ConnectionError: ")
    assert note.error == channel.last_error


def test_an_http_error_is_recorded_with_its_status(
    crossing: Run, receiver: Receiver, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    receiver.status = 404
    channel = Channel.objects.create(name="gone", kind=Channel.SLACK, target=receiver.url)
    open_incident(crossing, django_capture_on_commit_callbacks)
    channel.refresh_from_db()
    assert channel.last_error == "HTTP 404: ok"


def test_send_test_reports_success_and_failure(receiver: Receiver, db: None) -> None:
    good = Channel.objects.create(
        name="good", kind=Channel.WEBHOOK, target=receiver.url, secret="k"
    )
    bad = Channel.objects.create(name="bad", kind=Channel.SLACK, target=dead_url())
    assert notify.send_test(good) is None
    error = notify.send_test(bad)
    assert error is not None and error.startswith("ConnectionError: ")
    [request] = receiver.requests
    assert json.loads(request["body"])["event"] == "test"
    assert request["headers"]["X-Perfite-Signature"] == notify.sign("k", request["body"])
    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.last_sent_at is not None and good.last_error == ""
    assert bad.last_error == error and bad.last_sent_at is None


def test_an_email_channel_without_addresses_fails_visibly(db: None) -> None:
    channel = Channel.objects.create(name="nobody", kind=Channel.EMAIL, target=" , ")
    assert notify.send_test(channel) == "no e-mail address configured"
    assert mail.outbox == []


def test_notifications_made_while_the_broker_was_down_are_queued_again(
    crossing: Run, receiver: Receiver, eager_celery: None
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from scenarios.alerts.tasks import resend_unsent_notifications

    Channel.objects.create(name="hook", kind=Channel.SLACK, target=receiver.url)
    evaluate_after_run(crossing.pk)  # in the test transaction: its on_commit never fires
    note = Notification.objects.get()
    assert (note.attempts, note.sent_at, receiver.requests) == (0, None, [])
    assert resend_unsent_notifications() == 0  # too fresh: its task may still be queued
    Notification.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert resend_unsent_notifications() == 1
    note.refresh_from_db()
    assert (note.attempts, len(receiver.requests)) == (1, 1)
    assert note.sent_at is not None
    assert resend_unsent_notifications() == 0
