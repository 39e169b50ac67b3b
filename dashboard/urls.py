"""Dashboard routes (server-rendered pages, plus JSON for charts and run polling)."""

from django.urls import path

from . import views

app_name = "dashboard"

urlpatterns = [
    path("", views.scenario_list, name="scenario_list"),
    path("scenarios/new/", views.scenario_create, name="scenario_create"),
    path("scenarios/<slug:slug>/", views.scenario_detail, name="scenario"),
    path("scenarios/<slug:slug>/series.json", views.scenario_series, name="scenario_series"),
    path("scenarios/<slug:slug>/edit/", views.scenario_edit, name="scenario_edit"),
    path("scenarios/<slug:slug>/try/", views.scenario_try, name="scenario_try"),
    path("scenarios/<slug:slug>/run-now/", views.scenario_run_now, name="scenario_run_now"),
    path("scenarios/<slug:slug>/pause/", views.scenario_pause, name="scenario_pause"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/status.json", views.run_status, name="run_status"),
    path("runs/<int:pk>/har/", views.run_har, name="run_har"),
    path("runs/<int:pk>/screenshot/", views.run_screenshot, name="run_screenshot"),
    path(
        "runs/<int:pk>/filmstrip/<int:index>.jpg",
        views.run_filmstrip_frame,
        name="run_filmstrip_frame",
    ),
    path("scenarios/<slug:slug>/load/", views.load_tests, name="load_tests"),
    path("load/<int:pk>/", views.load_test, name="load_test"),
    path("load/<int:pk>/chart.json", views.load_test_chart, name="load_test_chart"),
    path("load/<int:pk>/cancel/", views.load_test_cancel, name="load_test_cancel"),
    path("compare/", views.compare, name="compare"),
    path("comparisons/<int:pk>/cancel/", views.comparison_cancel, name="comparison_cancel"),
    path("account/tokens/", views.tokens, name="tokens"),
]
