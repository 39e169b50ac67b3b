"""Django admin for ops: locations (with the hosts load tests may target) and their live
agents, scenarios, runs with metrics, load tests."""

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.browsers import BROWSERS
from core.metrics import page_names
from core.profiles import BUILTIN
from scenarios import models
from scenarios.runs import dispatch as scheduling


class AgentInline(admin.TabularInline):
    model = models.Agent
    extra = 0
    fields = (
        "name",
        "last_seen",
        "version",
        "browsers",
        "browser_version",
        "concurrency",
        "load_users",
        "revoked",
    )
    readonly_fields = (
        "last_seen",
        "version",
        "browsers",
        "browser_version",
        "concurrency",
        "load_users",
    )


_HOST_PATTERN = re.compile(r"[a-z0-9*?._\[\]-]+")


class HostListField(forms.Field):
    """Host names or globs, one a line or comma-separated, as a list (lower case)."""

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        text = str(value or "")
        items = [item.strip().lower() for item in text.replace(",", "\n").splitlines()]
        hosts = [item for item in items if item]
        bad = [host for host in hosts if not _HOST_PATTERN.fullmatch(host)]
        if bad:
            raise forms.ValidationError(
                f"not a host name or glob: {', '.join(bad)} (e.g. shop.example.com, *.example.com)"
            )
        return hosts


class LocationForm(forms.ModelForm):
    load_hosts = HostListField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=models.Location._meta.get_field("load_hosts").help_text
        + " One a line or comma-separated.",
    )

    class Meta:
        model = models.Location
        fields = ("name", "label", "load_hosts")


@admin.register(models.Location)
class LocationAdmin(admin.ModelAdmin):
    form = LocationForm
    list_display = ("name", "label", "queue", "live_agents", "live_browsers", "load_hosts")
    search_fields = ("name", "label")
    inlines = [AgentInline]

    @admin.display(description="live agents")
    def live_agents(self, obj: models.Location) -> int:
        return obj.live_agents().count()

    @admin.display(description="browsers of live agents")
    def live_browsers(self, obj: models.Location) -> str:
        """The browsers its scenarios can be measured in now (others' runs are flagged)."""
        served = set().union(*(agent.served_browsers for agent in obj.live_agents()))
        return ", ".join(b for b in BROWSERS if b in served) or "—"


@admin.register(models.Agent)
class AgentAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "location",
        "last_seen",
        "is_live",
        "version",
        "browsers",
        "load_users",
    )
    list_filter = ("location", "revoked")
    search_fields = ("name",)
    readonly_fields = ("token_hash", "last_seen", "browsers", "load_users")

    @admin.display(boolean=True, description="live")
    def is_live(self, obj: models.Agent) -> bool:
        return obj.is_live


@admin.register(models.Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "url",
        "frequency_minutes",
        "cron",
        "browser",
        "profile",
        "paused",
        "paused_reason",
        "next_due_at",
    )
    list_filter = ("paused", "locations", "browser", "script_format", "profile")
    search_fields = ("name", "slug", "url")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("locations",)
    actions = ["run_now", "pause", "resume"]

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "profile":  # a choice of the built-in and custom profiles
            return forms.ChoiceField(
                choices=models.profile_choices, help_text=db_field.help_text, label="Profile"
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        location = form.instance.ensure_location()
        if location is not None:
            self.message_user(
                request,
                f"No location was chosen: {form.instance} runs from {location.name!r}, "
                "this server's own location.",
                level=messages.WARNING,
            )

    @admin.action(description="Run now on every location")
    def run_now(self, request: HttpRequest, queryset: QuerySet[models.Scenario]) -> None:
        count = sum(len(scheduling.run_now(s)) for s in queryset)
        self.message_user(request, f"{count} runs queued")

    @admin.action(description="Pause")
    def pause(self, request: HttpRequest, queryset: QuerySet[models.Scenario]) -> None:
        queryset.update(paused=True)

    @admin.action(description="Resume")
    def resume(self, request: HttpRequest, queryset: QuerySet[models.Scenario]) -> None:
        for scenario in queryset:
            scenario.paused = False
            scenario.next_due_at = None
            scenario.save()


@admin.register(models.Run)
class RunAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "scenario",
        "location",
        "status",
        "kind",
        "browser",
        "profile",
        "created_at",
        *page_names(summary=True),
        "flagged",
    )
    list_filter = ("status", "kind", "browser", "profile", "location", "scenario")
    search_fields = ("scenario__name", "branch", "commit", "label", "error")
    date_hierarchy = "created_at"
    readonly_fields = (
        "metrics_table",
        "hosts_table",
        "har_download",
        "screenshot_link",
        "error",
        "result",
    )
    exclude = ("har", "screenshot", "filmstrip")

    @admin.display(description="metrics")
    def metrics_table(self, obj: models.Run) -> Any:
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", obj.metrics().items()),
        )

    @admin.display(description="hosts")
    def hosts_table(self, obj: models.Run) -> Any:
        rows = obj.hosts.order_by("-transfer_bytes").values_list(
            "host", "party", "entity", "requests", "transfer_bytes", "time_ms", "blocking_ms"
        )
        return format_html(
            "<table><tr><th>host</th><th>party</th><th>entity</th><th>requests</th>"
            "<th>bytes</th><th>time ms</th><th>blocking ms</th></tr>{}</table>",
            format_html_join("", "<tr>" + "<td>{}</td>" * 7 + "</tr>", rows),
        )

    @admin.display(description="HAR")
    def har_download(self, obj: models.Run) -> Any:
        if not obj.har:
            return "-"
        return format_html(
            '<a href="{}">download HAR ({} bytes gzipped)</a>',
            reverse("dashboard:run_har", args=[obj.pk]),
            obj.har_size,
        )

    @admin.display(description="Final screenshot")
    def screenshot_link(self, obj: models.Run) -> Any:
        if not obj.screenshot:
            return "-"
        return format_html(
            '<a href="{}">view the final screenshot</a>',
            reverse("dashboard:run_screenshot", args=[obj.pk]),
        )


@admin.register(models.ConnectionProfile)
class ConnectionProfileAdmin(admin.ModelAdmin):
    """Custom profiles. The built-in ones are code (core.profiles) and listed in the help."""

    list_display = ("name", "label", "download_kbps", "upload_kbps", "rtt_ms", "cpu_slowdown")
    search_fields = ("name", "label")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("name",) if obj is not None else ()

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        self.message_user(
            request,
            "Built-in profiles (not editable): "
            + "; ".join(p.describe() for p in BUILTIN.values()),
            level=messages.INFO,
        )
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.users():
            return False  # in use: its delete page says nothing could be done
        return super().has_delete_permission(request, obj)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[models.ConnectionProfile]
    ) -> None:
        """Delete the profiles nothing names; say which ones are in use."""
        for profile in queryset:
            if users := profile.users():
                self.message_user(
                    request,
                    f"{profile.name} is in use ({', '.join(users[:5])}): not deleted",
                    level=messages.ERROR,
                )
            else:
                profile.delete()


for model in (models.Release, models.Comparison, models.GraphitePoint):
    admin.site.register(model)

import scenarios.alerts.admin  # noqa: E402, F401  (thresholds, incidents, channels, entities)


@admin.register(models.LoadTest)
class LoadTestAdmin(admin.ModelAdmin):
    """Load tests, to look at (started, followed and cancelled in the dashboard or the API)."""

    list_display = ("id", "scenario", "location", "kind", "stages", "status", "created_at")
    list_filter = ("status", "location")
    search_fields = ("scenario__name", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
