from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    """iTIP/iMIP invitations, answers, delegation, reminders and ICS feeds."""

    name = "integrations.calendar"
    label = "invitations"
    verbose_name = _("Giấy mời lịch họp")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        from integrations.calendar import delivery, feeds
        from meetings import outbox
        from meetings.models import Room, Unit

        outbox.subscribe(delivery.TOPIC, delivery.handle, wants=delivery.wants)
        # Feed fragments show room, unit and chair names, which change without the meeting.
        post_save.connect(feeds.on_room_saved, sender=Room, dispatch_uid="invitations-room-names")
        post_save.connect(feeds.on_unit_saved, sender=Unit, dispatch_uid="invitations-unit-names")
        post_save.connect(feeds.on_user_saved, sender=get_user_model(), dispatch_uid="invitations-user-names")
