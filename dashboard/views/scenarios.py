"""The scenario list (first page) and a scenario's trends."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import urlencode

from core.browsers import LABELS
from core.metrics import label_of, metric
from scenarios.models import Location, Scenario
from scenarios.roles import can_edit, viewer_required

from .. import buckets, conditions, named_series, overview, series


@viewer_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    """Every scenario with its state, last run, key metrics, sparkline and open alerts.

    Query string: ``q`` (name, slug or URL contains), ``location`` (name), ``state``
    (active, paused or failing), ``spark`` (the sparkline's metric).
    """
    params = request.GET.dict()
    spark = params.get("spark", overview.DEFAULT_SPARK)
    if spark not in overview.SPARK_METRICS:
        spark = overview.DEFAULT_SPARK
    rows = overview.scenario_rows(overview.filter_scenarios(params), spark)
    state = params.get("state", "")
    if state in overview.STATES:
        rows = [row for row in rows if row.state == state]
    return render(
        request,
        "dashboard/scenario_list.html",
        {
            "rows": rows,
            "params": params,
            "spark": spark,
            "spark_label": label_of(spark),
            "spark_choices": overview.KEY_METRICS,
            "states": overview.STATES,
            "locations": Location.objects.values_list("name", flat=True),
            "can_edit": can_edit(request.user),
        },
    )


@viewer_required
def scenario_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """Trends per metric and location over a range, party split, per-host/entity tables.

    ``?range=24h|7d|30d|1y``; ``&browser=<name>`` and ``&profile=<name>`` chart the runs
    measured in that browser and under that connection and CPU profile (default: the
    scenario's; never several at once: scenarios.conditions); ``&chart=<named metric>``
    (repeated) adds a chart per named metric or measured step's duration, picked among those
    the latest runs carry (dashboard.named_series; without any, each step's duration);
    ``&fragment=tables`` returns only the host/entity tables.
    """
    scenario = get_object_or_404(Scenario, slug=slug)
    window = buckets.Window.named(request.GET.get("range", buckets.DEFAULT_RANGE))
    measured = conditions.chosen(scenario, request.GET)
    hosts = series.host_buckets(scenario, window, measured)
    host_rows, entity_rows = series.host_tables(window, hosts)
    if request.GET.get("fragment") == "tables":
        # The range switcher swaps the tables in place (charts come from series.json).
        return render(
            request,
            "dashboard/_scenario_tables.html",
            {
                "window": window,
                "hosts": host_rows,
                "entities": entity_rows,
            },
        )
    seen = named_series.seen_names(scenario, measured)
    asked = request.GET.getlist("chart")
    chosen = named_series.chosen_names(asked) if asked else named_series.default_names(seen)
    runs = scenario.runs.select_related("location").only(
        "id",
        "status",
        "kind",
        "created_at",
        "location__name",
        "profile",
        "browser",
        *(m.name for m in overview.KEY_METRICS),
        "error",
        "branch",
        "scenario_id",
    )[:20]
    return render(
        request,
        "dashboard/scenario_detail.html",
        {
            "scenario": scenario,
            "window": window,
            "ranges": list(buckets.RANGES),
            "chart_data": series.scenario_series(scenario, window, hosts, chosen, measured),
            "chart_metrics": series.CHART_METRICS,
            "named_charts": [metric(name) for name in chosen],
            "chart_choices": named_series.choices(seen, chosen),
            "chart_query": urlencode([("chart", name) for name in chosen]),
            "measured": measured,
            "measured_browser": LABELS.get(measured.browser, measured.browser),
            "browsers": [
                (name, LABELS.get(name, name))
                for name in conditions.offered_browsers(scenario, measured)
            ],
            "profiles": conditions.offered_profiles(scenario, measured),
            "hosts": host_rows,
            "entities": entity_rows,
            "run_metrics": overview.KEY_METRICS,
            "runs": [
                (run, [(m.name, getattr(run, m.name)) for m in overview.KEY_METRICS])
                for run in runs
            ],
            "locations": scenario.locations.all(),
            "can_edit": can_edit(request.user),
        },
    )


@viewer_required
def scenario_series(request: HttpRequest, slug: str) -> JsonResponse:
    """Chart data for ``?range=24h|7d|30d|1y``, the runs of ``&browser=`` and ``&profile=``
    (default: the scenario's) and the named metrics of ``&chart=`` (see
    series.scenario_series for the shape)."""
    scenario = get_object_or_404(Scenario, slug=slug)
    window = buckets.Window.named(request.GET.get("range", buckets.DEFAULT_RANGE))
    chosen = named_series.chosen_names(request.GET.getlist("chart"))
    measured = conditions.chosen(scenario, request.GET)
    return JsonResponse(series.scenario_series(scenario, window, named=chosen, conditions=measured))
