"""Notification channels: Slack-compatible webhook, HMAC-signed JSON webhook, e-mail.

``deliver(notification)`` sends one Notification row and records the outcome on the row and
on its Channel (``last_sent_at`` or ``last_error``); it raises ChannelError on failure so the
``notify_incident`` task can retry with backoff. ``send_test(channel)`` sends a test message
right away and records the outcome the same way.

JSON webhooks: the body is the JSON document built by ``payload()``; the request carries
``X-Perfite-Timestamp: <unix seconds>`` (also inside the body as ``timestamp``, hence
signed) and ``X-Perfite-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
channel's secret>``. Receivers recompute the HMAC over the exact bytes received and reject
stale timestamps.
"""

import hashlib
import hmac
import json
import time
from typing import Any

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from scenarios.alerts.messages import event_text, where
from scenarios.models import Channel, Incident
from scenarios.models.alerts import Notification

TIMEOUT_S = 10.0
SIGNATURE_HEADER = "X-Perfite-Signature"
TIMESTAMP_HEADER = "X-Perfite-Timestamp"


class ChannelError(Exception):
    """A channel could not deliver; the text says why (kept on the channel)."""


def sign(secret: str, body: bytes) -> str:
    """The X-Perfite-Signature value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def payload(incident: Incident, event: str, text: str) -> dict[str, Any]:
    """The JSON webhook document for ``event`` of ``incident``."""
    th = incident.threshold
    return {
        "event": event,
        "text": text,
        "timestamp": int(time.time()),
        "scenario": {"slug": th.scenario.slug, "name": th.scenario.name},
        "location": incident.location.name if incident.location else None,
        "threshold": {
            "id": th.pk,
            "kind": th.kind,
            "scope": th.scope,
            "key": th.key,
            "metric": th.metric,
            "value": th.value,
            "window_runs": th.window_runs,
            "baseline_days": th.baseline_days,
        },
        "incident": {
            "id": incident.pk,
            "opened_at": incident.opened_at.isoformat(),
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
            "acknowledged_at": (
                incident.acknowledged_at.isoformat() if incident.acknowledged_at else None
            ),
            "value": incident.value,
            "message": incident.message,
            "details": incident.details,
        },
    }


def send(channel: Channel, subject: str, text: str, document: dict[str, Any]) -> None:
    """Send through ``channel``; raise ChannelError with a readable reason on any failure."""
    try:
        if channel.kind == Channel.SLACK:
            _post(channel.target, json.dumps({"text": text}).encode(), {})
        elif channel.kind == Channel.WEBHOOK:
            document = {**document, "timestamp": int(time.time())}
            body = json.dumps(document, sort_keys=True).encode()
            headers = {TIMESTAMP_HEADER: str(document["timestamp"])}
            if channel.secret:
                headers[SIGNATURE_HEADER] = sign(channel.secret, body)
            _post(channel.target, body, headers)
        elif channel.kind == Channel.EMAIL:
            recipients = [a.strip() for a in channel.target.split(",") if a.strip()]
            if not recipients:
                raise ChannelError("no e-mail address configured")
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        else:
            raise ChannelError(f"unknown channel kind {channel.kind!r}")
    except ChannelError:
        raise
    except (requests.RequestException, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc


def _post(url: str, body: bytes, headers: dict[str, str]) -> None:
    response = requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "Perfite", **headers},
        timeout=TIMEOUT_S,
    )
    if not 200 <= response.status_code < 300:
        raise ChannelError(f"HTTP {response.status_code}: {response.text[:200]}")


def deliver(note: Notification) -> None:
    """Send one notification; record success or failure; raise ChannelError on failure."""
    incident, channel = note.incident, note.channel
    text = event_text(incident, note.event)
    subject = f"[Perfite] {note.event.upper()}: {where(incident)}"
    note.attempts += 1
    try:
        send(channel, subject, text, payload(incident, note.event, text))
    except ChannelError as exc:
        _record_failure(channel, str(exc))
        note.error = str(exc)[:2000]
        note.save(update_fields=["attempts", "error"])
        raise
    now = timezone.now()
    note.sent_at = now
    note.error = ""
    note.save(update_fields=["attempts", "error", "sent_at"])
    Channel.objects.filter(pk=channel.pk).update(last_sent_at=now, last_error="")


def send_test(channel: Channel) -> str | None:
    """Send a test message now; return None on success, else the error (also recorded)."""
    text = f"Perfite test message from channel {channel.name!r}: this channel works."
    document = {
        "event": "test",
        "text": text,
        "timestamp": int(time.time()),
        "channel": channel.name,
    }
    try:
        send(channel, "[Perfite] test message", text, document)
    except ChannelError as exc:
        _record_failure(channel, str(exc))
        return str(exc)
    Channel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")
    return None


def _record_failure(channel: Channel, error: str) -> None:
    now = timezone.now()
    channel.last_error, channel.last_error_at = error[:2000], now
    Channel.objects.filter(pk=channel.pk).update(last_error=error[:2000], last_error_at=now)
