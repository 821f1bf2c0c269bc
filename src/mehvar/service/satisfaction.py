"""CSAT after resolution, asked with the feedback app's surveys (one invitation per resolution)."""

from __future__ import annotations

import logging

from mehvar.core.errors import ServiceError
from mehvar.customers.models import ConsentChannel, ConsentStatus
from mehvar.feedback.models import Invitation, InvitationChannel, SurveyStatus
from mehvar.feedback.responding import invitation_create
from mehvar.service.models import DeskSettings, Ticket, TicketStatus

log = logging.getLogger(__name__)

TRIGGER_PREFIX = "ticket:"


def trigger_key(ticket: Ticket) -> str:
    # A reopened and re-resolved ticket is asked again: its answer is about the second fix.
    return f"{TRIGGER_PREFIX}{ticket.pk}:resolved:{ticket.reopen_count}"


def _channel(ticket: Ticket) -> str | None:
    customer = ticket.customer
    withdrawn = set(
        customer.consents.filter(status=ConsentStatus.WITHDRAWN).values_list("channel", flat=True)
    )
    if customer.mobile and ConsentChannel.SMS not in withdrawn:
        return InvitationChannel.SMS
    if customer.email and ConsentChannel.EMAIL not in withdrawn:
        return InvitationChannel.EMAIL
    return None


def satisfaction_invite(ticket_id: int) -> Invitation | None:
    """Invite the customer of a resolved ticket to the desk's CSAT survey, once per resolution."""
    survey = DeskSettings.current().csat_survey
    ticket = Ticket.objects.select_related("customer").filter(pk=ticket_id).first()
    if survey is None or survey.status != SurveyStatus.ACTIVE or ticket is None:
        return None
    # Reopened before the task ran: not asked (its next resolution will be). Closed right after
    # resolving is still resolved, and is asked.
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        return None
    channel = _channel(ticket)
    if channel is None:
        return None
    try:
        return invitation_create(
            actor=None,
            survey=survey,
            customer=ticket.customer,
            channel=channel,
            trigger_key=trigger_key(ticket),
        )
    except ServiceError as exc:
        log.info("no satisfaction survey for ticket %s: %s", ticket_id, exc)
        return None
