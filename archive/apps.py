from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArchiveConfig(AppConfig):
    """Sign-off workflow records, the NĐ 30/2020 document, signatures, the leadership archive."""

    name = "archive"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = _("Lưu trữ biên bản")
