from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    """Online-room providers and calendar delivery; one folder per provider."""

    name = "integrations"
    verbose_name = "Tích hợp"
