from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    """iTIP/iMIP invitations, answers, delegation, reminders and ICS feeds."""

    name = "integrations.calendar"
    label = "invitations"
    verbose_name = "Giấy mời lịch họp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from integrations.calendar import delivery
        from meetings import outbox

        outbox.subscribe(delivery.TOPIC, delivery.handle, wants=delivery.wants)
