"""What to measure: a scenario is a URL or a scripted journey, with a schedule."""

import ipaddress
import random
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core import browsers
from core.har.classify import check_party_patterns
from core.profiles import MAX_NAME, NATIVE_NAME
from core.script import ScriptError, parse_script, validate_url
from core.script.secrets import mask_script
from core.spec import SpecOptions, build_spec
from core.stats.budgets import validate_budgets
from scenarios import destinations

from .fleet import Location
from .profile import UnknownProfile, resolve_profile


class Scenario(models.Model):
    FORMAT_URL = "url"
    FORMAT_YAML = "yaml"
    FORMAT_GHERKIN = "gherkin"
    FORMATS = [
        (FORMAT_URL, "URL only"),
        (FORMAT_YAML, "YAML steps"),
        (FORMAT_GHERKIN, "Given/When/Then"),
    ]

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    url = models.URLField(
        max_length=2000, help_text="Opened first; relative steps resolve against it."
    )
    script_format = models.CharField(max_length=10, choices=FORMATS, default=FORMAT_URL)
    script = models.TextField(blank=True)
    steps = models.JSONField(default=list, blank=True, editable=False)
    first_party = models.JSONField(
        default=list,
        blank=True,
        help_text="Host patterns counted as first party (globs or re:…); empty = the page's domain.",  # noqa: E501
    )
    dns_overrides = models.JSONField(default=dict, blank=True, help_text="host → IP address")
    block = models.JSONField(default=list, blank=True, help_text="URL globs or domains to block")
    budgets = models.JSONField(default=dict, blank=True, help_text="metric → maximum (median)")
    secret_names = models.JSONField(
        default=list,
        blank=True,
        help_text="Extra header, query, form or cookie names whose values are removed from "
        "stored HARs and results (names with token, secret, password, key, auth, session or "
        "signature in them always are).",
    )
    filmstrip = models.BooleanField(
        default=True,
        help_text="Capture frames of the viewport while the page loads, for the filmstrip and "
        "the visual metrics (Speed Index, visually complete …).",
    )
    frequency_minutes = models.PositiveIntegerField(null=True, blank=True, default=15)
    cron = models.CharField(
        max_length=100, blank=True, help_text="Cron expression; wins over frequency"
    )
    jitter_seconds = models.PositiveIntegerField(default=0)
    locations = models.ManyToManyField(Location, related_name="scenarios", blank=True)
    browser = models.CharField(
        max_length=20,
        choices=browsers.CHOICES,
        default=browsers.DEFAULT,
        help_text="The browser its runs are measured in; they go to the agents of its "
        "locations that have it (README, Browsers: which agents measure a scenario).",
    )
    profile = models.CharField(
        max_length=MAX_NAME,
        default=NATIVE_NAME,
        help_text="Connection and CPU profile its runs are measured under (README, Connection "
        "and CPU profiles); its charts and thresholds take the runs of this profile.",
    )
    paused = models.BooleanField(default=False)
    paused_reason = models.CharField(
        max_length=300, blank=True, help_text="Why Perfite paused it (cleared when resumed)"
    )
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("dashboard:scenario", args=[self.slug])

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            validate_url(self.url, allow_relative=False)
        except ScriptError as exc:
            errors["url"] = exc.reason
        if self.script_format != self.FORMAT_URL:
            try:
                self.steps = parse_script(self.script, self.script_format)
            except ScriptError as exc:
                errors["script"] = str(exc)
        else:
            self.steps = []
        if refusal := self._dns_overrides_refusal():
            errors["dns_overrides"] = refusal
        self._check_destinations(errors)
        try:
            check_party_patterns(list(self.first_party or []))
        except ValueError as exc:
            errors["first_party"] = str(exc)
        try:
            validate_budgets(self.budgets)
        except ValueError as exc:
            errors["budgets"] = str(exc)
        if self.cron and not croniter.is_valid(self.cron):
            errors["cron"] = f"not a valid cron expression: {self.cron!r}"
        elif self.cron:
            try:
                croniter(self.cron, timezone.now()).get_next(datetime)
            except Exception as exc:  # noqa: BLE001 - croniter raises several kinds
                errors["cron"] = f"this cron expression never fires ({exc})"
        try:
            refusal = browsers.profile_refusal(self.browser, resolve_profile(self.profile))
        except UnknownProfile as exc:
            refusal = str(exc)
        if refusal:
            errors["profile"] = refusal
        if not self.cron and not self.frequency_minutes:
            errors["frequency_minutes"] = "give a frequency in minutes or a cron expression"
        if errors:
            raise ValidationError(errors)

    def _check_destinations(self, errors: dict[str, str]) -> None:
        """Add to ``errors`` what the address policy (scenarios.destinations) refuses: the URL,
        a navigate step or an actor's first page at an absolute URL, a dns step (the first
        refused step, with its line).
        Names are resolved as the agent will: through the scenario's own DNS map first (the
        overrides, then the script's dns steps, as core.spec merges them). A field already
        refused for another reason is not checked."""
        steps = [] if "script" in errors else self.steps
        overrides = {} if "dns_overrides" in errors else self.dns_overrides
        dns = {**overrides, **{s["host"]: s["address"] for s in steps if s["action"] == "dns"}}
        if "url" not in errors and (refusal := destinations.url_refusal(self.url, dns)):
            errors["url"] = refusal
        for step in steps:
            refusal = None
            if step["action"] in ("navigate", "actor") and not step["url"].startswith("/"):
                refusal = destinations.url_refusal(step["url"], dns)
            elif step["action"] == "dns":
                refusal = destinations.override_refusal(step["host"], step["address"])
            if refusal:
                errors["script"] = str(ScriptError(step.get("line"), refusal))
                return

    def _dns_overrides_refusal(self) -> str | None:
        """Why ``dns_overrides`` cannot be saved (not host → IP address, or an address the
        policy refuses), None when it can."""
        if not isinstance(self.dns_overrides, dict):
            return "give an object of host name → IP address"
        for host, address in self.dns_overrides.items():
            try:
                ipaddress.ip_address(address if isinstance(address, str) else "")
            except ValueError:
                return f"{address!r} (for {host}) is not an IP address"
            if refusal := destinations.override_refusal(host, address):
                return refusal
        return None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.script_format != self.FORMAT_URL and self.script and not self.steps:
            self.steps = parse_script(self.script, self.script_format)
        if not self.paused:
            self.paused_reason = ""
        if self.next_due_at is None and not self.paused:
            self.next_due_at = timezone.now()
        changed = False
        if self.pk is not None:
            rows = type(self).objects.filter(pk=self.pk).values_list("browser", "profile")
            changed = rows.first() not in (None, (self.browser, self.profile))
        super().save(*args, **kwargs)
        if changed:
            # A relative threshold's cached baseline came from the old conditions' runs
            # (scenarios.conditions: another browser or profile).
            self.thresholds.update(baseline=None, baseline_at=None)

    def readable_script(self, *, can_edit: bool) -> tuple[str, list[dict[str, Any]]]:
        """The script text and steps as this reader may see them: editors see them as
        written; everyone else without the values of credentials (core.script.secrets)."""
        if can_edit:
            return self.script, list(self.steps or [])
        return mask_script(self.script, list(self.steps or []), self.secret_names or [])

    def ensure_location(self) -> Location | None:
        """Give a saved scenario with no location the server's own, so that it runs.

        A scenario with no location is never dispatched; rather than keep one that silently
        never runs, it gets the location named by PERFITE_LOCATION (created if missing).
        Returns that location when it was added, None when the scenario had one already.
        """
        if self.locations.exists():
            return None
        location, _ = Location.objects.get_or_create(
            name=settings.PERFITE_LOCATION, defaults={"label": "This server"}
        )
        self.locations.add(location)
        return location

    def next_due_after(self, moment: datetime) -> datetime:
        """The next time this scenario is due strictly after ``moment`` (jitter included)."""
        if self.cron:
            base = croniter(self.cron, moment).get_next(datetime)
        else:
            base = moment + timedelta(minutes=self.frequency_minutes or 15)
        if self.jitter_seconds:
            base += timedelta(seconds=random.uniform(0, self.jitter_seconds))
        return base

    def spec(
        self,
        target_url: str = "",
        *,
        run_id: int | None = None,
        location: str = "",
        profile: str = "",
        browser: str = "",
    ) -> dict[str, Any]:
        """The measurement spec (``core.spec``) of this scenario, at ``target_url`` when given
        (a CI run of another deployment), for run ``run_id`` from ``location``, under the
        profile called ``profile`` (default: the scenario's own), its numbers included, in
        ``browser`` (default: the scenario's own). Raises UnknownProfile when no profile has
        that name."""
        return build_spec(
            url=target_url or self.url,
            steps=self.steps or [],
            first_party=self.first_party,
            dns=self.dns_overrides,
            block=self.block,
            options=SpecOptions.from_settings(settings),
            scenario=self.slug,
            run_id=run_id,
            location=location,
            profile=resolve_profile(profile or self.profile),
            filmstrip=self.filmstrip,
            browser=browser or self.browser,
        )
