"""Who this agent is: its name, as the heartbeats, claims and deliveries give it."""

import os
import socket

from django.conf import settings


def agent_name() -> str:
    """PERFITE_AGENT_NAME (set by ``manage.py agent``), else ``<location>@<host name>``."""
    return (
        os.environ.get("PERFITE_AGENT_NAME")
        or f"{settings.PERFITE_LOCATION}@{socket.gethostname()}"
    )
