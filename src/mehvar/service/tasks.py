"""Background work of the service desk (Huey). Tasks take ids and call one service."""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from mehvar.service import (
    escalation,
    notify,
    satisfaction,
    tasks_mail,  # noqa: F401  (registers the mailbox poll with Huey)
    tickets,
)

logger = logging.getLogger(__name__)


@db_task(retries=3, retry_delay=60)
def deliver_reply(message_id: int) -> None:
    """Send a reply to the customer (queued after commit); sends at most once, retried."""
    notify.reply_deliver(message_id)


@db_task(retries=3, retry_delay=60)
def alert_assignee(ticket_id: int) -> None:
    notify.assignee_alert(ticket_id)


@db_task(retries=3, retry_delay=60)
def send_deadline_warning(ticket_id: int, which: str) -> None:
    from mehvar.service.models import Ticket

    ticket = Ticket.objects.select_related("assignee").filter(pk=ticket_id).first()
    if ticket is not None:
        notify.deadline_warning(ticket, which)


@db_task(retries=3, retry_delay=60)
def send_escalation(ticket_id: int, which: str) -> None:
    from mehvar.service.models import Ticket

    ticket = Ticket.objects.select_related("assignee").filter(pk=ticket_id).first()
    if ticket is not None:
        notify.escalation(ticket, which)


@db_task(retries=2, retry_delay=300)
def ask_satisfaction(ticket_id: int) -> None:
    satisfaction.satisfaction_invite(ticket_id)


# Daily at 00:40 UTC (04:10 Tehran): resolved tickets nobody answered for a week are closed.
@db_periodic_task(crontab(minute="40", hour="0"))
def close_resolved_tickets() -> None:
    closed = tickets.close_resolved()
    if closed:
        logger.info("closed %s resolved tickets", len(closed))


@db_periodic_task(crontab(minute="*/5"))
def sweep_sla() -> None:
    report = escalation.sla_sweep()
    if report.escalated or report.warned:
        logger.info("SLA sweep: %s warned, %s escalated", len(report.warned), len(report.escalated))
