"""The Slack-compatible webhook kind: posts ``{"text": ...}`` and nothing else."""

import json

from scenarios.alerts.channels.base import Message, post_json
from scenarios.models import Channel


def send(channel: Channel, message: Message) -> None:
    """POST the message's text to the channel's webhook URL; ChannelError unless 2xx."""
    post_json(channel.target, json.dumps({"text": message.text}).encode(), {})
