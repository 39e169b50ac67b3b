"""REST API and agent ingest routes."""

from django.urls import include, path

from scenarios.runs import ingest

urlpatterns = [
    path("ingest/runs/<int:run_id>/", ingest.ingest_run, name="ingest-run"),
    path("ingest/runs/<int:run_id>/claim/", ingest.claim, name="ingest-claim"),
    path("ingest/heartbeat/", ingest.heartbeat, name="ingest-heartbeat"),
    path("", include("scenarios.api.urls")),
]
