from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnlineConfig(AppConfig):
    """Online rooms of meetings: provider interface, per-occurrence state, join links."""

    name = "integrations.online"
    label = "online"
    verbose_name = _("Phòng họp trực tuyến")

    def ready(self) -> None:
        from integrations.online import lifecycle, validators

        validators.register()
        lifecycle.register()
