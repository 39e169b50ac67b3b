"""Admin for thresholds, incidents, channels, notifications and entity mappings.

Actions: send a test message through channels; acknowledge, mute and unmute incidents;
enable and disable thresholds.
"""

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.har import entities
from scenarios.alerts import channels
from scenarios.models import Channel, EntityMapping, Incident, Threshold
from scenarios.models.alerts import Notification

_DOMAIN = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*")


def _register(model: type[Model], model_admin: type[admin.ModelAdmin]) -> None:
    """Register, replacing the plain registration scenarios/admin.py may still hold."""
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)


class ThresholdAdmin(admin.ModelAdmin):
    list_display = (
        "scenario",
        "location",
        "kind",
        "scope",
        "key",
        "metric",
        "value",
        "window_runs",
        "baseline_days",
        "enabled",
    )
    list_filter = ("enabled", "kind", "scope", "location", "scenario")
    search_fields = ("scenario__name", "key", "metric")
    readonly_fields = ("baseline", "baseline_at")
    actions = ("enable", "disable")

    @admin.action(description="Enable the selected thresholds")
    def enable(self, request: HttpRequest, queryset: QuerySet[Threshold]) -> None:
        self.message_user(request, f"{queryset.update(enabled=True)} threshold(s) enabled.")

    @admin.action(description="Disable the selected thresholds")
    def disable(self, request: HttpRequest, queryset: QuerySet[Threshold]) -> None:
        self.message_user(request, f"{queryset.update(enabled=False)} threshold(s) disabled.")


class NotificationInline(admin.TabularInline):
    model = Notification
    extra = 0
    can_delete = False
    fields = ("event", "channel", "created_at", "sent_at", "attempts", "error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OpenFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "open"), ("resolved", "resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Incident]) -> QuerySet[Incident]:
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


class IncidentAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "threshold",
        "location",
        "opened_at",
        "resolved_at",
        "value",
        "acknowledged_at",
        "muted_until",
    )
    list_filter = (OpenFilter, "location", "threshold__scenario")
    date_hierarchy = "opened_at"
    search_fields = ("message", "threshold__scenario__name")
    readonly_fields = (
        "threshold",
        "location",
        "opened_at",
        "resolved_at",
        "value",
        "message",
        "details",
        "opened_run",
        "resolved_run",
        "last_notified_at",
    )
    inlines = (NotificationInline,)
    actions = ("acknowledge", "mute_hour", "mute_day", "unmute")

    @admin.action(description="Acknowledge (no more reminders)")
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        done = queryset.filter(acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
        self.message_user(request, f"{done} incident(s) acknowledged.")

    def _mute(self, request: HttpRequest, queryset: QuerySet[Incident], minutes: int) -> None:
        until = timezone.now() + timedelta(minutes=minutes)
        self.message_user(request, f"{queryset.update(muted_until=until)} incident(s) muted.")

    @admin.action(description="Mute for an hour (nothing sent, not even recovery)")
    def mute_hour(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self._mute(request, queryset, 60)

    @admin.action(description="Mute for a day")
    def mute_day(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self._mute(request, queryset, 24 * 60)

    @admin.action(description="Unmute")
    def unmute(self, request: HttpRequest, queryset: QuerySet[Incident]) -> None:
        self.message_user(request, f"{queryset.update(muted_until=None)} incident(s) unmuted.")


class ChannelForm(forms.ModelForm):
    class Meta:
        model = Channel
        fields = ("name", "kind", "target", "secret", "scenarios", "reminder_minutes", "enabled")
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, target = data.get("kind"), (data.get("target") or "").strip()
        if kind in (Channel.SLACK, Channel.WEBHOOK) and not target.startswith(
            ("http://", "https://")
        ):
            self.add_error("target", "a webhook channel needs an http(s) URL")
        if kind == Channel.WEBHOOK and not data.get("secret"):
            self.add_error("secret", "JSON webhooks are signed: give a secret")
        return data


class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = (
        "name",
        "kind",
        "target",
        "enabled",
        "reminder_minutes",
        "last_sent_at",
        "last_error_at",
        "short_error",
    )
    list_filter = ("kind", "enabled")
    filter_horizontal = ("scenarios",)
    readonly_fields = ("last_error", "last_error_at", "last_sent_at")
    actions = ("send_test",)

    @admin.display(description="last error")
    def short_error(self, obj: Channel) -> str:
        return obj.last_error[:80]

    @admin.action(description="Send a test message")
    def send_test(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        for channel in queryset:
            error = channels.send_test(channel)
            if error is None:
                self.message_user(request, f"{channel}: test message sent.", messages.SUCCESS)
            else:
                self.message_user(request, f"{channel}: {error}", messages.ERROR)


class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "incident", "channel", "created_at", "sent_at", "attempts")
    list_filter = ("event", "channel")
    readonly_fields = ("incident", "channel", "event", "created_at", "sent_at", "attempts", "error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class EntityMappingForm(forms.ModelForm):
    category = forms.ChoiceField(choices=list(entities.CATEGORIES.items()))

    class Meta:
        model = EntityMapping
        fields = ("pattern", "entity", "category")

    def clean_pattern(self) -> str:
        pattern = self.cleaned_data["pattern"].strip().lower().rstrip(".")
        domain = pattern.removeprefix("*.")
        if not _DOMAIN.fullmatch(domain):
            raise forms.ValidationError("a domain such as example.com or *.example.com")
        return pattern


class EntityMappingAdmin(admin.ModelAdmin):
    form = EntityMappingForm
    list_display = ("pattern", "entity", "category")
    list_filter = ("category",)
    search_fields = ("pattern", "entity")


_register(Threshold, ThresholdAdmin)
_register(Incident, IncidentAdmin)
_register(Channel, ChannelAdmin)
_register(Notification, NotificationAdmin)
_register(EntityMapping, EntityMappingAdmin)
