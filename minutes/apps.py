from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MinutesConfig(AppConfig):
    """Structured minutes per occurrence, written live by several people (Yjs/pycrdt)."""

    name = "minutes"
    verbose_name = _("Biên bản họp")

    def ready(self) -> None:
        from django.apps import apps

        from minutes import revocation

        revocation.connect()

        if apps.is_installed("integrations.online"):
            # The roll call follows the online room for the whole sitting (minutes.rollcall).
            from integrations.online.attendance import attendance_changed
            from minutes import rollcall

            attendance_changed.connect(rollcall.on_online_attendance, dispatch_uid="minutes-rollcall")
