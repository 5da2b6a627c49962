from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import ApiToken, User
from meetings import audit


class Command(BaseCommand):
    help = "Issue a personal API token for a user and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="cli", help="A label to recognise the token by.")

    def handle(self, *args: object, email: str, name: str, **options: object) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No user with e-mail {email!r}.")
        if not user.is_active:
            raise CommandError(f"User {email!r} is deactivated; tokens are not issued to them.")
        token, plaintext = ApiToken.issue(user, name=name)
        audit.security("token.api_issued", user, None, token=token.key, name=name, via="manage.py")
        self.stdout.write(plaintext)
        self.stderr.write("Store this token now: it is shown only once.")
