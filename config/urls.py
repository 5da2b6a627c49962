from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config import health, metrics
from meetings import views as meeting_views
from minutes import views_index as minutes_views

# The admin speaks the site's language (Django's default says "Django administration").
admin.site.site_header = _("Quản trị Quorum")
admin.site.site_title = _("Quản trị Quorum")
admin.site.index_title = _("Quản lý đơn vị, phòng họp và người dùng")

# One way in (D1): the admin's login page sends to allauth's (rate limits, lockout, MFA).
admin.site.login = secure_admin_login(admin.site.login)

handler500 = "config.middleware.server_error"  # a database outage answers 503, not 500

urlpatterns = [
    path("", meeting_views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # The browser scripts' texts (djangojs catalogue) in the user's language; a same-origin
    # <script src> (the CSP allows no inline script). ?l=<language> in the address keeps a cached
    # copy of one language from serving the other.
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["minutes"]), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("profile/", include("accounts.urls")),
    path("", include("integrations.calendar.urls")),  # answer links, /feeds/, invitation API
    path("api/v1/", include("meetings.api.urls")),
    path("api/v1/", include("archive.urls_api")),  # archive search (?q=)
    path("api/v1/", include("integrations.online.api")),  # online room state of a meeting
    path("api/v1/", include("minutes.api")),  # attendance of a sitting (JSON, CSV)
    path("", include("integrations.online.urls")),  # /j/<token> join links, start as host
    path("integrations/zoom/", include("integrations.zoom.urls")),  # signed Zoom webhooks
    path("me/", include("meetings.urls_mine")),  # My meetings: answers, join, delegation, calendar feed
    path("minutes/", minutes_views.index, name="minutes_index"),  # the minutes a user may open
    path("minutes/", include("minutes.urls")),
    path("meetings/", include("meetings.web.urls")),  # composer, meeting page, lists (secretaries)
    path("", include("archive.urls")),  # archive/, dashboard/, actions/, minutes/<id>/signoff/
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),  # no inline script
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema", template_name="workspace/redoc.html"), name="api-redoc"),
    path("", include("workspace.urls")),  # calendar/, rooms/, rooms/requests/
]

handler404 = "meetings.api.errors.not_found"  # JSON under /api/, the usual page elsewhere
