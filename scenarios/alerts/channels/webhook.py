"""The JSON webhook kind: posts the message's document, timestamped and HMAC-signed.

See the ``scenarios.alerts.channels`` docstring for the headers receivers check.
"""

import hashlib
import hmac
import json
import time

from scenarios.alerts.channels.base import Message, post_json
from scenarios.models import Channel

SIGNATURE_HEADER = "X-Perfite-Signature"
TIMESTAMP_HEADER = "X-Perfite-Timestamp"


def sign(secret: str, body: bytes) -> str:
    """The X-Perfite-Signature value for ``body``: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send(channel: Channel, message: Message) -> None:
    """POST the document with a fresh ``timestamp``, signed when the channel has a secret."""
    document = {**message.document, "timestamp": int(time.time())}
    body = json.dumps(document, sort_keys=True).encode()
    headers = {TIMESTAMP_HEADER: str(document["timestamp"])}
    if channel.secret:
        headers[SIGNATURE_HEADER] = sign(channel.secret, body)
    post_json(channel.target, body, headers)
