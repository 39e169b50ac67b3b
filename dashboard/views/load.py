"""Load tests in the dashboard: a scenario's load tests and the form that starts one (with its
guard rails shown), a load test's live progress and report, its cancel button."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.metrics import label_of
from scenarios.load import stages
from scenarios.load.report import comparison, current_report
from scenarios.load.start import LoadRefused, create_load_test
from scenarios.models import LoadTest, Scenario
from scenarios.roles import can_edit, editor_required, viewer_required

from ..load import chart_data, metric_rows, stage_rows
from ..load_form import METRIC_CHOICES, LoadTestForm, rails


@viewer_required
def load_tests(request: HttpRequest, slug: str) -> HttpResponse:
    """The scenario's load tests, newest first, and (for editors) the form that starts one;
    a valid POST starts it and opens its page, a refusal says why on the form."""
    scenario = get_object_or_404(Scenario, slug=slug)
    editor = can_edit(request.user)
    if request.method == "POST" and not editor:
        raise PermissionDenied("your role does not allow this")
    form = LoadTestForm(request.POST or None, scenario=scenario)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                test = create_load_test(
                    scenario, data["plan"], location=data["location"], user=request.user
                )
            except LoadRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"Load test {test.pk} started.")
                return redirect(test)
        status = 400
    return render(
        request,
        "dashboard/load_tests.html",
        {
            "scenario": scenario,
            "tests": scenario.load_tests.select_related("location")[:50],
            "form": form if editor else None,
            "rails": rails(scenario) if editor else [],
            "metric_choices": METRIC_CHOICES,
        },
        status=status,
    )


def _context(test: LoadTest) -> dict[str, Any]:
    report = current_report(test)
    compared = comparison(test, report) if test.status == LoadTest.DONE else None
    return {
        "test": test,
        "report": report,
        "rows": metric_rows(report, test.metric),
        "stages": stage_rows(report, test.metric, test.statistic),
        "users_now": test.stages[test.stage] if test.stage >= 0 else 0,
        "metric_label": label_of(test.metric),
        "compared": compared,
        "chart": chart_data(test, report, compared),
        "progress": test.shares.filter(stage=test.stage) if test.stage >= 0 else [],
    }


@viewer_required
def load_test(request: HttpRequest, pk: int) -> HttpResponse:
    """A load test: its plan, its progress while it runs (``?fragment=stages`` gives only the
    part the page refreshes), its report per stage, the degradation curve and the earlier
    load test of the scenario beside it."""
    get_object_or_404(LoadTest, pk=pk)
    test = stages.advance(pk)
    context = {**_context(test), "can_edit": can_edit(request.user)}
    if request.GET.get("fragment") == "stages":
        return render(request, "dashboard/_load_stages.html", context)
    return render(request, "dashboard/load_test.html", context)


@viewer_required
def load_test_chart(request: HttpRequest, pk: int) -> JsonResponse:
    """The degradation curve's data (dashboard.load.chart_data), for the page's refresh."""
    get_object_or_404(LoadTest, pk=pk)
    return JsonResponse(_context(stages.advance(pk))["chart"])


@require_POST
@editor_required
def load_test_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the load test: its users stop within seconds. Back to its page."""
    test = get_object_or_404(LoadTest, pk=pk)
    who = request.user.get_username()
    test = stages.cancel(test.pk, f"cancelled by {who} in the dashboard")
    messages.success(request, f"Load test {test.pk} {test.status}.")
    return redirect(test)
