"""API representations: scenarios, runs, comparisons, releases and imports."""

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from core.metrics import metric_problem, page_names
from core.profiles import MAX_NAME
from scenarios import destinations
from scenarios.api.result_schema import ResultDocumentField
from scenarios.ci.workflow import warmups
from scenarios.models import (
    Comparison,
    Location,
    Release,
    Run,
    Scenario,
    UnknownProfile,
    resolve_profile,
)
from scenarios.roles import can_edit
from scenarios.runs import graphite


def _url_text(help_text: str) -> serializers.CharField:
    """A URL as stored: it may be empty, or hold what a browser accepts but a strict URI
    does not (spaces, quotes), so the schema says text, not ``format: uri``."""
    return serializers.CharField(read_only=True, help_text=help_text)


class ScenarioSerializer(serializers.ModelSerializer):
    """A scenario; readers who may not edit get its script without credential values."""

    url = _url_text("The page measured first")
    locations = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    script = serializers.SerializerMethodField()

    def get_script(self, scenario: Scenario) -> str:
        request = self.context.get("request")
        editor = bool(request is not None and can_edit(request.user))
        return scenario.readable_script(can_edit=editor)[0]

    class Meta:
        model = Scenario
        fields = [
            "id",
            "name",
            "slug",
            "url",
            "script_format",
            "script",
            "first_party",
            "secret_names",
            "budgets",
            "frequency_minutes",
            "cron",
            "locations",
            "browser",
            "profile",
            "paused",
            "filmstrip",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):
    """A run without its result document (list view)."""

    scenario = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    location = serializers.SlugRelatedField(slug_field="name", read_only=True)
    metrics = serializers.SerializerMethodField()
    har_available = serializers.SerializerMethodField()
    target_url = _url_text("The URL measured instead of the scenario's; empty when none")
    build_url = _url_text("The CI build's page; empty when none")

    class Meta:
        model = Run
        fields = [
            "id",
            "scenario",
            "location",
            "status",
            "kind",
            "browser",
            "profile",
            "created_at",
            "started_at",
            "finished_at",
            "agent_name",
            "error",
            "flagged",
            "target_url",
            "branch",
            "commit",
            "base_branch",
            "base_commit",
            "build_url",
            "label",
            "comparison",
            "role",
            "sequence",
            "metrics",
            "har_available",
        ]
        read_only_fields = fields

    def get_metrics(self, run: Run) -> dict[str, float | None]:
        return run.metrics()

    def get_har_available(self, run: Run) -> bool:
        return bool(run.har)


class RunDetailSerializer(RunSerializer):
    """A run with its full result document (docs/result-document.md)."""

    result = ResultDocumentField(read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "result"]
        read_only_fields = fields


RUN_CSV_COLUMNS = (
    "id",
    "scenario",
    "location",
    "status",
    "kind",
    "browser",
    "profile",
    "created_at",
    "branch",
    "commit",
    "role",
    "sequence",
    "comparison",
    *page_names(column=True),
)


class ComparisonCreateSerializer(serializers.Serializer):
    """What a pipeline posts to start a comparison."""

    scenario = serializers.SlugRelatedField(slug_field="slug", queryset=Scenario.objects.all())
    runs = serializers.IntegerField(
        min_value=1, max_value=100, default=5, help_text="Runs per side"
    )
    url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Branch URL (a preview deployment); default the scenario's URL",
    )
    base_url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Base URL: measure base and branch interleaved",
    )
    branch = serializers.CharField(required=False, allow_blank=True, max_length=200)
    commit = serializers.CharField(required=False, allow_blank=True, max_length=64)
    base_branch = serializers.CharField(required=False, allow_blank=True, max_length=200)
    base_commit = serializers.CharField(required=False, allow_blank=True, max_length=64)
    base_commits = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        max_length=1000,
        help_text="Ancestors of the base commit, nearest first (git rev-list); the first with "
        "stored runs is the base when base_commit has none",
    )
    build_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)
    location = serializers.SlugRelatedField(
        slug_field="name", queryset=Location.objects.all(), required=False, allow_null=True
    )
    profile = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_NAME,
        help_text="Connection and CPU profile both sides are measured under (a built-in or "
        "custom profile's name); default the scenario's. A history comparison takes base runs "
        "of this profile only.",
    )
    warmup = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=5,
        help_text="Unused warm-up runs per side before the measured ones (default 1)",
    )
    alpha = serializers.FloatField(required=False, min_value=0.0001, max_value=0.5)
    min_effect_ms = serializers.FloatField(required=False, min_value=0)
    min_effect_pct = serializers.FloatField(required=False, min_value=0)
    metrics = serializers.ListField(
        child=serializers.CharField(max_length=200),
        required=False,
        min_length=1,
        max_length=50,
        help_text="Gated metrics (the Holm family): page metrics (lcp), splits "
        "(party.third.transfer_bytes), named metrics (user.checkout_ready, "
        "request.create_chat.duration_ms, custom.<name>, ws.<name>.reply_ms, backend.<name>, "
        "cpu.script_ms) and steps' (step.<step>.duration_ms, step.<step>.<named metric>)",
    )

    def validate_metrics(self, names: list[str]) -> list[str]:
        """Every gated metric must be one the registry places: a typo would gate nothing."""
        refused = [f"{name}: {problem}" for name in names if (problem := metric_problem(name))]
        if refused:
            raise serializers.ValidationError(refused)
        return names

    def validate_profile(self, name: str) -> str:
        """A profile that does not exist is refused: runs would be measured under nothing."""
        if name:
            try:
                resolve_profile(name)
            except UnknownProfile as exc:
                raise serializers.ValidationError(str(exc)) from exc
        return name

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("base_url") and not attrs.get("base_branch"):
            raise serializers.ValidationError(
                "give base_url (paired runs) or base_branch (compare with stored runs)"
            )
        # Both URLs are measured with the scenario's spec, so through its DNS map.
        dns = attrs["scenario"].spec()["setup"]["dns"]
        refused = {
            field: [refusal]
            for field in ("url", "base_url")
            if attrs.get(field) and (refusal := destinations.url_refusal(attrs[field], dns))
        }
        if refused:
            raise serializers.ValidationError(refused)
        return attrs

    def comparison_fields(self) -> dict[str, Any]:
        """Keyword arguments for comparison.create_comparison."""
        data = self.validated_data
        options = {
            k: data[k]
            for k in (
                "alpha",
                "min_effect_ms",
                "min_effect_pct",
                "metrics",
                "base_commits",
                "warmup",
            )
            if k in data
        }
        return {
            "iterations": data["runs"],
            "branch_url": data.get("url", ""),
            "base_url": data.get("base_url", ""),
            **{
                k: data.get(k, "")
                for k in ("branch", "commit", "base_branch", "base_commit", "build_url", "label")
            },
            "location": data.get("location"),
            "profile": data.get("profile", ""),
            "options": options,
        }


