from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from meetings import views as meeting_views

# One way in (D1): the admin's login page sends to allauth's (rate limits, lockout, MFA).
admin.site.login = secure_admin_login(admin.site.login)

# Swagger UI loads its bundle from jsDelivr (drf-spectacular's default); its init script is
# served as a file (split view), so only that origin is added, on that page only.
_SWAGGER_CSP = {
    "default-src": [CSP.SELF], "script-src": [CSP.SELF, "https://cdn.jsdelivr.net"],
    "style-src": [CSP.SELF, "https://cdn.jsdelivr.net", CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https://cdn.jsdelivr.net"], "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE], "base-uri": [CSP.NONE], "frame-ancestors": [CSP.NONE],
}

urlpatterns = [
    path("", meeting_views.home, name="home"),
    path("healthz", meeting_views.healthz, name="healthz"),
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
    path("api/docs/", csp_override(_SWAGGER_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
]

handler404 = "meetings.api.errors.not_found"  # JSON under /api/, the usual page elsewhere
