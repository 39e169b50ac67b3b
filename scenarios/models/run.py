"""What was measured: one Run per (scenario, location, attempt), with its result document."""

from typing import Any

from django.db import models
from django.urls import reverse

from core import queues
from core.browsers import DEFAULT as DEFAULT_BROWSER
from core.metrics import page_names
from core.profiles import MAX_NAME, NATIVE_NAME

from .fleet import Location
from .profile import UnknownProfile
from .scenario import Scenario

# Page metrics copied out of the result document into columns, for fast trends and filters.
# The columns below are declared by hand (a migration adds each); the registry says which.
METRIC_FIELDS = page_names(column=True)


class Run(models.Model):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    LOST = "lost"
    STATUSES = [
        (QUEUED, "queued"),
        (RUNNING, "running"),
        (SUCCEEDED, "succeeded"),
        (FAILED, "failed"),
        (TIMED_OUT, "timed out"),
        (LOST, "lost"),
    ]
    FINISHED = (SUCCEEDED, FAILED, TIMED_OUT, LOST)

    KIND_SCHEDULED = "scheduled"
    KIND_MANUAL = "manual"
    KIND_CI = "ci"
    KIND_IMPORTED = "imported"
    KINDS = [(k, k) for k in (KIND_SCHEDULED, KIND_MANUAL, KIND_CI, KIND_IMPORTED)]

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="runs")
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="runs", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED, db_index=True)
    kind = models.CharField(max_length=10, choices=KINDS, default=KIND_SCHEDULED)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    agent_name = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True)
    har = models.FileField(upload_to="hars/%Y/%m/%d/", blank=True)
    har_size = models.PositiveIntegerField(default=0)
    screenshot = models.FileField(
        upload_to="screenshots/%Y/%m/%d/", blank=True, help_text="The viewport as the run ended"
    )
    filmstrip = models.FileField(
        upload_to="filmstrips/%Y/%m/%d/",
        blank=True,
        help_text="Frames of the viewport while the page loaded (core.visual.archive)",
    )
    flagged = models.CharField(max_length=200, blank=True, help_text="Why this run may not run")
    profile = models.CharField(
        max_length=MAX_NAME,
        default=NATIVE_NAME,
        help_text="The connection and CPU profile it is measured under (its numbers are in "
        "the result document)",
    )
    browser = models.CharField(
        max_length=20,
        blank=True,
        default=DEFAULT_BROWSER,
        help_text="The browser that measures it (its scenario's when it was queued); empty "
        "for an imported run, measured elsewhere",
    )

    # CI metadata
    target_url = models.URLField(max_length=2000, blank=True)
    branch = models.CharField(max_length=200, blank=True, db_index=True)
    commit = models.CharField(max_length=64, blank=True, db_index=True)
    base_branch = models.CharField(max_length=200, blank=True)
    base_commit = models.CharField(max_length=64, blank=True)
    build_url = models.URLField(max_length=2000, blank=True)
    label = models.CharField(max_length=200, blank=True)
    comparison = models.ForeignKey(
        "scenarios.Comparison", on_delete=models.CASCADE, null=True, blank=True, related_name="runs"
    )
    role = models.CharField(max_length=10, blank=True, help_text="base or branch in a comparison")
    sequence = models.PositiveIntegerField(default=0, help_text="Order within a comparison")

    ttfb = models.FloatField(null=True, blank=True)
    fcp = models.FloatField(null=True, blank=True)
    lcp = models.FloatField(null=True, blank=True)
    cls = models.FloatField(null=True, blank=True)
    tbt = models.FloatField(null=True, blank=True)
    dom_content_loaded = models.FloatField(null=True, blank=True)
    load = models.FloatField(null=True, blank=True)
    fully_loaded = models.FloatField(null=True, blank=True)
    requests = models.IntegerField(null=True, blank=True)
    transfer_bytes = models.BigIntegerField(null=True, blank=True)
    first_party_bytes = models.BigIntegerField(null=True, blank=True)
    third_party_bytes = models.BigIntegerField(null=True, blank=True)
    third_party_requests = models.IntegerField(null=True, blank=True)
    third_party_blocking_ms = models.FloatField(null=True, blank=True)
    speed_index = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["scenario", "location", "created_at"]),
            # charts and thresholds read one profile's runs of a scenario
            models.Index(fields=["scenario", "profile", "created_at"]),
            models.Index(fields=["scenario", "branch", "commit"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.scenario} @ {self.location} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("dashboard:run", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    def metrics(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in METRIC_FIELDS}

    @property
    def queue(self) -> str:
        """The broker queue of this run: its location's, for its browser (``core.queues``;
        location ``local`` for a run with none)."""
        return queues.run_queue(
            self.location.name if self.location else "local", self.browser or DEFAULT_BROWSER
        )

    @property
    def now_queue(self) -> str:
        """The "try it now" queue of this run's location and browser."""
        return queues.now_queue(
            self.location.name if self.location else "local", self.browser or DEFAULT_BROWSER
        )

    def spec(self) -> dict[str, Any]:
        """The plain-data job for an agent (``core.spec``): the scenario measured at this run's
        target URL under this run's profile in this run's browser, carrying the run's id and
        location name."""
        return self.scenario.spec(
            self.target_url,
            run_id=self.pk,
            location=self.location.name if self.location else "",
            profile=self.profile,
            browser=self.browser or DEFAULT_BROWSER,
        )


class RunHost(models.Model):
    """One host's share of a run: the per-host split kept as rows for trends and correlation."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(max_length=255, db_index=True)
    entity = models.CharField(max_length=255, db_index=True)
    party = models.CharField(max_length=5)
    requests = models.IntegerField(default=0)
    failed = models.IntegerField(default=0)
    body_bytes = models.BigIntegerField(default=0)
    # Empty for a browser that cannot count them (core.result.absent), never 0.
    transfer_bytes = models.BigIntegerField(default=0, null=True, blank=True)
    time_ms = models.FloatField(default=0)
    blocking_ms = models.FloatField(default=0, null=True, blank=True)

    class Meta:
        unique_together = [("run", "host")]

    def __str__(self) -> str:
        return f"{self.host} in run {self.run_id}"


def claim_run(
    run_id: int, agent_name: str, max_attempts: int = 3, *, holder_repeats: bool = False
) -> dict[str, Any] | None:
    """Mark a run running for ``agent_name`` and return its spec; None if it must not run.

    A run already finished is not run again (a duplicate delivery of the task). A run that
    was started ``max_attempts`` times already (its agents died mid-run) is marked lost; one
    whose profile no longer exists is marked failed, saying so.
    With ``holder_repeats``, the agent already holding the run gets its spec again without a
    new attempt: for claims over HTTP, where a token could otherwise wear a run out by
    claiming it again and again (a remote agent's own retries are such repeats).
    """
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.is_finished:
            return None
        if holder_repeats and run.status == Run.RUNNING and run.agent_name == agent_name:
            return run.spec()
        if run.attempts >= max_attempts:
            run.status = Run.LOST
            run.error = f"lost: started {run.attempts} times and never finished"
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            return None
        try:
            spec = run.spec()
        except UnknownProfile as exc:  # a custom profile deleted since: nothing to measure
            run.status = Run.FAILED
            run.error = f"cannot be measured: {exc}"
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
            return None
        run.attempts += 1
        run.status = Run.RUNNING
        run.started_at = timezone.now()
        run.agent_name = agent_name
        run.flagged = ""
        run.save(update_fields=["attempts", "status", "started_at", "agent_name", "flagged"])
        return spec
