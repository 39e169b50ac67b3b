"""Read-only JSON API for incidents, thresholds and third-party correlation.

Mounted under /api/ (see the URL lines in the module's users); authentication and roles as
for the rest of the API (token or session; reading needs a viewer role, see scenarios.roles).

- ``GET /api/incidents/?scenario=<slug>&location=<name>&state=open|resolved&limit=100``
- ``GET /api/incidents/<id>/`` (with its notifications)
- ``GET /api/thresholds/?scenario=<slug>``
- ``GET /api/scenarios/<slug>/correlation/?location=<name>&hours=24&metric=lcp``

The answers' shapes (the OpenAPI schema) are in scenarios/api/alert_serializers.py.
"""

from datetime import timedelta
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.metrics import HEADLINE
from scenarios.alerts.insights import correlation_report
from scenarios.api import alert_serializers as out
from scenarios.models import Incident, Location, Scenario, Threshold
from scenarios.roles import ReadOrEdit

MAX_LIMIT = 1000
MAX_HOURS = 24 * 90


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def incident_json(incident: Incident) -> dict[str, Any]:
    th = incident.threshold
    return {
        "id": incident.pk,
        "scenario": th.scenario.slug,
        "location": incident.location.name if incident.location else None,
        "threshold": threshold_json(th),
        "state": "open" if incident.is_open else "resolved",
        "opened_at": _iso(incident.opened_at),
        "resolved_at": _iso(incident.resolved_at),
        "acknowledged_at": _iso(incident.acknowledged_at),
        "muted_until": _iso(incident.muted_until),
        "value": incident.value,
        "message": incident.message,
        "culprits": incident.details.get("culprits"),
        "opened_run": incident.opened_run_id,
        "resolved_run": incident.resolved_run_id,
    }


def threshold_json(th: Threshold) -> dict[str, Any]:
    return {
        "id": th.pk,
        "scenario": th.scenario.slug,
        "location": th.location.name if th.location else None,
        "kind": th.kind,
        "scope": th.scope,
        "key": th.key,
        "metric": th.metric,
        "value": th.value,
        "window_runs": th.window_runs,
        "baseline_days": th.baseline_days,
        "enabled": th.enabled,
        "label": str(th),
    }


def _param(name: str, kind: type, description: str, **extra: Any) -> OpenApiParameter:
    """A query parameter as the schema shows it."""
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **extra)


SCENARIO = _param("scenario", str, "Scenario slug")


def _int(request: Request, name: str, default: int, maximum: int) -> int:
    raw = request.query_params.get(name, str(default))
    if not raw.isdigit() or not 0 < int(raw) <= maximum:
        raise ValidationError({name: f"a whole number from 1 to {maximum}"})
    return int(raw)


@extend_schema(
    operation_id="incidents_list",
    parameters=[
        SCENARIO,
        _param("location", str, "Location name"),
        _param("state", str, "Open or resolved only", enum=["open", "resolved"]),
        _param("limit", int, f"At most this many (1 to {MAX_LIMIT}), default 100"),
    ],
    responses=out.IncidentListSerializer,
)
@api_view(["GET"])
@permission_classes([ReadOrEdit])
def incidents(request: Request) -> Response:
    """Incident history, newest first; filters: scenario, location, state, limit."""
    qs = Incident.objects.select_related(
        "threshold__scenario", "threshold__location", "location"
    ).order_by("-opened_at", "-id")
    if slug := request.query_params.get("scenario"):
        qs = qs.filter(threshold__scenario__slug=slug)
    if name := request.query_params.get("location"):
        qs = qs.filter(location__name=name)
    state = request.query_params.get("state")
    if state not in (None, "", "open", "resolved"):
        raise ValidationError({"state": "open or resolved"})
    if state:
        qs = qs.filter(resolved_at__isnull=state == "open")
    limit = _int(request, "limit", 100, MAX_LIMIT)
    return Response({"results": [incident_json(i) for i in qs[:limit]]})


@extend_schema(responses=out.IncidentDetailSerializer)
@api_view(["GET"])
@permission_classes([ReadOrEdit])
def incident_detail(request: Request, pk: int) -> Response:
    """One incident with its details and its notifications."""
    incident = get_object_or_404(
        Incident.objects.select_related("threshold__scenario", "threshold__location", "location"),
        pk=pk,
    )
    data = incident_json(incident)
    data["details"] = incident.details
    data["notifications"] = [
        {
            "channel": note.channel.name,
            "event": note.event,
            "created_at": _iso(note.created_at),
            "sent_at": _iso(note.sent_at),
            "attempts": note.attempts,
            "error": note.error,
        }
        for note in incident.notifications.select_related("channel").order_by("created_at")
    ]
    return Response(data)


@extend_schema(
    operation_id="thresholds_list", parameters=[SCENARIO], responses=out.ThresholdListSerializer
)
@api_view(["GET"])
@permission_classes([ReadOrEdit])
def thresholds(request: Request) -> Response:
    """Thresholds by scenario slug; filter: scenario."""
    qs = Threshold.objects.select_related("scenario", "location").order_by("scenario__slug", "id")
    if slug := request.query_params.get("scenario"):
        qs = qs.filter(scenario__slug=slug)
    return Response({"results": [threshold_json(th) for th in qs]})


@extend_schema(
    parameters=[
        _param("location", str, "Location name; default the scenario's first location"),
        _param("hours", int, f"The window: the last 1 to {MAX_HOURS} hours, default 24"),
        _param("metric", str, "The page metric to explain, default lcp"),
    ],
    responses=out.CorrelationReportSerializer,
)
@api_view(["GET"])
@permission_classes([ReadOrEdit])
def scenario_correlation(request: Request, slug: str) -> Response:
    """correlation_report() for one scenario and location over the last ``hours``."""
    scenario = get_object_or_404(Scenario, slug=slug)
    name = request.query_params.get("location")
    location = (
        get_object_or_404(Location, name=name)
        if name
        else scenario.locations.order_by("name").first()
    )
    hours = _int(request, "hours", 24, MAX_HOURS)
    metric = request.query_params.get("metric", HEADLINE)
    since = timezone.now() - timedelta(hours=hours)
    try:
        report = correlation_report(scenario, location, since=since, metric=metric)
    except ValueError as exc:
        raise ValidationError({"metric": str(exc)}) from exc
    return Response(report)
