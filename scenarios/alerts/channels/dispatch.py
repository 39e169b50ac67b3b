"""Sending through a channel: pick its kind's module, send, record the outcome on the rows."""

import time
from collections.abc import Callable

import requests
from django.utils import timezone

from scenarios.alerts.channels import email, slack, webhook
from scenarios.alerts.channels.base import ChannelError, Message
from scenarios.alerts.channels.document import payload
from scenarios.alerts.messages import event_text, where
from scenarios.models import Channel
from scenarios.models.alerts import Notification

SENDERS: dict[str, Callable[[Channel, Message], None]] = {
    Channel.SLACK: slack.send,
    Channel.WEBHOOK: webhook.send,
    Channel.EMAIL: email.send,
}
"""Channel.kind → the module function that sends through a channel of that kind."""


def send(channel: Channel, message: Message) -> None:
    """Send through ``channel``; raise ChannelError with a readable reason on any failure."""
    sender = SENDERS.get(channel.kind)
    if sender is None:
        raise ChannelError(f"unknown channel kind {channel.kind!r}")
    try:
        sender(channel, message)
    except (requests.RequestException, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc


def deliver(note: Notification) -> None:
    """Send one notification; record success or failure; raise ChannelError on failure."""
    incident, channel = note.incident, note.channel
    text = event_text(incident, note.event)
    subject = f"[Perfite] {note.event.upper()}: {where(incident)}"
    note.attempts += 1
    try:
        send(channel, Message(subject, text, payload(incident, note.event, text)))
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
        send(channel, Message("[Perfite] test message", text, document))
    except ChannelError as exc:
        _record_failure(channel, str(exc))
        return str(exc)
    Channel.objects.filter(pk=channel.pk).update(last_sent_at=timezone.now(), last_error="")
    return None


def _record_failure(channel: Channel, error: str) -> None:
    now = timezone.now()
    channel.last_error, channel.last_error_at = error[:2000], now
    Channel.objects.filter(pk=channel.pk).update(last_error=error[:2000], last_error_at=now)
