"""API views: thin wrappers over scenarios.ci, scenarios.runs.imports and the models."""

import csv
import io
import json
import time
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.har.files import HarError, check_log
from core.result.validate import ResultError
from scenarios.api import serializers as s
from scenarios.api.parsers import ImportJSONParser, NulFreeFormParser, NulFreeMultiPartParser
from scenarios.ci import workflow as comparisons
from scenarios.ci.releases import release_report
from scenarios.models import Comparison, Release, Run, Scenario
from scenarios.roles import ReadOrEdit
from scenarios.runs.actor_har import actor_har_file, actor_names
from scenarios.runs.har_spool import (
    SpooledHar,
    spool_document,
    spool_upload,
)
from scenarios.runs.imports import import_result

MAX_WAIT_S = 30.0
POLL_EVERY_S = 0.2


class Pages(LimitOffsetPagination):
    """``?limit=`` (1 to 1000, default 100) and ``?offset=`` (from 0); anything else is a 400
    saying so, rather than a page the caller did not ask for."""

    default_limit = 100
    max_limit = 1000

    def get_limit(self, request: Request) -> int | None:
        return self._whole(request, self.limit_query_param, 1, self.default_limit)

    def get_offset(self, request: Request) -> int:
        return self._whole(request, self.offset_query_param, 0, 0)

    def _whole(self, request: Request, name: str, least: int, default: int) -> int:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return default
        if not (raw.isascii() and raw.isdigit()) or int(raw) < least:
            raise ValidationError({name: f"a whole number from {least}"})
        return min(int(raw), self.max_limit) if name == self.limit_query_param else int(raw)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            least = 1 if parameter["name"] == self.limit_query_param else 0
            parameter["schema"]["minimum"] = least
        return parameters


class ScenarioViewSet(viewsets.ReadOnlyModelViewSet):
    """Scenarios (read only through the API; edit them in the dashboard or the admin)."""

    queryset = Scenario.objects.prefetch_related("locations")
    serializer_class = s.ScenarioSerializer
    permission_classes = [ReadOrEdit]
    lookup_field = "slug"


RUN_FILTERS = ("branch", "commit", "kind", "status", "role", "profile", "browser", "comparison")
RUN_PARAMETERS = [
    OpenApiParameter("scenario", str, description="Scenario slug"),
    OpenApiParameter("location", str, description="Location name"),
    *(OpenApiParameter(name, str) for name in RUN_FILTERS if name != "comparison"),
    OpenApiParameter("comparison", int, description="Runs of this CI comparison"),
]


@extend_schema_view(list=extend_schema(parameters=RUN_PARAMETERS))
class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Runs, newest first; filter with ?scenario=slug&branch=&commit=&kind=&status=&role=&
    profile=&browser=&comparison=&location=."""

    permission_classes = [ReadOrEdit]
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[Run]:
        runs = Run.objects.select_related("scenario", "location")
        params = self.request.query_params
        if params.get("scenario"):
            runs = runs.filter(scenario__slug=params["scenario"])
        if params.get("location"):
            runs = runs.filter(location__name=params["location"])
        comparison = params.get("comparison")
        if comparison and not (
            comparison.isascii() and comparison.isdigit() and len(comparison) < 19
        ):
            raise ValidationError({"comparison": "a comparison id: a whole number"})
        for name in RUN_FILTERS:
            if params.get(name):
                runs = runs.filter(**{name: params[name]})
        return runs

    def get_serializer_class(self) -> type[s.RunSerializer]:
        return s.RunDetailSerializer if self.action == "retrieve" else s.RunSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "actor",
                str,
                description="A run with actors: that actor's part of the HAR only",
            )
        ],
        responses={(200, "application/gzip"): OpenApiTypes.BINARY},
    )
    @action(detail=True, methods=["get"])
    def har(self, request: Request, pk: str | None = None) -> FileResponse:
        """The run's HAR (credentials removed), gzipped; ``?actor=`` gives one actor's."""
        run = self.get_object()
        if not run.har:
            raise NotFound("this run has no HAR (failed before loading, or purged)")
        actor = request.query_params.get("actor")
        if actor is None:
            return FileResponse(
                run.har.open("rb"),
                as_attachment=True,
                filename=f"run-{run.pk}.har.gz",
                content_type="application/gzip",
            )
        if actor not in actor_names(run.result):
            raise NotFound("this run has no such actor")
        with run.har.open("rb") as stored:
            part = actor_har_file(stored, actor)
        return FileResponse(
            part,
            as_attachment=True,
            filename=f"run-{run.pk}-{actor}.har.gz",
            content_type="application/gzip",
        )

    @extend_schema(parameters=RUN_PARAMETERS, responses={(200, "text/csv"): OpenApiTypes.STR})
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
                "profile": run.profile,
                "browser": run.browser,
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


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("scenario", str, description="Scenario slug"),
            *(OpenApiParameter(name, str) for name in ("branch", "commit", "status")),
        ]
    )
)
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
    parser_classes = [ImportJSONParser, NulFreeMultiPartParser, NulFreeFormParser]

    @extend_schema(request=s.ImportSerializer, responses={201: s.RunSerializer})
    def post(self, request: Request) -> Response:
        data, har = request.data, None
        if isinstance(data, Mapping) and isinstance(data.get("har"), SpooledHar):
            # Streamed by ImportJSONParser: not for the serializer.
            data, har = {k: v for k, v in data.items() if k != "har"}, data["har"]
        try:
            incoming = s.ImportSerializer(data=data)
            incoming.is_valid(raise_exception=True)
            fields = incoming.validated_data
            try:
                if har is None:
                    har = _har(fields)
                metrics = fields.get("metrics")
                if isinstance(metrics, str):
                    metrics = json.loads(metrics)
                run = import_result(
                    fields["scenario"],
                    har=har,
                    metrics=metrics,
                    tool=fields.get("tool", ""),
                    meta=fields,
                )
            except (ResultError, HarError, json.JSONDecodeError) as exc:
                raise ValidationError(str(exc)) from exc
        finally:
            if har is not None:
                har.close()
        return Response(s.RunSerializer(run).data, status=status.HTTP_201_CREATED)


def _har(data: dict[str, Any]) -> SpooledHar | None:
    """The HAR of an import form: a ``har_file`` upload (gzip or plain) or a ``har`` field
    (JSON text, or an object), spooled with the parts analysis reads kept."""
    upload = data.get("har_file")
    if upload is not None:
        return spool_upload(upload, size=upload.size, keep_analysed=True)
    har = data.get("har")
    if isinstance(har, str):
        text = io.BytesIO(har.encode())
        return spool_upload(text, gzipped=False, keep_analysed=True)
    if har is None:
        return None
    check_log(har)
    return spool_document(har, keep_analysed=True)
