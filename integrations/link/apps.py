from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinkConfig(AppConfig):
    """A link and dial-in typed by the secretary (Viettel VC or any system without an API)."""

    name = "integrations.link"
    label = "link"
    verbose_name = _("Đường link / hệ thống truyền hình")

    def ready(self) -> None:
        from integrations.link.provider import LinkProvider
        from integrations.online import registry

        registry.register(LinkProvider())
