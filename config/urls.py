from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, metrics
from meetings import views as meeting_views

handler500 = "config.middleware.server_error"  # a database outage answers 503, not 500

urlpatterns = [
    path("", meeting_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("", include("integrations.calendar.urls")),  # answer links, /feeds/, invitation API
    path("api/v1/", include("meetings.api.urls")),
    path("api/v1/", include("integrations.online.api")),  # online room state of a meeting
    path("", include("integrations.online.urls")),  # /j/<token> join links, start as host
    path("integrations/zoom/", include("integrations.zoom.urls")),  # signed Zoom webhooks
    path("minutes/", include("minutes.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
