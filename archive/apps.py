from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    """Sign-off workflow records, the NĐ 30/2020 document, signatures, the leadership archive."""

    name = "archive"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Lưu trữ biên bản"

    def ready(self) -> None:
        from archive import dashcache

        dashcache.connect()
