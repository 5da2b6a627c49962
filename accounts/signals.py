"""Security events into the audit trail: logins, failures, MFA changes, password changes."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set, user_logged_in
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from django.contrib.auth.signals import user_logged_out, user_login_failed
from django.dispatch import receiver

from meetings import audit


@receiver(user_logged_in, dispatch_uid="quorum-audit-login")
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with audit.acting_as(user):
        audit.security("auth.login", user, request)


@receiver(user_logged_out, dispatch_uid="quorum-audit-logout")
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        with audit.acting_as(user):
            audit.security("auth.logout", user, request)


@receiver(user_login_failed, dispatch_uid="quorum-audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    from accounts.models import User

    email = str(credentials.get("email") or credentials.get("username") or "")[:254]
    user = User.objects.filter(email__iexact=email).first() if email else None
    audit.security("auth.login_failed", user, request, email=email)


@receiver(authentication_failed, dispatch_uid="quorum-audit-mfa-failed")
def _mfa_failed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.security("mfa.failed", user, request)


@receiver(authenticator_added, dispatch_uid="quorum-audit-mfa-added")
def _mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit.security("mfa.added", user, request, type=authenticator.type)


@receiver(authenticator_removed, dispatch_uid="quorum-audit-mfa-removed")
def _mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit.security("mfa.removed", user, request, type=authenticator.type)


@receiver(authenticator_reset, dispatch_uid="quorum-audit-mfa-reset")
def _mfa_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    audit.security("mfa.reset", user, request, type=authenticator.type)


@receiver(password_changed, dispatch_uid="quorum-audit-password-changed")
@receiver(password_set, dispatch_uid="quorum-audit-password-set")
@receiver(password_reset, dispatch_uid="quorum-audit-password-reset")
def _password(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.security("auth.password_changed", user, request)


_ROLE_FIELDS = ("is_active", "is_staff", "is_superuser")


def _role_snapshot(sender: Any, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw") or instance.pk is None:
        instance._role_before = None
        return
    instance._role_before = sender.objects.filter(pk=instance.pk).values(*_ROLE_FIELDS).first()


def _role_changed(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_role_before", None)
    after = {f: getattr(instance, f) for f in _ROLE_FIELDS}
    if kwargs.get("raw") or created or before is None or before == after:
        return
    audit.record(audit.current_actor(), "user.roles_changed", instance, before, after)


def connect_user_roles() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save, pre_save

    user_model = get_user_model()
    pre_save.connect(_role_snapshot, sender=user_model, dispatch_uid="quorum-audit-user-roles-pre")
    post_save.connect(_role_changed, sender=user_model, dispatch_uid="quorum-audit-user-roles-post")
