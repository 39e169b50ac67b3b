"""The scenario form: plain text inputs for list/dict fields, the model's own validation.

First-party patterns and the block list are one entry per line; DNS overrides are one
``host address`` pair per line. The script is validated by ``Scenario.full_clean`` (through
the ModelForm); a script refusal also keeps its line number in ``script_error_line`` so the
page can point at the offending line.
"""

import ipaddress
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.har.classify import check_party_patterns
from core.script import ScriptError, parse_script
from scenarios import destinations
from scenarios.models import Location, Scenario, profile_choices


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ScenarioForm(forms.ModelForm):
    first_party_text = forms.CharField(
        label="First-party host patterns",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: example.com, *.example.com or re:<regex>. "
        "Empty: the page's own domain.",
    )
    dns_text = forms.CharField(
        label="DNS overrides",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line: host address, e.g. www.example.com 10.0.0.5",
    )
    block_text = forms.CharField(
        label="Block list",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One URL glob or domain per line; matching requests are aborted.",
    )
    secret_names_text = forms.CharField(
        label="Secret names",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One header, query, form or cookie name per line whose values are removed "
        "from stored HARs (names with token, secret, password, key, auth, session or "
        "signature in them always are).",
    )
    profile = forms.ChoiceField(
        label="Connection and CPU profile",
        choices=profile_choices,
        help_text="The lab conditions its runs are measured under (built-in profiles from "
        "WebPageTest and Lighthouse, custom ones from the admin); its charts and thresholds "
        "take the runs of this profile, so changing it starts new series.",
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Where its agents run it. None chosen: this server's own location.",
    )

    class Meta:
        model = Scenario
        fields = [
            "name",
            "slug",
            "url",
            "script_format",
            "script",
            "frequency_minutes",
            "cron",
            "locations",
            "browser",
            "paused",
            "profile",
            "filmstrip",
        ]
        labels = {
            "url": "URL",
            "script_format": "Script format",
            "frequency_minutes": "Every (minutes)",
            "cron": "Cron schedule",
            "browser": "Browser",
            "paused": "Paused",
            "filmstrip": "Filmstrip",
        }
        help_texts = {
            "browser": "The browser its runs are measured in, by the agents of its locations "
            "that have it; like the profile, its charts and thresholds take the runs of this "
            "browser, so changing it starts new series.",
        }
        widgets = {"script": forms.Textarea(attrs={"rows": 12, "spellcheck": "false"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.script_error_line: int | None = None
        if self.instance.pk:
            self.fields["first_party_text"].initial = "\n".join(self.instance.first_party)
            self.fields["dns_text"].initial = "\n".join(
                f"{host} {address}" for host, address in sorted(self.instance.dns_overrides.items())
            )
            self.fields["block_text"].initial = "\n".join(self.instance.block)
            self.fields["secret_names_text"].initial = "\n".join(self.instance.secret_names)
        for name, field in self.fields.items():
            # Describe each input by its help text and error, for screen readers.
            described = [f"id_{name}_help"] if field.help_text else []
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)

    def clean_first_party_text(self) -> str:
        text = str(self.cleaned_data.get("first_party_text", ""))
        try:
            check_party_patterns(_lines(text))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean_slug(self) -> str:
        slug = str(self.cleaned_data["slug"])
        if slug == "new":  # /scenarios/new/ is the creation form
            raise forms.ValidationError("“new” is reserved; choose another slug")
        return slug

    def clean_dns_text(self) -> dict[str, str]:
        overrides: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["dns_text"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2:
                raise forms.ValidationError(f"line {number}: write 'host address'")
            try:
                ipaddress.ip_address(parts[1])
            except ValueError:
                raise forms.ValidationError(
                    f"line {number}: {parts[1]!r} is not an IP address"
                ) from None
            if refusal := destinations.override_refusal(parts[0], parts[1]):
                raise forms.ValidationError(f"line {number}: {refusal}")
            overrides[parts[0].lower()] = parts[1]
        return overrides

    def add_error(self, field: str | None, error: Any) -> None:
        # The model reports its DNS overrides under their field name; this form edits them
        # as dns_text (a saved value the policy now refuses is such an error).
        by_field = getattr(error, "error_dict", None) if field is None else None
        if by_field and "dns_overrides" in by_field:
            renamed = dict(by_field)
            renamed["dns_text"] = renamed.pop("dns_overrides")
            error = ValidationError(renamed)
        super().add_error(field, error)

    def clean_script(self) -> str:
        script = self.cleaned_data.get("script", "")
        fmt = self.data.get(self.add_prefix("script_format"), Scenario.FORMAT_URL)
        if fmt != Scenario.FORMAT_URL:
            try:
                parse_script(script, fmt)
            except ScriptError as exc:
                self.script_error_line = exc.line
        return script

    def clean(self) -> dict[str, Any]:
        # Set before the model's full_clean() runs (in _post_clean), so it sees them.
        cleaned = super().clean() or {}
        self.instance.first_party = _lines(cleaned.get("first_party_text", ""))
        self.instance.block = _lines(cleaned.get("block_text", ""))
        self.instance.secret_names = _lines(cleaned.get("secret_names_text", ""))
        if "dns_text" in cleaned:
            self.instance.dns_overrides = cleaned["dns_text"]
        return cleaned

    def save(self, commit: bool = True) -> Scenario:
        """Save; a scenario saved with no location gets the server's (``defaulted_location``)."""
        scenario = super().save(commit=commit)
        self.defaulted_location = scenario.ensure_location() if commit else None
        return scenario

    def script_lines(self) -> list[dict[str, Any]]:
        """The submitted script, numbered, with the offending line marked (for the page)."""
        script = self.data.get(self.add_prefix("script"), "") if self.is_bound else ""
        return [
            {"number": n, "text": text, "error": n == self.script_error_line}
            for n, text in enumerate(str(script).splitlines(), start=1)
        ]
