"""Who must use MFA, shorter sessions for privileged roles, and the middlewares enforcing both.

Privileged = may decide or administer: superusers, department leaders, unit leaders,
secretaries and unit admins (issue 12). Members (attendees) may opt in to MFA.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from meetings.models import Membership

PRIVILEGED_ROLES = (
    Membership.Role.LEADER, Membership.Role.SECRETARY, Membership.Role.UNIT_ADMIN,
)


def is_privileged(user: Any) -> bool:
    """True for the roles that must use MFA and get shorter sessions."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    from meetings.permissions import memberships

    return any(role in PRIVILEGED_ROLES for _u, role, _p in memberships(user))


# What counts as enrolled: an authenticator app or a passkey / security key (recovery codes
# alone do not: they are the fallback of one of these).
ENROLMENT_TYPES = ("totp", "webauthn")


def has_mfa(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type__in=ENROLMENT_TYPES).exists()


# Paths a privileged user without MFA may still open: enrolment itself, logout, static.
_OPEN_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/accounts/reauthenticate/",
                  "/accounts/password/", "/static/", "/healthz", "/i18n/", "/jsi18n/")


class MFARequiredMiddleware:
    """Sends privileged users to TOTP enrolment until they have enrolled (D4).

    HTML pages redirect to /accounts/2fa/totp/activate/; API and JSON calls made with the
    session get 403 with the reason. Bearer-token API calls are not session logins: the
    token was issued from a session that passed this check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.QUORUM_MFA_REQUIRED and self._must_enrol(request):
            if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
                return JsonResponse({"error": "mfa_required", "message": _(
                    "Tài khoản của bạn phải bật xác thực hai lớp trước khi dùng hệ thống: "
                    "mở /accounts/2fa/totp/activate/ (ứng dụng xác thực) hoặc /accounts/2fa/webauthn/add/ "
                    "(khóa truy cập) để cài đặt.")}, status=403)
            url = reverse("mfa_activate_totp") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(url)
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_OPEN_PREFIXES):
            return False
        if request.headers.get("Authorization", "").startswith("Bearer "):
            return False
        if not is_privileged(user):
            return False
        session = getattr(request, "session", None)
        if session is not None and session.get("quorum_mfa_ok") == user.pk:
            return False  # enrolled: remembered for the session (privileged users cannot unenrol)
        if has_mfa(user):
            if session is not None:
                session["quorum_mfa_ok"] = user.pk
            return False
        return True


class PrivilegedSessionMiddleware:
    """Privileged users' sessions end QUORUM_PRIVILEGED_SESSION_AGE after they start (2 h)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        # Decided once per session (no write on every request): a privileged user's session
        # lasts QUORUM_PRIVILEGED_SESSION_AGE from its first request. Nothing is stored for
        # others: their check reuses the memberships the view loads anyway.
        if (
            user is not None and user.is_authenticated and hasattr(request, "session")
            and not request.session.get("quorum_privileged") and is_privileged(user)
        ):
            request.session["quorum_privileged"] = True
            request.session.set_expiry(settings.QUORUM_PRIVILEGED_SESSION_AGE)
        return self.get_response(request)


class RejectNulMiddleware:
    """400 for a NUL character in the path or query string: PostgreSQL cannot store or
    compare text containing NUL, so such a value would otherwise end in a 500."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from urllib.parse import unquote

        if "\x00" in request.path or "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return JsonResponse({"error": "invalid", "message": _(
                "Địa chỉ chứa ký tự NUL không hợp lệ.")}, status=400)
        return self.get_response(request)
