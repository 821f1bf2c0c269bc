"""Reading the support mailbox every two minutes, when one is configured.

``service.tasks`` imports this module so the Huey consumer registers the task. Only one poll
runs at a time (a slow server must not have two readers racing over the same messages; the
Message-ID makes a race harmless, the lock makes it rare).
"""

from __future__ import annotations

import logging

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from mehvar.service.mail_intake import MailboxError, poll_configured

logger = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*/2"))
@lock_task("service-mail-poll")
def poll_support_mailbox() -> None:
    if not settings.SUPPORT_IMAP["host"]:
        return
    try:
        report = poll_configured()
    except MailboxError as exc:
        # The next run tries again in two minutes; the log says why this one could not.
        logger.warning("support mailbox not read: %s", exc)
        return
    if report.created or report.added or report.failed:
        logger.info(
            "support mailbox: %s new tickets, %s replies, %s flagged",
            len(report.created),
            len(report.added),
            len(report.failed),
        )
