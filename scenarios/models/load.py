"""Load tests: a scenario run by N concurrent virtual users in stages, and what they measured.

A load test is kept apart from monitoring on purpose: its iterations are rows of their own
(``LoadIteration``), never ``Run`` rows, so nothing that reads runs (trends, thresholds and
alerts, the Graphite outbox, CI bases) can ever see them. The workflow is scenarios.load.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.browsers import CHOICES as BROWSER_CHOICES
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.load.plan import CONTINUOUS, KINDS, P95, STATISTICS, Plan

from .fleet import Location
from .scenario import Scenario


class LoadTest(models.Model):
    """One load test of a scenario from one location: its plan, where it is, its report."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"
    STATUSES = [(s, s) for s in (QUEUED, RUNNING, DONE, CANCELLED, FAILED)]
    SETTLED = (DONE, CANCELLED, FAILED)

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="load_tests")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="load_tests")
    browser = models.CharField(max_length=20, choices=BROWSER_CHOICES, default=DEFAULT_BROWSER)
    kind = models.CharField(max_length=12, choices=[(k, k) for k in KINDS], default=CONTINUOUS)
    stages = models.JSONField(help_text="Virtual users of each stage, in order")
    seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Length of a stage")
    iterations = models.PositiveIntegerField(
        null=True, blank=True, help_text="Journeys per user (continuous) or rounds (parallel)"
    )
    metric = models.CharField(max_length=200, default="lcp")
    statistic = models.CharField(max_length=10, choices=[(s, s) for s in STATISTICS], default=P95)
    limit = models.FloatField(null=True, blank=True)
    spec = models.JSONField(help_text="What every virtual user measures (core.spec)")
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    stage = models.IntegerField(default=-1, help_text="The stage running (index), -1 before")
    error = models.TextField(blank=True)
    report = models.JSONField(null=True, blank=True, help_text="Its report, once settled")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["scenario", "created_at"])]

    def __str__(self) -> str:
        return f"load test {self.pk} of {self.scenario}"

    def get_absolute_url(self) -> str:
        return reverse("dashboard:load_test", args=[self.pk])

    @property
    def plan(self) -> Plan:
        return Plan(
            kind=self.kind,
            stages=tuple(self.stages),
            seconds=self.seconds,
            iterations=self.iterations,
            metric=self.metric,
            statistic=self.statistic,
            limit=self.limit,
        )

    @property
    def is_settled(self) -> bool:
        return self.status in self.SETTLED


class LoadShare(models.Model):
    """The users of one stage that one agent runs (core.load.plan.split_users)."""

    PLANNED = "planned"
    CLAIMED = "claimed"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    STATUSES = [(s, s) for s in (PLANNED, CLAIMED, RUNNING, DONE, STOPPED, FAILED)]
    ENDED = (DONE, STOPPED, FAILED)

    load_test = models.ForeignKey(LoadTest, on_delete=models.CASCADE, related_name="shares")
    stage = models.PositiveSmallIntegerField()
    agent_name = models.CharField(max_length=200)
    users = models.PositiveIntegerField()
    first_user = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=STATUSES, default=PLANNED)
    error = models.TextField(blank=True)
    batch = models.PositiveIntegerField(default=0, help_text="The last report batch taken")
    baseline_pss_bytes = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["stage", "agent_name"]
        unique_together = [("load_test", "stage", "agent_name")]

    def __str__(self) -> str:
        return f"{self.users} users of stage {self.stage} on {self.agent_name}"


class LoadIteration(models.Model):
    """One journey of one virtual user (core.load.iteration): no HAR, no result document."""

    load_test = models.ForeignKey(
        LoadTest, on_delete=models.CASCADE, related_name="load_iterations"
    )
    share = models.ForeignKey(LoadShare, on_delete=models.CASCADE, related_name="load_iterations")
    stage = models.PositiveSmallIntegerField()
    user = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    status = models.CharField(max_length=10)
    error = models.CharField(max_length=500, blank=True)
    values = models.JSONField(default=dict)

    class Meta:
        ordering = ["started_at"]
        indexes = [models.Index(fields=["load_test", "stage"])]

    def __str__(self) -> str:
        return f"user {self.user} of stage {self.stage}: {self.status}"


class LoadSample(models.Model):
    """The agent's own CPU (percent of its machine) and memory (PSS) while a share ran."""

    load_test = models.ForeignKey(LoadTest, on_delete=models.CASCADE, related_name="samples")
    share = models.ForeignKey(LoadShare, on_delete=models.CASCADE, related_name="samples")
    stage = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    cpu_percent = models.FloatField()
    pss_bytes = models.BigIntegerField()
    users = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]
        indexes = [models.Index(fields=["load_test", "stage"])]

    def __str__(self) -> str:
        return f"{self.cpu_percent}% CPU, {self.pss_bytes} B with {self.users} users"
