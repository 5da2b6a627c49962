from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tài khoản"

    def ready(self) -> None:
        from accounts import signals  # security events → audit trail

        signals.connect_user_roles()
        from accounts import (
            schema,  # noqa: F401  (registers the OpenAPI token scheme)
            token_signals,  # noqa: F401 - forgets cached API tokens on change
        )
