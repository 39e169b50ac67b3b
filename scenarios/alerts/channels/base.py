"""What every channel kind shares: the Message it sends, the error it raises, the JSON POST.

A kind's ``send(channel, message)`` raises ChannelError with a readable reason when it cannot
deliver; the dispatcher turns network and mail errors into ChannelError too.
"""

from dataclasses import dataclass
from typing import Any

import requests

TIMEOUT_S = 10.0


class ChannelError(Exception):
    """A channel could not deliver; the text says why (kept on the channel)."""


@dataclass(frozen=True)
class Message:
    """One message in every form a kind may send: e-mail subject, one-line text, JSON document."""

    subject: str
    text: str
    document: dict[str, Any]


def post_json(url: str, body: bytes, headers: dict[str, str]) -> None:
    """POST ``body`` as JSON within ``TIMEOUT_S``; ChannelError unless the answer is 2xx.

    Network failures propagate as ``requests.RequestException`` (the dispatcher words them).
    """
    response = requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/json", "User-Agent": "Perfite", **headers},
        timeout=TIMEOUT_S,
    )
    if not 200 <= response.status_code < 300:
        raise ChannelError(f"HTTP {response.status_code}: {response.text[:200]}")
