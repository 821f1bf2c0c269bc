"""What the desk sends: replies to the customer, and alerts to agents, team leads and managers.

SMS goes to the console log (``mehvar.sms``) until the messaging issue brings the gateways;
email goes through Django's mail backend. A reply carries the ticket number in its subject and a
signed Message-ID naming the ticket, so the customer's answer by email threads back onto it: the
signature is what lets the mail reader trust the reference (a ticket number or an id of the bare
``t12.m34`` shape can be guessed; see ``mail_intake``).
"""

from __future__ import annotations

import logging
from typing import Final

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from mehvar.core.models import User
from mehvar.core.roles import Role
from mehvar.service.models import MessageKind, Team, Ticket, TicketMessage

sms_log = logging.getLogger("mehvar.sms")
log = logging.getLogger(__name__)

MESSAGE_ID_DOMAIN: Final = "mehvar.ticket"
MESSAGE_ID_SALT: Final = "mehvar.service.message-id"
# 64 bits: nobody outside can compute it, and it is short enough for any mail client's headers.
MESSAGE_ID_SIGNATURE_LENGTH: Final = 16


def _signature(ticket_id: int, message_id: int, secret: str | bytes | None = None) -> str:
    digest = salted_hmac(MESSAGE_ID_SALT, f"{ticket_id}.{message_id}", secret=secret)
    return digest.hexdigest()[:MESSAGE_ID_SIGNATURE_LENGTH]


def message_id_signature(ticket_id: int, message_id: int) -> str:
    return _signature(ticket_id, message_id)


def message_id_verifies(ticket_id: int, message_id: int, signature: str) -> bool:
    """Whether ``signature`` is ours for this ticket and message (compared in constant time).

    Keys in ``SECRET_KEY_FALLBACKS`` still verify, so rotating the secret does not turn every
    customer's answer to an earlier reply into a new ticket.
    """
    given = signature.lower()
    secrets: list[str | bytes | None] = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(
        constant_time_compare(_signature(ticket_id, message_id, secret), given)
        for secret in secrets
    )


def message_id_for(message: TicketMessage) -> str:
    """``<t12.m34.<signature>@mehvar.ticket>``: the inbound mail reader finds the ticket from a
    reply that quotes it, and the signature shows the reference came from us."""
    signature = message_id_signature(message.ticket_id, message.pk)
    return f"<t{message.ticket_id}.m{message.pk}.{signature}@{MESSAGE_ID_DOMAIN}>"


def subject_for(ticket: Ticket) -> str:
    return f"[{ticket.number}] {ticket.subject}"


def ticket_url(ticket: Ticket) -> str:
    return settings.PUBLIC_URL + reverse("service:ticket", args=[ticket.pk])


class DeliveryFailed(Exception):
    """The channel refused a reply; the background task is retried."""


def reply_deliver(message_id: int) -> bool:
    """Send one reply to the customer, at most once: True when it was sent now."""
    with transaction.atomic():
        message = (
            TicketMessage.objects.select_for_update(of=("self",))
            .select_related("ticket__customer", "author")
            .filter(pk=message_id, kind=MessageKind.REPLY)
            .first()
        )
        if message is None or message.sent_at is not None:
            return False
        customer = message.ticket.customer
        try:
            if customer.email:
                mail = EmailMessage(
                    subject=subject_for(message.ticket),
                    body=message.body,
                    to=[customer.email],
                    reply_to=[settings.SUPPORT_EMAIL] if settings.SUPPORT_EMAIL else None,
                    headers={"Message-ID": message_id_for(message)},
                )
                mail.send(fail_silently=False)
            elif customer.mobile:
                sms_log.info(
                    "SMS to %s: %s: %s", customer.mobile, message.ticket.number, message.body
                )
            else:
                log.info("ticket reply %s: the customer has no email or mobile", message_id)
        except Exception as exc:  # any gateway error: SMTP, timeouts, refused addresses
            error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            message.sent_at, message.last_error = timezone.now(), ""
            message.save(update_fields=["sent_at", "last_error"])
            return True
    TicketMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(last_error=error)
    log.warning("ticket reply %s not delivered: %s", message_id, error)
    raise DeliveryFailed(error)


def _mail(people: list[User], subject: str, body: str) -> int:
    addresses = sorted({person.email for person in people if person.email and person.is_active})
    if not addresses:
        return 0
    # A failure raises, so the task that called this retries: a lost escalation is a breach
    # nobody hears of.
    return send_mail(subject, body, None, addresses, fail_silently=False)


def assignee_alert(ticket_id: int) -> int:
    ticket = Ticket.objects.select_related("assignee", "customer").filter(pk=ticket_id).first()
    if ticket is None or ticket.assignee is None:
        return 0
    with override("fa"):
        subject = _("Ticket %(ticket)s is yours: %(subject)s") % {
            "ticket": ticket.number,
            "subject": ticket.subject,
        }
        body = _("%(customer)s is waiting for an answer: %(url)s") % {
            "customer": ticket.customer,
            "url": ticket_url(ticket),
        }
    return _mail([ticket.assignee], subject, body)


def leads_of(ticket: Ticket) -> list[User]:
    """Who hears of a breach: the team's lead and every manager."""
    people = list(User.objects.filter(is_active=True, role=Role.MANAGER))
    if ticket.team_id is not None:
        team = Team.objects.select_related("lead").filter(pk=ticket.team_id).first()
        if team is not None and team.lead is not None:
            people.append(team.lead)
    return people


def deadline_warning(ticket: Ticket, which: str) -> int:
    if ticket.assignee is None:
        return 0
    with override("fa"):
        subject = _("%(ticket)s: the %(which)s deadline is near") % {
            "ticket": ticket.number,
            "which": _("first response") if which == "response" else _("resolution"),
        }
        body = ticket_url(ticket)
    return _mail([ticket.assignee], subject, body)


def escalation(ticket: Ticket, which: str) -> int:
    with override("fa"):
        subject = _("%(ticket)s missed its %(which)s deadline") % {
            "ticket": ticket.number,
            "which": _("first response") if which == "response" else _("resolution"),
        }
        body = _("Assigned to %(agent)s. %(url)s") % {
            "agent": ticket.assignee or _("nobody"),
            "url": ticket_url(ticket),
        }
    return _mail(leads_of(ticket), subject, body)
