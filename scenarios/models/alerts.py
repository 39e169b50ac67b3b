"""Thresholds, incidents, notification channels and third-party entity mapping."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.metrics import CONTENT_CLASS, ENTITY, HEADLINE, HOST, PARTY, STEP, Family

from .fleet import Location
from .run import METRIC_FIELDS, Run
from .scenario import Scenario

# The family a threshold scope watches a member of; a page threshold judges a Run column.
SCOPE_FAMILIES: dict[str, Family] = {
    "party": PARTY,
    "host": HOST,
    "entity": ENTITY,
    "content_class": CONTENT_CLASS,
    "step": STEP,
}
# Metrics each scope can judge: page metrics are Run columns; party/host/entity/content_class
# use the totals of the result document; steps carry their measured duration and start.
SCOPE_METRICS: dict[str, tuple[str, ...]] = {
    "page": METRIC_FIELDS,
    **{scope: family.field_names() for scope, family in SCOPE_FAMILIES.items()},
}


class Threshold(models.Model):
    """A line a metric must not cross, judged on the median of the last K runs."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    FAILURE = "failure"
    KINDS = [
        (ABSOLUTE, "above a value"),
        (RELATIVE, "% above trailing median"),
        (FAILURE, "run fails"),
    ]
    SCOPES = [(s, s) for s in SCOPE_METRICS]

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="thresholds")
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, help_text="Empty: every location"
    )
    kind = models.CharField(max_length=10, choices=KINDS, default=ABSOLUTE)
    scope = models.CharField(max_length=15, choices=SCOPES, default="page")
    key = models.CharField(
        max_length=255, blank=True, help_text="party/host/entity/class/step name"
    )
    metric = models.CharField(max_length=50, default=HEADLINE)
    value = models.FloatField(default=0, help_text="Limit (absolute) or percent (relative)")
    window_runs = models.PositiveIntegerField(default=3, help_text="K: median of the last K runs")
    baseline_days = models.PositiveIntegerField(default=7, help_text="N: trailing median window")
    enabled = models.BooleanField(default=True)
    # Relative thresholds: the trailing median moves slowly, so it is cached for an hour.
    baseline = models.FloatField(null=True, blank=True, editable=False)
    baseline_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        if self.kind == self.FAILURE:
            return f"{self.scenario} fails"
        target = f"{self.scope}:{self.key}." if self.key else ""
        unit = "%" if self.kind == self.RELATIVE else ""
        op = "> +" if self.kind == self.RELATIVE else "> "
        return f"{self.scenario} {target}{self.metric} {op}{self.value:g}{unit}"

    def clean(self) -> None:
        if self.kind == self.FAILURE:
            return
        allowed = SCOPE_METRICS.get(self.scope, ())
        errors: dict[str, str] = {}
        if self.metric not in allowed:
            errors["metric"] = f"{self.scope} thresholds judge one of: {', '.join(allowed)}"
        if self.scope != "page" and not self.key:
            errors["key"] = f"name the {self.scope.replace('_', ' ')} to watch"
        if self.scope == "party" and self.key not in ("", "first", "third"):
            errors["key"] = "party is first or third"
        if self.window_runs < 1:
            errors["window_runs"] = "judge at least one run"
        if errors:
            raise ValidationError(errors)

    @property
    def label(self) -> str:
        """The watched quantity, e.g. ``lcp`` or ``host ads.example.com time_ms``."""
        if self.kind == self.FAILURE:
            return "run status"
        if self.scope == "page":
            return self.metric
        return f"{self.scope.replace('_', ' ')} {self.key} {self.metric}"


class Incident(models.Model):
    threshold = models.ForeignKey(Threshold, on_delete=models.CASCADE, related_name="incidents")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True)
    # Set to the evaluation's time (not the row's insert time) so replayed history is right.
    opened_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    muted_until = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    opened_run = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_run = models.ForeignKey(
        Run, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True, help_text="limit, culprits …")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            # Two evaluations racing must not open the same incident twice.
            models.UniqueConstraint(
                fields=["threshold", "location"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_incident_per_threshold_location",
            )
        ]

    def __str__(self) -> str:
        return f"incident {self.pk}: {self.threshold}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def is_muted(self, now: datetime | None = None) -> bool:
        return self.muted_until is not None and self.muted_until > (now or timezone.now())

    def acknowledge(self) -> None:
        """Stop reminders for this incident; its resolution is still announced."""
        if self.acknowledged_at is None:
            self.acknowledged_at = timezone.now()
            self.save(update_fields=["acknowledged_at"])

    def mute(self, minutes: int) -> None:
        """Send nothing about this incident (not even its resolution) for ``minutes``."""
        self.muted_until = timezone.now() + timedelta(minutes=minutes)
        self.save(update_fields=["muted_until"])


class Channel(models.Model):
    SLACK = "slack"
    WEBHOOK = "webhook"
    EMAIL = "email"
    KINDS = [
        (SLACK, "Slack-compatible webhook"),
        (WEBHOOK, "JSON webhook (HMAC)"),
        (EMAIL, "e-mail"),
    ]

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=KINDS)
    target = models.CharField(max_length=2000, help_text="URL or comma-separated addresses")
    secret = models.CharField(max_length=200, blank=True, help_text="HMAC key for JSON webhooks")
    scenarios = models.ManyToManyField(Scenario, blank=True, help_text="Empty: global")
    reminder_minutes = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_scenario(cls, scenario_id: int) -> models.QuerySet["Channel"]:
        """Enabled channels that hear about this scenario: its own and the global ones."""
        return (
            cls.objects.filter(enabled=True)
            .filter(Q(scenarios__isnull=True) | Q(scenarios__id=scenario_id))
            .distinct()
        )


class Notification(models.Model):
    """One message about one incident to one channel: the delivery record and its failures."""

    OPENED = "opened"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    EVENTS = [(e, e) for e in (OPENED, RESOLVED, REMINDER)]

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=10, choices=EVENTS)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} of incident {self.incident_id} to {self.channel}"


class EntityMapping(models.Model):
    """A user's addition to the shipped host → entity/category mapping."""

    pattern = models.CharField(max_length=255, unique=True, help_text="domain or *.domain")
    entity = models.CharField(max_length=200)
    category = models.CharField(max_length=50, default="other")

    def __str__(self) -> str:
        return f"{self.pattern} → {self.entity}"

    @classmethod
    def as_tuples(cls) -> list[tuple[str, str, str]]:
        """Every user mapping as (pattern, entity, category), the input of entities.classify."""
        return list(cls.objects.values_list("pattern", "entity", "category"))
