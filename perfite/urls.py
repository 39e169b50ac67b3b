"""URL map: dashboard at /, admin at /admin/, REST API at /api/, ingest for agents."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("scenarios.urls")),
    path("", include("dashboard.urls")),
]

handler400 = "scenarios.api.errors.bad_request"
handler404 = "scenarios.api.errors.page_not_found"
