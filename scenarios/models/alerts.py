"""Thresholds, incidents, notification channels and third-party entity mapping."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.metrics import (
    CONTENT_CLASS,
    CPU,
    ENTITY,
    HEADLINE,
    HOST,
    NAMED_FAMILIES,
    PARTY,
    STEP,
    STEP_SCOPED,
    Family,
    UnknownMetric,
    metric_problem,
    page_names,
    split_name,
)

from .fleet import Location
from .run import Run
from .scenario import Scenario

# The family a threshold scope watches a member of; a page threshold judges the run's own.
SCOPE_FAMILIES: dict[str, Family] = {
    "party": PARTY,
    "host": HOST,
    "entity": ENTITY,
    "content_class": CONTENT_CLASS,
    "step": STEP,
}
# The fixed metrics each scope can judge: every page metric (a Run column, or a key of the
# result document's ``metrics``); party/host/entity/content_class use the totals of the
# result document; steps carry their measured duration and start. Besides these, a page
# threshold judges a named metric (``user.<name>``, ``request.<name>.duration_ms`` …) and a
# step threshold one of the step's own (``user.<name>``, ``cpu.script_ms`` …): see
# :func:`metric_refusal`.
SCOPE_METRICS: dict[str, tuple[str, ...]] = {
    "page": page_names(),
    **{scope: family.field_names() for scope, family in SCOPE_FAMILIES.items()},
}
_CPU = frozenset(m.name for m in CPU)
_NAMED = {
    "page": "a named metric (user.<name>, request.<name>.duration_ms, custom.<name>, "
    "ws.<name>.reply_ms, backend.<name> …)",
    "step": "one of the step's own (user.<name>, request.<name>.duration_ms, custom.<name>, "
    "ws.<name>.reply_ms, cpu.script_ms …)",
}


def metric_refusal(scope: str, metric: str) -> str | None:
    """Why a ``scope`` threshold cannot judge ``metric``, or None when it can.

    A scope judges its fixed metrics (SCOPE_METRICS); a page threshold also a member of a
    named family, a step threshold also a metric a step carries of its own (a member of
    STEP_SCOPED, or a CPU metric). Names follow core.metrics.metric_problem.
    """
    if metric in SCOPE_METRICS.get(scope, ()):
        return None
    families = {"page": NAMED_FAMILIES, "step": STEP_SCOPED}.get(scope)
    if families is not None and metric_problem(metric) is None:
        try:
            parts = split_name(metric)
        except UnknownMetric:
            parts = None
        if (parts is not None and parts[0] in families) or (scope == "step" and metric in _CPU):
            return None
    fixed = ", ".join(SCOPE_METRICS.get(scope, ()))
    problem = metric_problem(metric) or f"{metric!r} is not one of them"
    named = f", or {_NAMED[scope]}" if scope in _NAMED else ""
    return f"{scope} thresholds judge one of: {fixed}{named}; {problem}"


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
    metric = models.CharField(
        max_length=200,
        default=HEADLINE,
        help_text="A page metric or a named one (user.<name>, request.<name>.duration_ms …); "
        "for a step, step.<step>.<metric> or the step as key",
    )
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
        """Refuse a metric the scope cannot judge, naming the field. A page threshold on a
        step's metric (``step.checkout.request.pay.duration_ms``) becomes the step threshold
        it means (step ``checkout``, metric ``request.pay.duration_ms``): one threshold, one
        form."""
        if self.kind == self.FAILURE:
            return
        self._as_step_threshold()
        errors: dict[str, str] = {}
        if problem := metric_refusal(self.scope, self.metric):
            errors["metric"] = problem
        if self.scope != "page" and not self.key:
            errors["key"] = f"name the {self.scope.replace('_', ' ')} to watch"
        if self.scope == "party" and self.key not in ("", "first", "third"):
            errors["key"] = "party is first or third"
        if self.window_runs < 1:
            errors["window_runs"] = "judge at least one run"
        if errors:
            raise ValidationError(errors)

    def _as_step_threshold(self) -> None:
        if self.scope != "page" or not self.metric.startswith(f"{STEP.prefix}."):
            return
        try:
            parts = split_name(self.metric)
        except UnknownMetric:
            return  # refused by metric_refusal, naming the whole metric
        if parts is not None and parts[0] is STEP:
            self.scope, self.key, self.metric = "step", parts[1], parts[2].name

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
