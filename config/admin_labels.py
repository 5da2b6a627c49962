"""Vietnamese labels for the third-party models shown in the admin.

django-allauth's MFA and user-session models name their fields without gettext, so the admin
would show "user", "type", "created at" whatever the language. Only the runtime label is set
here: the fields' deconstructed `verbose_name` (what migrations compare) is left untouched, so
no migration of the third-party apps is ever asked for. Called from AccountsConfig.ready().
"""

from __future__ import annotations

from django.apps import apps
from django.utils.translation import gettext_lazy as _

MODELS = {
    "mfa.Authenticator": (_("phương thức xác thực"), _("phương thức xác thực")),
    "usersessions.UserSession": (_("phiên đăng nhập"), _("phiên đăng nhập")),
    "socialaccount.SocialApp": (_("ứng dụng đăng nhập ngoài"), _("ứng dụng đăng nhập ngoài")),
    "socialaccount.SocialToken": (_("mã truy cập đăng nhập ngoài"), _("mã truy cập đăng nhập ngoài")),
    "socialaccount.SocialAccount": (_("tài khoản đăng nhập ngoài"), _("tài khoản đăng nhập ngoài")),
}

FIELDS = {
    "mfa.Authenticator": {
        "user": _("người dùng"), "type": _("loại"), "data": _("dữ liệu"),
        "created_at": _("tạo lúc"), "last_used_at": _("dùng lần cuối"),
    },
    "usersessions.UserSession": {
        "user": _("người dùng"), "created_at": _("tạo lúc"), "ip": _("địa chỉ IP"),
        "last_seen_at": _("hoạt động lần cuối"), "session_key": _("mã phiên"),
        "user_agent": _("trình duyệt"), "data": _("dữ liệu"),
    },
    "socialaccount.SocialApp": {
        "provider": _("nhà cung cấp"), "provider_id": _("mã nhà cung cấp"), "name": _("tên"),
        "client_id": _("mã ứng dụng (client id)"), "secret": _("khóa bí mật"), "key": _("khóa"),
        "settings": _("cài đặt"),
    },
    "socialaccount.SocialToken": {
        "app": _("ứng dụng"), "account": _("tài khoản"), "token": _("mã truy cập"),
        "token_secret": _("bí mật của mã truy cập"), "expires_at": _("hết hạn lúc"),
    },
    "socialaccount.SocialAccount": {
        "user": _("người dùng"), "provider": _("nhà cung cấp"), "uid": _("mã tài khoản ở nhà cung cấp"),
        "last_login": _("đăng nhập lần cuối"), "date_joined": _("ngày tham gia"),
        "extra_data": _("dữ liệu thêm"),
    },
}


def relabel() -> None:
    """Set the Vietnamese labels on the installed third-party models (missing apps are skipped)."""
    for label, (singular, plural) in MODELS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        model._meta.verbose_name = singular
        model._meta.verbose_name_plural = plural
        for name, text in FIELDS.get(label, {}).items():
            try:
                model._meta.get_field(name).verbose_name = text
            except Exception:  # noqa: S112 - a field renamed by a newer allauth keeps its own label
                continue
