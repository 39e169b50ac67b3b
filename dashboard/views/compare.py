"""The compare page: two runs or two sets of runs side by side."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from scenarios.ci import workflow
from scenarios.conditions import Conditions
from scenarios.models import Comparison
from scenarios.roles import can_edit, editor_required, viewer_required

from .. import filmstrip
from ..compare import CompareError, host_deltas, host_totals, load_sets, metric_deltas
from ..waterfall import build_waterfall
from .runs import interval_links


@viewer_required
def compare(request: HttpRequest) -> HttpResponse:
    """``?base=1,2,3&branch=4,5,6`` or ``?comparison=<id>``: metric deltas (medians), per-host
    deltas, and the filmstrip (``?filmstrip=`` interval) and waterfall of each side's
    median-load run. Without sets: the form only."""
    # Repeated parameters (checkboxes: ?base=1&base=2) count like comma lists.
    params = {key: ",".join(request.GET.getlist(key)) for key in request.GET}
    context: dict[str, object] = {"params": params}
    if params.get("comparison", "").isdigit():
        context["comparison"] = Comparison.objects.filter(pk=int(params["comparison"])).first()
        context["can_edit"] = can_edit(request.user)
    if params.get("comparison") or params.get("base") or params.get("branch"):
        try:
            base, branch = load_sets(params)
        except CompareError as exc:
            context["error"] = str(exc)
            return render(request, "dashboard/compare.html", context, status=400)
        context.update(
            {
                "sides": [
                    {
                        "side": side,
                        "run": side.representative,
                        "waterfall": build_waterfall(
                            side.representative.result if side.representative else None
                        ),
                        "filmstrip": filmstrip.strip(
                            side.representative.result,
                            filmstrip.interval(request.GET.get("filmstrip")),
                            stored=bool(side.representative.filmstrip),
                        )
                        if side.representative
                        else None,
                    }
                    for side in (base, branch)
                ],
                "metrics": metric_deltas(
                    [r.metrics() for r in base.runs], [r.metrics() for r in branch.runs]
                ),
                "hosts": host_deltas(host_totals(base.runs), host_totals(branch.runs)),
                "measured": next((Conditions.of_run(r) for r in [*base.runs, *branch.runs]), None),
                "filmstrip_intervals": interval_links(request),
            }
        )
    return render(request, "dashboard/compare.html", context)


@require_POST
@editor_required
def comparison_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a running comparison (its queued runs are withdrawn); back to its page."""
    comparison = get_object_or_404(Comparison, pk=pk)
    workflow.cancel(comparison.pk, f"cancelled by {request.user.get_username()} in the dashboard")
    return redirect(f"/compare/?comparison={comparison.pk}")
