"""REST API and agent ingest routes."""

from django.urls import include, path

from scenarios.load import ingest as load_ingest
from scenarios.runs import ingest

urlpatterns = [
    path("ingest/runs/<int:run_id>/", ingest.ingest_run, name="ingest-run"),
    path("ingest/runs/<int:run_id>/claim/", ingest.claim, name="ingest-claim"),
    path("ingest/heartbeat/", ingest.heartbeat, name="ingest-heartbeat"),
    path("ingest/load/shares/<int:share_id>/claim/", load_ingest.claim, name="ingest-load-claim"),
    path(
        "ingest/load/shares/<int:share_id>/report/",
        load_ingest.report,
        name="ingest-load-report",
    ),
    path("", include("scenarios.api.urls")),
]
