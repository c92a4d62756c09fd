"""Create an API token for a user and print its key (once: only its hash is kept)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api import tokens
from api.models import ApiToken

DEFAULT_NAME = "command line"


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print its key, which is not stored and cannot "
        "be printed again. --rotate replaces the user's token of that name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default=DEFAULT_NAME, help=f"default: {DEFAULT_NAME!r}")
        parser.add_argument("--read-only", action="store_true", help="a token that only reads")
        parser.add_argument(
            "--days", type=int, default=tokens.DEFAULT_DAYS,
            help=f"days until it expires, 1 to {tokens.MAX_DAYS} (default {tokens.DEFAULT_DAYS})",
        )  # fmt: skip
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="replace the token of that name: the old key stops",
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
        if not 1 <= options["days"] <= tokens.MAX_DAYS:
            raise CommandError(f"--days takes 1 to {tokens.MAX_DAYS}.")
        existing = ApiToken.objects.filter(
            user=user, name=options["name"], revoked_at__isnull=True
        ).first()
        if existing is not None:
            if not options["rotate"]:
                raise CommandError(
                    f"{user.username!r} has a token named {options['name']!r} already; its key "
                    "cannot be shown again. --rotate replaces it, --name makes another."
                )
            tokens.revoke_token(existing)
        scope = ApiToken.Scope.READ if options["read_only"] else ApiToken.Scope.WRITE
        _token, key = tokens.create_token(
            user, name=options["name"], scope=scope, days=options["days"]
        )
        self.stdout.write(key)
