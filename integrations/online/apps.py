from django.apps import AppConfig


class OnlineConfig(AppConfig):
    """Online rooms of meetings: provider interface, per-occurrence state, join links."""

    name = "integrations.online"
    label = "online"
    verbose_name = "Phòng họp trực tuyến"

    def ready(self) -> None:
        from integrations.online import lifecycle, validators

        validators.register()
        lifecycle.register()
