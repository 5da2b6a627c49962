"""No public sign-up: a unit admin invites a person, who sets a password through a signed
link that expires (QUORUM_INVITATION_MAX_AGE_HOURS) and works once."""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from meetings import audit
from meetings.models import Membership, Unit
from meetings.validators import validate_single_line

SALT = "quorum.accounts.invitation"


def _fingerprint(user: User) -> str:
    # Changes as soon as a password is set: the link works once.
    return hashlib.sha256(user.password.encode()).hexdigest()[:16]


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "p": _fingerprint(user)}, salt=SALT, compress=True)


def user_for_token(token: str) -> User | None:
    """The invited user, or None if the link is forged, expired or already used."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.QUORUM_INVITATION_MAX_AGE_HOURS * 3600)
    except signing.BadSignature:  # SignatureExpired is a BadSignature
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.has_usable_password() or _fingerprint(user) != data.get("p"):
        return None
    return user


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail công vụ"))
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=200, validators=[validate_single_line])
    unit = forms.ModelChoiceField(label=gettext_lazy("Đơn vị"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=gettext_lazy("Vai trò"), choices=Membership.Role.choices, initial=Membership.Role.MEMBER)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("Đã có tài khoản với e-mail này."))
        return email


def invite(actor: User, data: dict[str, Any]) -> User:
    """Create the account (no usable password) and its membership, mail the link."""
    with transaction.atomic(), audit.acting_as(actor):
        user = User.objects.create_user(email=data["email"], password=None, full_name=data["full_name"])
        Membership.objects.create(user=user, unit=data["unit"], role=data["role"])
        audit.security("user.invited", user, None, unit=data["unit"].code, role=data["role"])
        link = settings.SITE_URL + reverse("accept-invitation", args=[make_token(user)])
        hours = settings.QUORUM_INVITATION_MAX_AGE_HOURS
        body = _(
            "Chào %(name)s,\n\n%(actor)s mời bạn dùng Quorum, hệ thống lịch họp của %(unit)s.\n"
            "Đặt mật khẩu cho tài khoản %(email)s tại đường link sau (hết hạn sau %(hours)s giờ, dùng được một lần):\n\n"
            "%(link)s\n"
        ) % {"name": user.full_name, "actor": actor.full_name, "unit": data["unit"], "email": user.email,
             "hours": hours, "link": link}
        transaction.on_commit(lambda: send_mail(_("[Quorum] Lời mời sử dụng hệ thống lịch họp"), body, None, [user.email]))
    return user
