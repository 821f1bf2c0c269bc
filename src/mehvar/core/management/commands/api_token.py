"""``mehvar api_token USERNAME --name NAME``: issue a personal API token (shown once)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mehvar.core.models import ApiToken, User


class Command(BaseCommand):
    help = "Issue a personal API token for an employee; the raw token is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active employee named {options['username']!r}.") from exc
        _token, raw = ApiToken.issue(user=user, name=options["name"])
        self.stdout.write(raw)
