from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The secretary's calendar, the department's rooms and the room admin's queue."""

    name = "workspace"
    verbose_name = _("Lịch và duyệt phòng")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from meetings import outbox
        from meetings.context_processors import BADGES
        from workspace import notify, queue

        BADGES["room_queue"] = queue.waiting_count
        outbox.subscribe(notify.DECISION_TOPIC, notify.handle_decision, wants=notify.wants_decision)
