from django.apps import AppConfig


class JitsiConfig(AppConfig):
    """Jitsi Meet: no credentials, an unguessable room, optional JWT."""

    name = "integrations.jitsi"
    label = "jitsi"
    verbose_name = "Jitsi Meet"

    def ready(self) -> None:
        from integrations.jitsi.provider import JitsiProvider
        from integrations.online import registry

        registry.register(JitsiProvider())
