from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the current MFA code of the demo's privileged accounts (make run)."

    def handle(self, *args: Any, **options: Any) -> None:
        from accounts.demo import current_code

        self.stdout.write(current_code())
