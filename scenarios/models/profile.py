"""Custom connection and CPU profiles, and the one look-up of a profile by name.

The built-in profiles (``core.profiles.BUILTIN``: WebPageTest's and Lighthouse's figures) are
code; a custom one is a row, edited in the admin. Scenarios, runs and comparisons name a
profile; :func:`resolve_profile` turns the name into its numbers, which the spec carries to
the agent. Runs measured under a profile are compared with each other by its name, so a
custom profile's numbers are fixed once a run was measured under it, and it cannot be
deleted while anything names it.
"""

from django.core.exceptions import ValidationError
from django.db import models

from core.profiles import (
    BUILTIN,
    MAX_CPU_SLOWDOWN,
    MAX_KBPS,
    MAX_NAME,
    MAX_RTT_MS,
    Profile,
    builtin,
    name_problem,
    numbers_problem,
)


class UnknownProfile(ValueError):
    """No built-in or custom profile has that name; the message says which there are."""


class ConnectionProfile(models.Model):
    """A custom profile: bandwidths in kbps (0 unlimited), round trip in ms, CPU factor."""

    NUMBERS = ("download_kbps", "upload_kbps", "rtt_ms", "cpu_slowdown")

    name = models.CharField(
        max_length=MAX_NAME,
        unique=True,
        help_text="Lower-case letters, digits and '-' (a Graphite path node); not the name of "
        f"a built-in profile ({', '.join(BUILTIN)}). Fixed once saved.",
    )
    label = models.CharField(max_length=200, blank=True)
    download_kbps = models.FloatField(
        default=0, help_text=f"kbps (1,000 bit/s); 0 = unlimited; at most {MAX_KBPS:,.0f}"
    )
    upload_kbps = models.FloatField(
        default=0, help_text=f"kbps (1,000 bit/s); 0 = unlimited; at most {MAX_KBPS:,.0f}"
    )
    rtt_ms = models.FloatField(
        default=0, help_text=f"Latency added to every request, ms; at most {MAX_RTT_MS:g}"
    )
    cpu_slowdown = models.FloatField(
        default=1,
        help_text=f"The page's main thread runs N times slower; 1 to {MAX_CPU_SLOWDOWN:g}",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.as_profile().describe()

    def as_profile(self) -> Profile:
        return Profile(
            self.name,
            float(self.download_kbps),
            float(self.upload_kbps),
            float(self.rtt_ms),
            float(self.cpu_slowdown),
            self.label,
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if problem := name_problem(self.name):
            errors["name"] = problem
        elif builtin(self.name) is not None:
            errors["name"] = f"{self.name!r} is a built-in profile"
        if problem := numbers_problem(*(getattr(self, n) for n in self.NUMBERS)):
            field, _, _ = problem.partition(" ")
            errors[field if field in self.NUMBERS else "download_kbps"] = problem
        if not errors and self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("name", *self.NUMBERS).first()
            if stored is not None and stored["name"] != self.name:
                errors["name"] = "a profile's name is fixed: make a new profile instead"
            elif stored is not None and self.measured_under():
                changed = [n for n in self.NUMBERS if float(stored[n]) != float(getattr(self, n))]
                if changed:
                    errors[changed[0]] = (
                        "runs were measured under this profile: its numbers are fixed so that "
                        "they stay comparable; make a new profile instead"
                    )
        if errors:
            raise ValidationError(errors)

    def measured_under(self) -> bool:
        """Whether any run was made under this profile."""
        # Runs, scenarios and comparisons name a profile by its name (no foreign key, so a
        # finished run outlives its profile); they are looked up in the app registry because
        # their modules import this one.
        run = self._meta.apps.get_model("scenarios", "Run")
        return bool(run.objects.filter(profile=self.name).exists())

    def users(self) -> list[str]:
        """What names this profile: ``scenario <slug>``, ``comparison <id>`` (not settled),
        ``run <id>`` (queued or running); empty when it may be deleted."""
        get = self._meta.apps.get_model
        Comparison, Run, Scenario = (get("scenarios", n) for n in ("Comparison", "Run", "Scenario"))
        found = [
            f"scenario {slug}"
            for slug in Scenario.objects.filter(profile=self.name).values_list("slug", flat=True)
        ]
        found += [
            f"comparison {pk}"
            for pk in Comparison.objects.filter(profile=self.name)
            .exclude(status__in=Comparison.SETTLED)
            .values_list("pk", flat=True)
        ]
        found += [
            f"run {pk}"
            for pk in Run.objects.filter(
                profile=self.name, status__in=(Run.QUEUED, Run.RUNNING)
            ).values_list("pk", flat=True)
        ]
        return found

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        """Delete it; raises ValidationError naming its users while anything names it."""
        if users := self.users():
            raise ValidationError(
                f"profile {self.name!r} is in use ({', '.join(users[:5])}"
                f"{' …' if len(users) > 5 else ''}): change those first"
            )
        return super().delete(*args, **kwargs)  # type: ignore[arg-type]


def resolve_profile(name: str) -> Profile:
    """The profile called ``name``: a built-in one, else a custom one. Raises UnknownProfile."""
    found = builtin(name)
    if found is not None:
        return found
    row = ConnectionProfile.objects.filter(name=name).first()
    if row is None:
        raise UnknownProfile(
            f"no profile {name!r}; built in: {', '.join(BUILTIN)}"
            + (f"; custom: {', '.join(custom)}" if (custom := custom_names()) else "")
        )
    return row.as_profile()


def custom_names() -> list[str]:
    return list(ConnectionProfile.objects.values_list("name", flat=True))


def profile_choices() -> list[tuple[str, str]]:
    """(name, label) of every profile, built-in first (native leading), for forms."""
    return [(p.name, p.label or p.describe()) for p in BUILTIN.values()] + [
        (row.name, row.label or row.as_profile().describe())
        for row in ConnectionProfile.objects.all()
    ]
