"""API views: thin wrappers over scenarios.ci, scenarios.runs.imports and the models."""

import csv
import io
import json
import time
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.har.files import HarError, gunzip_json
from core.result.validate import ResultError
from scenarios.api import serializers as s
from scenarios.ci import workflow as comparisons
from scenarios.ci.releases import release_report
from scenarios.models import Comparison, Release, Run, Scenario
from scenarios.roles import ReadOrEdit
from scenarios.runs.imports import import_result

MAX_WAIT_S = 30.0
POLL_EVERY_S = 0.2


class Pages(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000


class ScenarioViewSet(viewsets.ReadOnlyModelViewSet):
    """Scenarios (read only through the API; edit them in the dashboard or the admin)."""

    queryset = Scenario.objects.prefetch_related("locations")
    serializer_class = s.ScenarioSerializer
    permission_classes = [ReadOrEdit]
    lookup_field = "slug"


RUN_FILTERS = ("branch", "commit", "kind", "status", "role", "comparison")


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Runs, newest first; filter with ?scenario=slug&branch=&commit=&kind=&status=&role=&
    comparison=&location=."""

    permission_classes = [ReadOrEdit]
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Run]:
        runs = Run.objects.select_related("scenario", "location")
        params = self.request.query_params
        if params.get("scenario"):
            runs = runs.filter(scenario__slug=params["scenario"])
        if params.get("location"):
            runs = runs.filter(location__name=params["location"])
        for name in RUN_FILTERS:
            if params.get(name):
                runs = runs.filter(**{name: params[name]})
        return runs

    def get_serializer_class(self) -> type[s.RunSerializer]:
        return s.RunDetailSerializer if self.action == "retrieve" else s.RunSerializer

    @extend_schema(responses={(200, "application/gzip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def har(self, request: Request, pk: str | None = None) -> FileResponse:
        """The run's HAR (credentials removed), gzipped."""
        run = self.get_object()
        if not run.har:
            raise NotFound("this run has no HAR (failed before loading, or purged)")
        return FileResponse(
            run.har.open("rb"),
            as_attachment=True,
            filename=f"run-{run.pk}.har.gz",
            content_type="application/gzip",
        )

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=False, methods=["get"])
    def csv(self, request: Request) -> HttpResponse:
        """The filtered runs as CSV, one row per run with its page metrics (at most 10 000)."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(s.RUN_CSV_COLUMNS)
        for run in self.get_queryset()[:10_000]:
            row = {
                **run.metrics(),
                "id": run.pk,
                "scenario": run.scenario.slug,
                "location": run.location.name if run.location else "",
                "status": run.status,
                "kind": run.kind,
                "created_at": run.created_at.isoformat(),
                "branch": run.branch,
                "commit": run.commit,
                "role": run.role,
                "sequence": run.sequence,
                "comparison": run.comparison_id or "",
            }
            writer.writerow(["" if row[c] is None else row[c] for c in s.RUN_CSV_COLUMNS])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="runs.csv"'
        return response


class ComparisonViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """CI comparisons: POST to start one, GET to follow it (``?wait=S`` waits up to S seconds
    for progress before answering)."""

    permission_classes = [ReadOrEdit]
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Comparison]:
        comparisons_ = Comparison.objects.select_related("scenario", "location")
        params = self.request.query_params
        if params.get("scenario"):
            comparisons_ = comparisons_.filter(scenario__slug=params["scenario"])
        for name in ("branch", "commit", "status"):
            if params.get(name):
                comparisons_ = comparisons_.filter(**{name: params[name]})
        return comparisons_

    def get_serializer_class(self) -> type[Any]:
        if self.action == "create":
            return s.ComparisonCreateSerializer
        return s.ComparisonSerializer

    @extend_schema(request=s.ComparisonCreateSerializer, responses={201: s.ComparisonSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = s.ComparisonCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            created = comparisons.create_comparison(
                incoming.validated_data["scenario"],
                created_by=request.user,
                **incoming.comparison_fields(),
            )
        except comparisons.ComparisonError as exc:
            raise ValidationError(str(exc)) from exc
        return Response(s.ComparisonSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "wait", float, description=f"Seconds (≤ {MAX_WAIT_S:g}) to wait for progress"
            )
        ]
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = self.get_object()
        try:
            wait = min(max(float(request.query_params.get("wait", 0)), 0.0), MAX_WAIT_S)
        except ValueError:
            raise ValidationError("wait must be a number of seconds") from None
        current = comparisons.advance(found.pk)
        before = (current.status, current.runs.filter(status__in=Run.FINISHED).count())
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and current.status in (
            Comparison.PENDING,
            Comparison.RUNNING,
        ):
            time.sleep(POLL_EVERY_S)
            current = comparisons.advance(found.pk)
            if (current.status, current.runs.filter(status__in=Run.FINISHED).count()) != before:
                break
        return Response(s.ComparisonSerializer(current).data)

    @extend_schema(request=None, responses={200: s.ComparisonSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Stop a comparison (for example when the pipeline gave up): it is cancelled and its
        queued runs are withdrawn. A finished comparison is returned unchanged."""
        found = self.get_object()
        who = request.user.get_username() or "an API client"
        return Response(
            s.ComparisonSerializer(comparisons.cancel(found.pk, f"cancelled by {who}")).data
        )


class ReleaseViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Release markers: POST one at deploy time; ``report`` compares runs before and after."""

    queryset = Release.objects.prefetch_related("scenarios")
    serializer_class = s.ReleaseSerializer
    permission_classes = [ReadOrEdit]
    pagination_class = Pages

    @extend_schema(
        parameters=[OpenApiParameter("runs", int, description="Runs per side (20)")],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get"])
    def report(self, request: Request, pk: str | None = None) -> Response:
        """Is it slower or faster since this release? Same statistics as a CI comparison."""
        try:
            runs = min(max(int(request.query_params.get("runs", 20)), 1), 200)
        except ValueError:
            raise ValidationError("runs must be an integer") from None
        return Response(release_report(self.get_object(), runs=runs))


class ImportView(APIView):
    """Store a HAR and/or named metrics from another tool as an imported run of a scenario."""

    permission_classes = [ReadOrEdit]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=s.ImportSerializer, responses={201: s.RunSerializer})
    def post(self, request: Request) -> Response:
        incoming = s.ImportSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            har = _har(data)
            metrics = data.get("metrics")
            if isinstance(metrics, str):
                metrics = json.loads(metrics)
            run = import_result(
                data["scenario"], har=har, metrics=metrics, tool=data.get("tool", ""), meta=data
            )
        except (ResultError, HarError, json.JSONDecodeError) as exc:
            raise ValidationError(str(exc)) from exc
        return Response(s.RunSerializer(run).data, status=status.HTTP_201_CREATED)


def _har(data: dict[str, Any]) -> dict[str, Any] | None:
    if data.get("har_file") is not None:
        raw = data["har_file"].read()
        if raw[:2] == b"\x1f\x8b":
            return gunzip_json(raw, max_bytes=settings.PERFITE_MAX_HAR_BYTES)
        return dict(json.loads(raw))
    har = data.get("har")
    if isinstance(har, str):
        har = json.loads(har)
    if har is not None and not isinstance(har, dict):
        raise HarError("har must be a JSON object")
    return har
