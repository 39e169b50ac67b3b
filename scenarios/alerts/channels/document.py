"""The JSON document describing an incident event, as JSON webhooks receive it."""

import time
from typing import Any

from scenarios.models import Incident


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
