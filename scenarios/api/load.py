"""Load tests through the API: start one (editors), follow it and read its report (viewers),
cancel it (editors). Thin over scenarios.load."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from scenarios.api import load_serializers as s
from scenarios.api.views import Pages
from scenarios.load import stages
from scenarios.load.start import LoadRefused, create_load_test
from scenarios.models import LoadTest
from scenarios.roles import ReadOrEdit


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("scenario", str, description="Scenario slug"),
            OpenApiParameter("status", str, description="queued, running, done, cancelled, failed"),
        ]
    )
)
class LoadTestViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Load tests, newest first: POST to start one (refused with the reason when a guard rail
    says no), GET one to follow it and read its report, POST ``cancel`` to stop its users."""

    permission_classes = [ReadOrEdit]
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[LoadTest]:
        tests = LoadTest.objects.select_related("scenario", "location")
        params = self.request.query_params
        if params.get("scenario"):
            tests = tests.filter(scenario__slug=params["scenario"])
        if params.get("status"):
            tests = tests.filter(status=params["status"])
        return tests

    def get_serializer_class(self) -> type[Any]:
        if self.action == "create":
            return s.LoadTestCreateSerializer
        if self.action == "list":
            return s.LoadTestSerializer
        return s.LoadTestDetailSerializer

    @extend_schema(request=s.LoadTestCreateSerializer, responses={201: s.LoadTestDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = s.LoadTestCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            test = create_load_test(
                data["scenario"], data["plan"], location=data.get("location"), user=request.user
            )
        except LoadRefused as exc:
            raise ValidationError(str(exc)) from exc
        return Response(s.LoadTestDetailSerializer(test).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = self.get_object()
        return Response(s.LoadTestDetailSerializer(stages.advance(found.pk)).data)

    @extend_schema(request=None, responses={200: s.LoadTestDetailSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """Cancel the load test: every virtual user stops within seconds. A settled test is
        returned unchanged."""
        found = self.get_object()
        who = request.user.get_username() or "an API client"
        cancelled = stages.cancel(found.pk, f"cancelled by {who}")
        return Response(s.LoadTestDetailSerializer(cancelled).data)
