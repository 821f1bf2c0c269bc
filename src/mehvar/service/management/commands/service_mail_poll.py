"""``mehvar service_mail_poll``: read the support mailbox once and turn new mail into tickets.

The same work runs every two minutes in the background when ``MEHVAR_SUPPORT_IMAP_HOST`` is set
(``service.tasks_mail``); this command is for a first try of the settings and for cron setups
without the task queue. Options override the ``MEHVAR_SUPPORT_IMAP_*`` settings. The password is
best left in the environment: a command line is visible to everyone on the machine.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from mehvar.service.mail_intake import MailboxError, poll_configured


class Command(BaseCommand):
    help = "Read unread mail in the support mailbox (IMAP) into tickets, once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", help="IMAP server (MEHVAR_SUPPORT_IMAP_HOST)")
        parser.add_argument("--port", type=int, help="port (MEHVAR_SUPPORT_IMAP_PORT, 993)")
        parser.add_argument("--user", help="login (MEHVAR_SUPPORT_IMAP_USER)")
        parser.add_argument("--password", help="password (MEHVAR_SUPPORT_IMAP_PASSWORD)")
        parser.add_argument(
            "--ssl",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="TLS from the start (MEHVAR_SUPPORT_IMAP_SSL, on)",
        )
        parser.add_argument("--folder", help="folder to read (MEHVAR_SUPPORT_IMAP_FOLDER, INBOX)")
        parser.add_argument("--limit", type=int, default=100, help="messages at most (100)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["limit"] < 1:
            raise CommandError(_("--limit must be at least 1."))
        try:
            report = poll_configured(
                limit=options["limit"],
                **{k: options[k] for k in ("host", "port", "user", "password", "ssl", "folder")},
            )
        except MailboxError as exc:
            raise CommandError(str(exc)) from exc
        skipped = sum(report.skipped.values())
        self.stdout.write(
            _(
                "Support mailbox: %(read)d read, %(created)d new tickets, %(added)d replies "
                "on tickets, %(dupes)d already known, %(skipped)d skipped, %(failed)d unreadable."
            )
            % {
                "read": report.seen + len(report.failed),
                "created": len(report.created),
                "added": len(report.added),
                "dupes": report.duplicates,
                "skipped": skipped,
                "failed": len(report.failed),
            }
        )
        for reason, count in sorted(report.skipped.items()):
            self.stdout.write(f"  {reason}: {count}")
        for uid, error in report.failed:
            self.stderr.write(
                _("  message UID %(uid)s was flagged in the mailbox: %(error)s")
                % {"uid": uid, "error": error}
            )
