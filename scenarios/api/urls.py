"""API routes, mounted under /api/ by scenarios/urls.py."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from scenarios.api import alerts as api_alerts
from scenarios.api import load as api_load
from scenarios.api import views

router = DefaultRouter()
router.register("scenarios", views.ScenarioViewSet, basename="api-scenario")
router.register("runs", views.RunViewSet, basename="api-run")
router.register("comparisons", views.ComparisonViewSet, basename="api-comparison")
router.register("releases", views.ReleaseViewSet, basename="api-release")
router.register("load-tests", api_load.LoadTestViewSet, basename="api-load-test")

urlpatterns = [
    path("imports/", views.ImportView.as_view(), name="api-import"),
    path("incidents/", api_alerts.incidents, name="api-incidents"),
    path("incidents/<int:pk>/", api_alerts.incident_detail, name="api-incident"),
    path("thresholds/", api_alerts.thresholds, name="api-thresholds"),
    path(
        "scenarios/<slug:slug>/correlation/",
        api_alerts.scenario_correlation,
        name="api-scenario-correlation",
    ),
    path("", include(router.urls)),
]
