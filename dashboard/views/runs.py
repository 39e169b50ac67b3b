"""A run's page (metrics, named metrics, filmstrip, waterfall, host and entity tables), its
status, HAR, screenshot and filmstrip frames."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render

from core.metrics import page_metrics
from core.profiles import ProfileError, from_spec
from core.result import absent
from core.visual.archive import ArchiveError, frame
from scenarios.conditions import Conditions
from scenarios.models import Run
from scenarios.roles import can_edit, viewer_required
from scenarios.runs.actor_har import actor_har_file, actor_names

from .. import filmstrip, named_metrics
from ..waterfall import actor_waterfalls, build_waterfall, totals_table


def measured_under(run: Run) -> str:
    """The run's profile with the numbers its document records (``4g: 9 Mbps down, …``);
    the name alone when the document has none (not measured yet, or imported)."""
    recorded = (run.result or {}).get("profile")
    try:
        return from_spec(recorded).describe() if recorded else run.profile
    except ProfileError:
        return run.profile


@viewer_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One run: status, metrics, named metrics, waterfall, steps, per-host/entity totals.
    Reloads itself while the run is queued or running."""
    run = get_object_or_404(Run.objects.select_related("scenario", "location"), pk=pk)
    result = run.result or {}
    columns = page_metrics(column=True)
    errors = named_metrics.metric_errors(result)
    # a run with actors: a waterfall per actor, and each actor's page metrics (or why not)
    actors = [
        {
            "name": a.name,
            "url": str(a.part.get("url") or ""),
            "waterfall": a.waterfall,
            "values": [
                (
                    m.name,
                    (a.part.get("metrics") or {}).get(m.name),
                    errors.get(f"actor.{a.name}.{m.name}", ""),
                )
                for m in columns
            ],
        }
        for a in actor_waterfalls(result)
    ]
    previous = (
        Run.objects.filter(
            Conditions.of_run(run).runs(),  # a run under other conditions is no comparison
            scenario_id=run.scenario_id,
            location=run.location,
            status=Run.SUCCEEDED,
            created_at__lt=run.created_at,
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    return render(
        request,
        "dashboard/run_detail.html",
        {
            "run": run,
            # a queued run has no document yet: the browser it was queued for
            "browser": str(result.get("browser") or run.browser or ""),
            "browser_version": str(result.get("browser_version") or ""),
            # what the run's browser could not measure (core.result.absent): said, never 0
            "unavailable": absent.in_order(result.get("unavailable") or {}),
            "metrics": [
                {
                    "name": m.name,
                    "label": m.label,
                    "value": getattr(run, m.name),
                    "error": errors.get(m.name, ""),
                }
                for m in columns
            ],
            # an actor's column metrics' errors are shown in its row of the Actors table
            "named": named_metrics.read(
                result,
                [
                    *(m.name for m in columns),
                    *(f"actor.{a['name']}.{m.name}" for a in actors for m in columns),
                ],
            ),
            **strip_context(request, run),
            "waterfall": build_waterfall(result),
            "actors": actors,
            "hosts": totals_table(result, "hosts"),
            "entities": totals_table(result, "entities"),
            "lcp_element": result.get("lcp_element") or "",
            "profile": measured_under(run),
            "previous": previous,
            "can_edit": can_edit(request.user),
        },
    )


@viewer_required
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    """``{"status": …, "finished": bool}`` for pages polling a queued or running run."""
    run = get_object_or_404(Run.objects.only("status"), pk=pk)
    return JsonResponse({"status": run.status, "finished": run.is_finished})


@viewer_required
def run_har(request: HttpRequest, pk: int) -> FileResponse:
    """The run's stored (sanitised) HAR, gzipped, as a download; with ``?actor=``, that
    actor's part of it (a run with actors)."""
    run = get_object_or_404(Run, pk=pk)
    if not run.har:
        raise Http404("this run has no stored HAR")
    actor = request.GET.get("actor")
    if actor is None:
        return FileResponse(
            run.har.open("rb"),
            as_attachment=True,
            filename=f"perfite-run-{run.pk}.har.gz",
            content_type="application/gzip",
        )
    if actor not in actor_names(run.result):
        raise Http404("this run has no such actor")
    with run.har.open("rb") as stored:
        part = actor_har_file(stored, actor)
    return FileResponse(
        part,
        as_attachment=True,
        filename=f"perfite-run-{run.pk}-{actor}.har.gz",
        content_type="application/gzip",
    )


@viewer_required
def run_screenshot(request: HttpRequest, pk: int) -> FileResponse:
    """The viewport as the run ended (JPEG from agents; PNG when imported), shown inline."""
    run = get_object_or_404(Run, pk=pk)
    if not run.screenshot:
        raise Http404("this run has no screenshot")
    kind = "image/png" if (run.screenshot.name or "").endswith(".png") else "image/jpeg"
    response = FileResponse(run.screenshot.open("rb"), content_type=kind)
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def interval_links(request: HttpRequest) -> list[dict[str, object]]:
    """Links to the filmstrip's intervals (``?filmstrip=``; the page's other parameters kept),
    the one shown (dashboard.filmstrip.interval) marked current."""
    chosen = filmstrip.interval(request.GET.get("filmstrip"))
    links: list[dict[str, object]] = []
    for ms in filmstrip.INTERVALS_MS:
        query = request.GET.copy()
        query["filmstrip"] = str(ms)
        links.append({"ms": ms, "query": query.urlencode(), "current": ms == chosen})
    return links


def strip_context(request: HttpRequest, run: Run) -> dict[str, object]:
    """The run's filmstrip at the interval ``?filmstrip=`` asks for, and the interval links."""
    chosen = filmstrip.interval(request.GET.get("filmstrip"))
    return {
        "filmstrip": filmstrip.strip(run.result, chosen, stored=bool(run.filmstrip)),
        "filmstrip_intervals": interval_links(request),
    }


@viewer_required
def run_filmstrip_frame(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """Frame ``index`` of the run's filmstrip (JPEG), shown inline; 404 when the run has no
    stored filmstrip or no such frame."""
    run = get_object_or_404(Run, pk=pk)
    if not run.filmstrip:
        raise Http404("this run has no stored filmstrip")
    try:
        with run.filmstrip.open("rb") as source:
            jpeg = frame(source, index)
    except (ArchiveError, OSError) as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
