"""Notification channels: one module per Channel kind (slack, webhook, email) and a dispatcher.

``deliver(notification)`` sends one Notification row and records the outcome on the row and
on its Channel (``last_sent_at`` or ``last_error``); it raises ChannelError on failure so the
``notify_incident`` task can retry with backoff. ``send_test(channel)`` sends a test message
right away and records the outcome the same way.

JSON webhooks: the body is the JSON document built by ``payload()``; the request carries
``X-Perfite-Timestamp: <unix seconds>`` (also inside the body as ``timestamp``, hence
signed) and ``X-Perfite-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
channel's secret>``. Receivers recompute the HMAC over the exact bytes received and reject
stale timestamps.

Adding a kind: a module with ``send(channel, message)`` and one line in ``dispatch.SENDERS``.
"""

from scenarios.alerts.channels.base import ChannelError, Message
from scenarios.alerts.channels.dispatch import deliver, send, send_test
from scenarios.alerts.channels.document import payload
from scenarios.alerts.channels.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "ChannelError",
    "Message",
    "deliver",
    "payload",
    "send",
    "send_test",
    "sign",
]
