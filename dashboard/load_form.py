"""The form that starts a load test, and the guard rails it shows before anyone presses start:
per location, the virtual users its live agents hold and the hosts it may target."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from core.load.plan import CONTINUOUS, P95, PARALLEL, STATISTICS, Plan, PlanError, parse_stages
from core.load.targets import refused_hosts
from core.metrics import HEADLINE, metric_problem, page_metrics
from scenarios.load.start import allowed_hosts
from scenarios.models import Location, Scenario

SECONDS = "seconds"
ITERATIONS = "iterations"


class LoadTestForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.order_by("name"),
        to_field_name="name",
        empty_label=None,
        help_text="Its live agents run the virtual users, in the scenario's browser.",
    )
    kind = forms.ChoiceField(
        choices=[
            (CONTINUOUS, "Continuous: each user repeats the journey back to back"),
            (PARALLEL, "Parallel: the users start each round together"),
        ],
        initial=CONTINUOUS,
        widget=forms.RadioSelect,
    )
    stages = forms.CharField(
        initial="1, 5, 10",
        max_length=200,
        help_text="Virtual users of each stage, e.g. 1, 5, 10, 25; or a ramp FROM-TO/STEP, "
        "e.g. 1-10/3 (the stages 1, 4, 7, 10).",
    )
    length = forms.IntegerField(min_value=1, initial=60, label="Each stage lasts")
    per = forms.ChoiceField(
        choices=[(SECONDS, "seconds"), (ITERATIONS, "journeys per user (rounds if parallel)")],
        initial=SECONDS,
        label="Counted in",
    )
    metric = forms.CharField(
        initial=HEADLINE,
        max_length=200,
        help_text="The metric whose limit the report looks for: a page metric (lcp, ttfb …), "
        "a measured step (step.NAME.duration_ms) or a named metric.",
        widget=forms.TextInput(attrs={"list": "load-metrics"}),
    )
    statistic = forms.ChoiceField(choices=[(s, s) for s in STATISTICS], initial=P95)
    limit = forms.FloatField(
        required=False,
        min_value=0,
        help_text="In the metric's unit (ms for timings); the report names the first stage "
        "over it. Empty: none.",
    )

    def __init__(self, *args: Any, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        first = scenario.locations.order_by("name").first()
        if first is not None:
            self.fields["location"].initial = first.name

    def clean_stages(self) -> list[int]:
        try:
            return parse_stages(self.cleaned_data["stages"])
        except PlanError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_metric(self) -> str:
        name = str(self.cleaned_data["metric"]).strip()
        if problem := metric_problem(name):
            raise ValidationError(problem)
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        length = data["length"]
        try:
            data["plan"] = Plan(
                kind=data["kind"],
                stages=tuple(data["stages"]),
                seconds=length if data["per"] == SECONDS else None,
                iterations=length if data["per"] == ITERATIONS else None,
                metric=data["metric"],
                statistic=data["statistic"],
                limit=data.get("limit"),
            )
        except PlanError as exc:
            raise ValidationError(str(exc)) from exc
        return data


@dataclass
class Rail:
    """One location as the form shows it: what its live agents hold, and the hosts of the
    scenario it may not target (each is a reason a load test would be refused)."""

    location: Location
    capacity: dict[str, int]
    refused: list[str]
    allowed: list[str]

    @property
    def users(self) -> int:
        return sum(self.capacity.values())


def rails(scenario: Scenario) -> list[Rail]:
    """Every location, with what would stop a load test of ``scenario`` from it."""
    spec = scenario.spec()
    found = []
    for location in Location.objects.order_by("name"):
        allowed = allowed_hosts(location)
        found.append(
            Rail(
                location=location,
                capacity=location.load_capacity(scenario.browser),
                refused=refused_hosts(spec, allowed),
                allowed=allowed,
            )
        )
    return found


METRIC_CHOICES = [m.name for m in page_metrics()]
"""The page metrics offered as the form's metric (a datalist: any registry name is taken)."""
