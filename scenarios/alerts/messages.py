"""The words of an alert: one line per incident event, values with their units."""

from datetime import datetime

from core.metrics import format_value
from scenarios.models import Incident, Run, Threshold
from scenarios.models.alerts import Notification


def fmt(metric: str, value: float | None) -> str:
    """A metric value in its unit, the registry's one format: ``2,500 ms``, ``1.2 MB``,
    ``0.125`` (CLS), ``12``; ``—`` when there is no value. ``metric`` is a threshold's (a
    page metric or a bare split field such as ``time_ms``)."""
    return format_value(metric, value)


def where(incident: Incident) -> str:
    th = incident.threshold
    location = incident.location.name if incident.location else "all locations"
    return f"{th.scenario.name} @ {location}"


def opened_message(incident: Incident, run: Run | None = None) -> str:
    """The line announcing an incident, from its threshold and ``details``."""
    th = incident.threshold
    d = incident.details
    if th.kind == Threshold.FAILURE:
        return f"{where(incident)} fails: {d.get('note', '')}"
    metric = th.metric
    value = fmt(metric, d.get("value"))
    if th.kind == Threshold.RELATIVE:
        text = (
            f"{where(incident)}: {th.label} {value} is more than {th.value:g}% above its "
            f"{th.baseline_days}-day median {fmt(metric, d.get('baseline'))} "
            f"(limit {fmt(metric, d.get('limit'))}, {d.get('note', '')})"
        )
    else:
        text = (
            f"{where(incident)}: {th.label} {value} is above {fmt(metric, d.get('limit'))} "
            f"({d.get('note', '')})"
        )
    if d.get("culprits"):
        text += f"; {d['culprits']}"
    return text


def resolved_message(incident: Incident) -> str:
    th = incident.threshold
    lasted = _duration(incident.opened_at, incident.resolved_at)
    if th.kind == Threshold.FAILURE:
        return f"{where(incident)} runs succeed again (failing for {lasted})"
    back = fmt(th.metric, incident.details.get("resolved_value"))
    limit = fmt(th.metric, incident.details.get("limit"))
    return f"{where(incident)}: {th.label} back to {back} (limit {limit}) after {lasted}"


def event_text(incident: Incident, event: str) -> str:
    """The one-line text a channel sends for ``event`` of ``incident``."""
    if event == Notification.RESOLVED:
        return f"RESOLVED {resolved_message(incident)}"
    if event == Notification.REMINDER:
        since = incident.opened_at.strftime("%Y-%m-%d %H:%M UTC")
        now = fmt(incident.threshold.metric, incident.value)
        return f"STILL OPEN since {since} (now {now}): {incident.message}"
    return f"ALERT {incident.message}"


def _duration(start: datetime, end: datetime | None) -> str:
    if end is None:
        return "?"
    minutes = int((end - start).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
