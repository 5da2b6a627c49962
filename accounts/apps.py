from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Tài khoản")

    def ready(self) -> None:
        from accounts import signals  # security events → audit trail

        signals.connect_user_roles()
        from config.admin_labels import relabel

        relabel()  # Vietnamese labels for allauth's models in the admin
        from accounts import (
            schema,  # noqa: F401  (registers the OpenAPI token scheme)
            token_signals,  # noqa: F401 - forgets cached API tokens on change
        )
