"""CI comparisons (branch vs base) and release markers."""

from django.conf import settings
from django.db import models

from core.profiles import MAX_NAME, NATIVE_NAME

from .scenario import Scenario


class Comparison(models.Model):
    """A CI question: is the branch slower than its base? Holds both sets of runs."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    CANCELLED = "cancelled"
    STATUSES = [(s, s) for s in (PENDING, RUNNING, DONE, ERROR, CANCELLED)]
    SETTLED = (DONE, ERROR, CANCELLED)

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="comparisons")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    iterations = models.PositiveIntegerField(default=5)
    branch_url = models.URLField(max_length=2000, blank=True)
    base_url = models.URLField(max_length=2000, blank=True)
    branch = models.CharField(max_length=200, blank=True)
    commit = models.CharField(max_length=64, blank=True)
    base_branch = models.CharField(max_length=200, blank=True)
    base_commit = models.CharField(max_length=64, blank=True)
    build_url = models.URLField(max_length=2000, blank=True)
    label = models.CharField(max_length=200, blank=True)
    location = models.ForeignKey(
        "scenarios.Location", on_delete=models.PROTECT, null=True, blank=True
    )
    profile = models.CharField(
        max_length=MAX_NAME,
        default=NATIVE_NAME,
        help_text="The profile both sides are measured (and the history base taken) under; "
        "the scenario's when the comparison was made",
    )
    verdict = models.CharField(max_length=20, blank=True)
    report = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="How to compare: alpha, minimum effects, gated metrics, ancestor base commits",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"comparison {self.pk} of {self.scenario}"

    @property
    def paired(self) -> bool:
        """Base and branch measured here, interleaved; otherwise the base is stored history."""
        return bool(self.base_url)


class Release(models.Model):
    """A deployment marker: shown on charts, sent to Graphite, and compared before/after."""

    name = models.CharField(max_length=200)
    time = models.DateTimeField(db_index=True)
    scenarios = models.ManyToManyField(
        Scenario, blank=True, related_name="releases", help_text="Empty means every scenario"
    )
    note = models.TextField(blank=True)
    link = models.URLField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-time"]

    def __str__(self) -> str:
        return self.name
