from django.apps import AppConfig


class ZoomConfig(AppConfig):
    """Zoom through zoomus: S2S OAuth, host-licence pool, signed webhooks."""

    name = "integrations.zoom"
    label = "zoom"
    verbose_name = "Zoom"

    def ready(self) -> None:
        from integrations.online import registry
        from integrations.zoom.provider import ZoomProvider

        registry.register(ZoomProvider())
