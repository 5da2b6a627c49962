from django.apps import AppConfig


class MinutesConfig(AppConfig):
    """Structured minutes per occurrence, written live by several people (Yjs/pycrdt)."""

    name = "minutes"
    verbose_name = "Biên bản họp"

    def ready(self) -> None:
        from minutes import revocation

        revocation.connect()
