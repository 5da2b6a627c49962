from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.validators import validate_single_line


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A civil servant. Logs in with e-mail; belongs to units through Membership."""

    class Language(models.TextChoices):
        VI = "vi", "Tiếng Việt"
        EN = "en", "English"

    email = models.EmailField(_("e-mail"), unique=True)
    full_name = models.CharField(_("họ và tên"), max_length=200, validators=[validate_single_line])
    title = models.CharField(_("chức vụ"), max_length=200, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=40, blank=True)
    language = models.CharField(
        _("ngôn ngữ"), max_length=5, choices=Language.choices, default=Language.VI
    )
    is_active = models.BooleanField(_("đang hoạt động"), default=True)
    is_staff = models.BooleanField(_("quản trị hệ thống"), default=False)
    date_joined = models.DateTimeField(_("ngày tham gia"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        # Vietnamese names do not shorten to their last word ("Quản trị hệ thống" is not
        # "Thống"): greetings such as the admin's use the full name.
        return self.full_name or self.email


TOKEN_PREFIX = "qrm"  # noqa: S105 - a public prefix, not a secret


def _hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the token is shown once.

    Format: ``qrm_<key>_<secret>``; ``key`` is a public lookup id so that verifying a
    token is one indexed query plus a constant-time compare.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("chủ sở hữu"))
    name = models.CharField(_("tên"), max_length=100, blank=True)
    key = models.CharField(_("mã nhận diện"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(_("băm bí mật"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)
    last_used_at = models.DateTimeField(_("dùng lần cuối"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("mã truy cập API")
        verbose_name_plural = _("mã truy cập API")

    def __str__(self) -> str:
        return f"{TOKEN_PREFIX}_{self.key}_… ({self.user})"

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """Create a token and return it with the plaintext, which is never stored."""
        key = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key=key, secret_hash=_hash_secret(secret))
        return token, f"{TOKEN_PREFIX}_{key}_{secret}"

    def matches(self, secret: str) -> bool:
        return secrets.compare_digest(self.secret_hash, _hash_secret(secret))

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])
