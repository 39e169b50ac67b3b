"""Create and edit scenarios, try one now, queue runs now (editors only)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from scenarios.models import Location, Scenario
from scenarios.roles import editor_required
from scenarios.runs.dispatch import TryNowRefused, run_now, try_now

from ..forms import ScenarioForm


def _form_page(request: HttpRequest, form: ScenarioForm, scenario: Scenario | None) -> HttpResponse:
    status = 400 if form.is_bound and form.errors else 200
    try_locations = list(scenario.locations.order_by("name")) if scenario else []
    return render(
        request,
        "dashboard/scenario_form.html",
        {"form": form, "scenario": scenario, "try_locations": try_locations},
        status=status,
    )


@editor_required
def scenario_create(request: HttpRequest) -> HttpResponse:
    """The new-scenario form; a valid POST saves and opens the scenario's edit page, where
    "try it now" is offered."""
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scenario = form.save()
        messages.success(request, f"Scenario {scenario.name} created.")
        return redirect("dashboard:scenario_edit", slug=scenario.slug)
    return _form_page(request, form, None)


@editor_required
def scenario_edit(request: HttpRequest, slug: str) -> HttpResponse:
    scenario = get_object_or_404(Scenario, slug=slug)
    form = ScenarioForm(request.POST or None, instance=scenario)
    if request.method == "POST" and form.is_valid():
        scenario = form.save()
        messages.success(request, f"Scenario {scenario.name} saved.")
        return redirect("dashboard:scenario_edit", slug=scenario.slug)
    return _form_page(request, form, scenario)


@require_POST
@editor_required
def scenario_try(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue one run of the saved scenario for an agent of the chosen location (``location``,
    default the first), ahead of its scheduled runs; open the run's page, which follows it
    until it finishes. A refusal (no location, no live agent) goes back to the form."""
    scenario = get_object_or_404(Scenario, slug=slug)
    name = request.POST.get("location")
    location = get_object_or_404(Location, name=name) if name else None
    try:
        run = try_now(scenario, location)
    except TryNowRefused as exc:
        messages.error(request, str(exc))
        return redirect("dashboard:scenario_edit", slug=scenario.slug)
    return redirect(run)


@require_POST
@editor_required
def scenario_run_now(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue one manual run per location for the agents; back to the scenario page."""
    scenario = get_object_or_404(Scenario, slug=slug)
    runs = run_now(scenario)
    if runs:
        messages.success(request, f"{len(runs)} run(s) queued for the agents.")
    else:
        messages.error(request, "This scenario has no locations to run from.")
    return redirect(scenario)


@require_POST
@editor_required
def scenario_pause(request: HttpRequest, slug: str) -> HttpResponse:
    """``action=pause`` stops scheduling; ``action=resume`` schedules it again from now."""
    scenario = get_object_or_404(Scenario, slug=slug)
    if request.POST.get("action") == "resume":
        scenario.paused = False
        scenario.next_due_at = None  # save() makes it due now
        messages.success(request, f"Scenario {scenario.name} resumed.")
    else:
        scenario.paused = True
        messages.success(request, f"Scenario {scenario.name} paused.")
    scenario.save()
    return redirect(scenario)
