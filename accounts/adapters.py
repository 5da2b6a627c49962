from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext


class InviteOnlyAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators; nobody signs up on their own.

    allauth ships no Vietnamese translation, so the messages users meet most are here.
    """

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": "E-mail hoặc mật khẩu không đúng.",
        "account_inactive": "Tài khoản này đã bị khóa.",
        "too_many_login_attempts": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def validation_error(self, code: str, *args: Any) -> Any:
        # allauth raises this error when a rate limit locks an account or address out:
        # the lockout goes into the audit trail (issue 12).
        if code == "too_many_login_attempts":
            from allauth.core import context

            from meetings import audit

            request = context.request
            email = ""
            if request is not None and request.method == "POST":
                email = str(request.POST.get("login", ""))[:254]
            audit.security("auth.lockout", None, request, email=email, path=getattr(request, "path", ""))
        return super().validation_error(code, *args)


class ExistingUsersOnlySocialAdapter(DefaultSocialAccountAdapter):
    """Single sign-on logs existing users in (matched by the IdP's verified e-mail) and
    never creates accounts: people are invited by their unit admin."""

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False


class QuorumMFAAdapter(DefaultMFAAdapter):
    def can_delete_authenticator(self, authenticator: Any) -> bool:
        # Those who must use MFA cannot switch it off (they may replace it by re-enrolling
        # through an administrator).
        from accounts.security import is_privileged

        if settings.QUORUM_MFA_REQUIRED and is_privileged(authenticator.user):
            # ... unless another authenticator app or passkey stays.
            from allauth.mfa.models import Authenticator

            from accounts.security import ENROLMENT_TYPES

            others = Authenticator.objects.filter(user=authenticator.user, type__in=ENROLMENT_TYPES).exclude(
                pk=authenticator.pk)
            if authenticator.type not in ENROLMENT_TYPES or not others.exists():
                return False
        return super().can_delete_authenticator(authenticator)

    def generate_authenticator_name(self, user: Any, type: Any) -> str:
        from allauth.mfa.models import Authenticator

        if type == Authenticator.Type.WEBAUTHN:
            n = Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).count() + 1
            return gettext("Khóa truy cập %(n)s") % {"n": n}
        return super().generate_authenticator_name(user, type)
