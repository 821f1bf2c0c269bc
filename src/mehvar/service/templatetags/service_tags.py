"""The service desk on other apps' pages (customers and feedback never import service).

``{% load service_tags %}``:

- ``{% service_card customer %}`` on the customer page: open and recent tickets, complaints,
  repeat contacts and compensation over twelve months against what the customer spent, and the
  "always dissatisfied" signal (seed 001) with its reasons in words. Every role sees it: it is a
  fact to weigh, never a hidden label. Five small queries, whatever the customer's history.
- ``{% follow_up_ticket follow_up %}`` on a survey follow-up: the ticket it became, or a button
  that turns it into one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from django import template
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.core.labels import is_persian
from mehvar.core.templatetags.mehvar import digits, money
from mehvar.service.models import OPEN_STATUSES, Ticket
from mehvar.service.profile import MANY_COMPLAINTS, ServiceProfile, service_profile

register = template.Library()

SHOWN: Final = 5  # open tickets listed on the card
RECENT: Final = 3  # finished tickets listed under them


@dataclass(frozen=True)
class ServiceCard:
    profile: ServiceProfile
    open_tickets: list[Ticket]
    recent: list[Ticket]
    reasons: list[str]
    share: str  # compensation as a share of revenue, "" when they bought nothing


def percent(share: float | None) -> str:
    """0.3 → «۳۰٪» on a Persian page, "30%" on an English one ("" for no share)."""
    if share is None:
        return ""
    shown = round(share * 100)
    return f"{digits(shown)}٪" if is_persian() else f"{shown}%"


def reason_sentences(profile: ServiceProfile) -> list[str]:
    """Each reason of the signal as a sentence a colleague can weigh (in the page's language)."""
    sentences = []
    for reason in profile.reasons:
        if reason == "many_complaints":
            sentences.append(
                _("%(n)s complaints in the last 12 months (%(limit)s or more make a pattern).")
                % {"n": digits(profile.complaints), "limit": digits(MANY_COMPLAINTS)}
            )
        elif reason == "costly" and profile.revenue > 0:
            sentences.append(
                _(
                    "Compensation of %(amount)s in 12 months is %(share)s of what they spent "
                    "(%(revenue)s), with %(n)s complaints."
                )
                % {
                    "amount": money(profile.compensation),
                    "share": percent(profile.compensation_share),
                    "revenue": money(profile.revenue),
                    "n": digits(profile.complaints),
                }
            )
        elif reason == "costly":
            sentences.append(
                _(
                    "Compensation of %(amount)s in 12 months while they bought nothing, with "
                    "%(n)s complaints."
                )
                % {"amount": money(profile.compensation), "n": digits(profile.complaints)}
            )
        else:
            sentences.append(reason)  # a reason added to the profile before its sentence
    return sentences


def service_card_of(customer_id: int) -> ServiceCard:
    """The profile's one aggregate query and one short list (open tickets first)."""
    profile = service_profile(customer_id)
    open_first = Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1))
    latest = list(
        Ticket.objects.filter(customer_id=customer_id)
        .only(
            "pk",
            "subject",
            "status",
            "kind",
            "created_at",
            "resolution_due",
            "repeat_of_id",
            "identity_confirmed",
        )
        .order_by(open_first, "-created_at", "-pk")[: SHOWN + RECENT]
    )
    # With many open tickets the finished ones give way: what is still open matters more.
    open_tickets = [t for t in latest if t.is_open][:SHOWN]
    recent = [t for t in latest if not t.is_open][:RECENT]
    return ServiceCard(
        profile=profile,
        open_tickets=open_tickets,
        recent=recent,
        reasons=reason_sentences(profile),
        share=percent(profile.compensation_share),
    )


@register.inclusion_tag("service/partials/customer_service.html")
def service_card(customer: Any) -> dict[str, Any]:
    return {"card": service_card_of(customer.pk), "customer": customer, "now": timezone.now()}


@register.inclusion_tag("service/partials/customer_follow_up_ticket.html", takes_context=True)
def follow_up_ticket(context: template.Context, follow_up: Any) -> dict[str, Any]:
    # Not ``follow_up.ticket``: the reverse one-to-one raises when there is no ticket yet.
    ticket = Ticket.objects.filter(follow_up_id=follow_up.pk).only("pk", "status").first()
    return {
        "follow_up": follow_up,
        "ticket": ticket,
        "can": context.get("can", ()),
        "csrf_token": context.get("csrf_token", ""),
    }
