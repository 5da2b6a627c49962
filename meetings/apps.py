from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Lịch họp")

    def ready(self) -> None:
        from meetings import audit, models

        audit.connect([models.Unit, models.Membership, models.Room, models.CalendarDay, models.Equipment])
        from meetings.web import remind  # the meeting page's "remind those who have not answered"

        remind.register()
