"""Print an API token for a user, creating it if needed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from api import tokens


class Command(BaseCommand):
    help = "Print the API token of USERNAME (created if they have none; --rotate for a new one)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--rotate", action="store_true", help="replace an existing token with a new one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if not user.is_active:
            raise CommandError(
                f"User {user.username!r} is inactive: a token would not authenticate. "
                "Activate the user first."
            )
        token = Token.objects.filter(user=user).first()
        if token is None or options["rotate"]:
            token = tokens.rotate_token(user)
        self.stdout.write(token.key)
