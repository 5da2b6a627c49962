from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Tài khoản"

    def ready(self) -> None:
        from accounts import signals  # noqa: F401 - connects the token cache's invalidation
