from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    """Online-room providers and calendar delivery; one folder per provider."""

    name = "integrations"
    verbose_name = _("Tích hợp")
