"""API shapes of load tests: what starting one takes, and what reading one answers."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.load.plan import (
    KINDS,
    MAX_ITERATIONS,
    MAX_STAGE_SECONDS,
    MAX_STAGES,
    MAX_USERS,
    P95,
    STATISTICS,
    Plan,
    PlanError,
    ramp,
)
from core.metrics import HEADLINE, metric_problem
from scenarios.load.report import comparison, current_report
from scenarios.models import LoadTest, Location, Scenario


class RampSerializer(serializers.Serializer):
    """A staircase of stages: ``start``, ``start + step`` … up to ``stop`` (always the last)."""

    start = serializers.IntegerField(min_value=1, max_value=MAX_USERS)
    stop = serializers.IntegerField(min_value=1, max_value=MAX_USERS)
    step = serializers.IntegerField(min_value=1, max_value=MAX_USERS)


class LoadTestCreateSerializer(serializers.Serializer):
    """A load test to start: the scenario, its stages (a list, or a ramp), each stage's length
    (``seconds``, or ``iterations`` per user), and the question it answers (``metric``,
    ``statistic`` and ``limit``: at which stage does it cross?)."""

    scenario = serializers.SlugRelatedField(slug_field="slug", queryset=Scenario.objects.all())
    location = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Location.objects.all(),
        required=False,
        allow_null=True,
        help_text="Where the virtual users run; default the scenario's first location",
    )
    kind = serializers.ChoiceField(
        choices=KINDS,
        default="continuous",
        help_text="continuous: each user repeats the journey back to back; parallel: the users "
        "start each round together",
    )
    stages = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_USERS),
        required=False,
        min_length=1,
        max_length=MAX_STAGES,
        help_text="Virtual users of each stage, in order, e.g. [1, 5, 10, 25]",
    )
    ramp = RampSerializer(required=False, help_text="Instead of stages")
    seconds = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_STAGE_SECONDS, help_text="Length of a stage"
    )
    iterations = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ITERATIONS,
        help_text="Instead of seconds: journeys per user (continuous) or rounds (parallel)",
    )
    metric = serializers.CharField(default=HEADLINE, max_length=200)
    statistic = serializers.ChoiceField(choices=STATISTICS, default=P95)
    limit = serializers.FloatField(
        required=False, allow_null=True, min_value=0, help_text="In the metric's unit"
    )

    def validate_metric(self, name: str) -> str:
        if problem := metric_problem(name):
            raise serializers.ValidationError(problem)
        return name

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("stages" in attrs) == ("ramp" in attrs):
            raise serializers.ValidationError("give stages or a ramp")
        if "ramp" in attrs:
            try:
                attrs["stages"] = ramp(**attrs.pop("ramp"))
            except PlanError as exc:
                raise serializers.ValidationError({"ramp": [str(exc)]}) from exc
        try:
            attrs["plan"] = Plan(
                kind=attrs["kind"],
                stages=tuple(attrs["stages"]),
                seconds=attrs.get("seconds"),
                iterations=attrs.get("iterations"),
                metric=attrs["metric"],
                statistic=attrs["statistic"],
                limit=attrs.get("limit"),
            )
        except PlanError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return attrs


class LoadTestSerializer(serializers.ModelSerializer):
    """A load test in a list: its plan and where it is (``progress``)."""

    scenario = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    location = serializers.SlugRelatedField(slug_field="name", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = LoadTest
        fields = [
            "id",
            "scenario",
            "location",
            "browser",
            "kind",
            "stages",
            "seconds",
            "iterations",
            "metric",
            "statistic",
            "limit",
            "status",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "progress",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_progress(self, test: LoadTest) -> dict[str, Any]:
        """``stage`` (1-based; 0 before the first), ``stages``, ``users`` of the stage, and its
        shares: ``agent``, ``users``, ``status``."""
        shares = list(test.shares.filter(stage=test.stage)) if test.stage >= 0 else []
        return {
            "stage": test.stage + 1,
            "stages": len(test.stages),
            "users": test.stages[test.stage] if test.stage >= 0 else 0,
            "shares": [
                {"agent": s.agent_name, "users": s.users, "status": s.status} for s in shares
            ],
        }


class LoadTestDetailSerializer(LoadTestSerializer):
    """A load test with its report so far (every stage that started: core.load.report) and,
    once done, the same metric in the scenario's earlier load test (``compared``)."""

    report = serializers.SerializerMethodField()
    compared = serializers.SerializerMethodField()

    class Meta(LoadTestSerializer.Meta):
        fields = [*LoadTestSerializer.Meta.fields, "report", "compared"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_report(self, test: LoadTest) -> dict[str, Any]:
        return self._report(test)

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_compared(self, test: LoadTest) -> dict[str, Any] | None:
        if test.status != LoadTest.DONE:
            return None
        return comparison(test, self._report(test))

    def _report(self, test: LoadTest) -> dict[str, Any]:
        cache = self.context.setdefault("reports", {})
        if test.pk not in cache:
            cache[test.pk] = current_report(test)
        return dict(cache[test.pk])
