from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from archive import signing
from archive.models import IssuedDocument, SigningCertificate


class CertificateForm(forms.ModelForm):
    """Upload a PKCS#12 bundle: checked with the password, which is never stored."""

    bundle = forms.FileField(label=_("Tệp PKCS#12 (.p12/.pfx)"), required=False)
    password = forms.CharField(label=_("Mật khẩu (chỉ để kiểm tra, không lưu)"), required=False,
                               widget=forms.PasswordInput, strip=False)

    class Meta:
        model = SigningCertificate
        fields = ["label", "user", "unit", "password_env", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("bundle")
        if upload is None and not self.instance.pk:
            self.add_error("bundle", _("Chọn tệp PKCS#12."))
        if upload is not None:
            raw = upload.read()
            try:
                _key, cert, chain = signing._open(raw, data.get("password") or "", data.get("label") or "")
            except signing.SigningError as exc:
                self.add_error("password", exc.message)
                return data
            self.instance.pkcs12 = raw
            self.instance.subject = signing._common_name(cert)
            self.instance.not_after = cert.not_valid_after_utc
            self.instance.chain_pem = signing.chain_pem(chain)
        if not data.get("user") and not data.get("unit"):
            self.add_error("unit", _("Chứng thư thuộc một người ký hoặc một đơn vị."))
        return data


@admin.register(SigningCertificate)
class SigningCertificateAdmin(admin.ModelAdmin):
    form = CertificateForm
    list_display = ["label", "user", "unit", "subject", "not_after", "is_active"]
    list_filter = ["is_active"]
    readonly_fields = ["subject", "not_after"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(admin.ModelAdmin):
    """Read-only: issued documents change only through the workflow (corrections)."""

    list_display = ["code", "title", "unit", "meeting_date", "issued_at", "on_time", "is_current"]
    list_filter = ["is_current", "on_time", "sensitivity"]
    search_fields = ["code", "title"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False
