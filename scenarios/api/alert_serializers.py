"""Read-only shapes of what the alert API (scenarios/api/alerts.py) answers: its OpenAPI
schema. tests/alerts/test_api_alerts.py checks that the answers have exactly these fields."""

from typing import Any

from rest_framework import serializers

from scenarios.models import Threshold
from scenarios.models.alerts import Notification


def _when(**kwargs: Any) -> serializers.DateTimeField:
    """A date-time that may be null (not happened yet)."""
    return serializers.DateTimeField(allow_null=True, **kwargs)


class ThresholdSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scenario = serializers.CharField(help_text="Scenario slug")
    location = serializers.CharField(allow_null=True, help_text="null: every location")
    kind = serializers.ChoiceField(choices=Threshold.KINDS)
    scope = serializers.ChoiceField(choices=Threshold.SCOPES)
    key = serializers.CharField(allow_blank=True, help_text="party/host/entity/class/step name")
    metric = serializers.CharField()
    value = serializers.FloatField(help_text="Limit (absolute) or percent (relative)")
    window_runs = serializers.IntegerField(help_text="Judged on the median of the last K runs")
    baseline_days = serializers.IntegerField(help_text="Trailing median window (relative)")
    enabled = serializers.BooleanField()
    label = serializers.CharField(help_text="One line, e.g. 'Shop home lcp > 2500'")


class IncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    scenario = serializers.CharField(help_text="Scenario slug")
    location = serializers.CharField(allow_null=True)
    threshold = ThresholdSerializer()
    state = serializers.ChoiceField(choices=["open", "resolved"])
    opened_at = serializers.DateTimeField()
    resolved_at = _when()
    acknowledged_at = _when()
    muted_until = _when()
    value = serializers.FloatField(allow_null=True, help_text="The value that crossed")
    message = serializers.CharField(allow_blank=True)
    culprits = serializers.CharField(allow_null=True, help_text="The regression and its culprits")
    opened_run = serializers.IntegerField(allow_null=True)
    resolved_run = serializers.IntegerField(allow_null=True)


class NotificationSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="Channel name")
    event = serializers.ChoiceField(choices=Notification.EVENTS)
    created_at = serializers.DateTimeField()
    sent_at = _when(help_text="null: not delivered (yet)")
    attempts = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True, help_text="The last delivery error")


class IncidentDetailSerializer(IncidentSerializer):
    details = serializers.DictField(help_text="limit, culprits …")
    notifications = NotificationSerializer(many=True, help_text="Oldest first")


class IncidentListSerializer(serializers.Serializer):
    results = IncidentSerializer(many=True, help_text="Newest first")


class ThresholdListSerializer(serializers.Serializer):
    results = ThresholdSerializer(many=True)


class CorrelationSerializer(serializers.Serializer):
    """How one host's or entity's cost moves with the page metric."""

    key = serializers.CharField(help_text="Host or entity")
    party = serializers.ChoiceField(choices=["first", "third"])
    category = serializers.CharField(help_text="first_party, or the third party's category")
    measure = serializers.CharField(help_text="The host measure that moves most with it")
    coefficient = serializers.FloatField(help_text="Spearman's rho with the metric, -1..1")
    slope = serializers.FloatField(help_text="Metric units per unit of the measure")
    n = serializers.IntegerField(help_text="Runs used")


class HostCorrelationSerializer(CorrelationSerializer):
    entity = serializers.CharField(allow_blank=True)


class CulpritSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Host or entity")
    kind = serializers.ChoiceField(choices=["host", "entity"])
    party = serializers.ChoiceField(choices=["first", "third"])
    category = serializers.CharField()
    measure = serializers.CharField()
    before = serializers.FloatField(help_text="Median before the change")
    after = serializers.FloatField(help_text="Median after the change")
    delta = serializers.FloatField()
    share = serializers.FloatField(help_text="Share of the regression it explains, 0..1")


class RegressionSerializer(serializers.Serializer):
    t = serializers.DateTimeField(help_text="When the change happened (its first run)")
    run_id = serializers.IntegerField(help_text="The first run after the change")
    before = serializers.FloatField(help_text="Metric median before")
    after = serializers.FloatField(help_text="Metric median after")
    delta = serializers.FloatField()
    delta_pct = serializers.FloatField(allow_null=True, help_text="null when before is 0")
    p_value = serializers.FloatField(help_text="Two-sided Mann-Whitney")
    summary = serializers.CharField()
    culprits = CulpritSerializer(many=True, help_text="Largest share first")


class CorrelationReportSerializer(serializers.Serializer):
    scenario = serializers.IntegerField(help_text="Scenario id")
    location = serializers.IntegerField(allow_null=True, help_text="Location id")
    metric = serializers.CharField()
    since = serializers.DateTimeField()
    until = _when()
    runs = serializers.IntegerField(help_text="Runs in the window")
    hosts = HostCorrelationSerializer(many=True, help_text="Top 20 by |coefficient|")
    entities = CorrelationSerializer(many=True, help_text="Top 20 by |coefficient|")
    regressions = RegressionSerializer(many=True, help_text="Oldest first")