class ComparisonSerializer(serializers.ModelSerializer):
    """A comparison's status, progress, runs and (when done) its report."""

    scenario = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    location = serializers.SlugRelatedField(slug_field="name", read_only=True)
    mode = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    runs = serializers.SerializerMethodField()
    branch_url = _url_text("The branch's URL; empty: the scenario's")
    base_url = _url_text("The base's URL (paired runs); empty when comparing with history")
    build_url = _url_text("The CI build's page; empty when none")

    class Meta:
        model = Comparison
        fields = [
            "id",
            "scenario",
            "status",
            "verdict",
            "error",
            "mode",
            "iterations",
            "branch_url",
            "base_url",
            "branch",
            "commit",
            "base_branch",
            "base_commit",
            "build_url",
            "label",
            "location",
            "profile",
            "created_at",
            "options",
            "progress",
            "runs",
            "report",
        ]
        read_only_fields = fields

    def get_mode(self, comparison: Comparison) -> str:
        return "paired" if comparison.paired else "history"

    def get_runs(self, comparison: Comparison) -> list[dict[str, Any]]:
        return [
            {
                "id": r.pk,
                "role": r.role,
                "sequence": r.sequence,
                "status": r.status,
                "flagged": r.flagged,
                "error": r.error,
            }
            for r in comparison.runs.order_by("sequence")
        ]

    def get_progress(self, comparison: Comparison) -> dict[str, int]:
        runs = list(comparison.runs.values_list("status", flat=True))
        sides = 2 if comparison.paired else 1
        return {
            "planned": comparison.iterations * sides + len(warmups(comparison)),
            "finished": sum(s in Run.FINISHED for s in runs),
            "succeeded": sum(s == Run.SUCCEEDED for s in runs),
            "failed": sum(s in Run.FINISHED and s != Run.SUCCEEDED for s in runs),
        }


class ReleaseSerializer(serializers.ModelSerializer):
    scenarios = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        queryset=Scenario.objects.all(),
        required=False,
        help_text="Scenario slugs; empty means every scenario",
    )
    time = serializers.DateTimeField(required=False, help_text="Default: now")

    class Meta:
        model = Release
        fields = ["id", "name", "time", "scenarios", "note", "link", "created_at"]
        read_only_fields = ["id", "created_at"]

    def create(self, validated_data: dict[str, Any]) -> Release:
        scenarios = validated_data.pop("scenarios", [])
        validated_data.setdefault("time", timezone.now())
        release = Release.objects.create(**validated_data)
        release.scenarios.set(scenarios)
        graphite.queue_release(release)
        return release


class ImportSerializer(serializers.Serializer):
    """A HAR and/or named metrics to store as an imported run (JSON body or multipart)."""

    scenario = serializers.SlugRelatedField(slug_field="slug", queryset=Scenario.objects.all())
    har = serializers.JSONField(required=False, help_text="A HAR 1.2 object")
    har_file = serializers.FileField(required=False, help_text="A .har or .har.gz upload")
    metrics = serializers.JSONField(
        required=False,
        help_text="{metric name: number}: page metrics (lcp), splits "
        "(party.third.transfer_bytes) and named metrics (user.<name>, "
        "request.<name>.duration_ms|ttfb_ms|transfer_bytes|count|failed, custom.<name>, "
        "ws.<name>.connect_ms|sent|received|sent_bytes|received_bytes|reply_ms, "
        "backend.<name>, cpu.script_ms …), as in a result document's metrics; a name no "
        "metric has, or a value that is not a finite number in range, is refused",
    )
    tool = serializers.CharField(required=False, allow_blank=True, max_length=100)
    branch = serializers.CharField(required=False, allow_blank=True, max_length=200)
    commit = serializers.CharField(required=False, allow_blank=True, max_length=64)
    build_url = serializers.URLField(required=False, allow_blank=True, max_length=2000)
    label = serializers.CharField(required=False, allow_blank=True, max_length=200)
