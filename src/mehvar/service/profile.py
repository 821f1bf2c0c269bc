"""A customer's service history at a glance, and the "always dissatisfied" signal (seed 001).

Seed 001 warns that some customers are never satisfied; recognising them lets the desk stop
chasing them endlessly while still fixing the real causes. The signal is shown to every
employee on the customer page with its reasons — it is a fact to weigh, never a hidden label.
The arithmetic is :func:`always_dissatisfied`, pure and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from mehvar.customers.models import Customer, Order, OrderStatus
from mehvar.service.models import OPEN_STATUSES, CompensationEntry, Ticket, TicketKind

WINDOW_DAYS: Final = 365
MANY_COMPLAINTS: Final = 4  # complaints in a year that make a pattern on their own
SOME_COMPLAINTS: Final = 2
COSTLY_SHARE: Final = 0.25  # compensation above this share of what they spent


@dataclass(frozen=True)
class ServiceProfile:
    tickets: int
    open_tickets: int
    complaints: int
    repeats: int
    compensation: int  # Rial, net of reversals, refunds of returns excluded
    revenue: int  # Rial, sold orders in the window
    flagged: bool
    reasons: tuple[str, ...]

    @property
    def compensation_share(self) -> float | None:
        return self.compensation / self.revenue if self.revenue > 0 else None


def always_dissatisfied(complaints: int, compensation: int, revenue: int) -> tuple[str, ...]:
    """The reasons a customer is flagged (empty: not flagged). Pure, so its rule is testable.

    - ``many_complaints``: four or more complaints in a year, whatever they spent;
    - ``costly``: two or more complaints and compensation above a quarter of what they spent
      (or any compensation when they bought nothing).
    """
    reasons = []
    if complaints >= MANY_COMPLAINTS:
        reasons.append("many_complaints")
    costly = compensation > 0 and (revenue <= 0 or compensation / revenue > COSTLY_SHARE)
    if complaints >= SOME_COMPLAINTS and costly:
        reasons.append("costly")
    return tuple(reasons)


def _per_customer(rows: QuerySet[Any], value: Any, *, via: str = "customer_id") -> Subquery:
    """One figure of the customer's rows as a scalar subquery (NULL when there are none)."""
    grouped = rows.filter(**{via: OuterRef("pk")}).order_by().values(via)
    return Subquery(grouped.annotate(figure=value).values("figure")[:1])


def service_profile(customer_id: int, *, now: datetime | None = None) -> ServiceProfile:
    """The customer's figures in one query: the customer page runs it on every visit."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    # A ticket whose writer is not confirmed (anyone can type a mobile into the web form) says
    # nothing about this customer until staff confirm it.
    recent = Ticket.objects.filter(created_at__gte=since, identity_confirmed=True)
    sold = Order.objects.filter(placed_at__gte=since).exclude(
        status__in=(OrderStatus.CANCELLED, OrderStatus.RETURNED)
    )
    # Through the ticket: after a merge the tickets moved, the append-only ledger did not.
    given = CompensationEntry.objects.filter(
        created_at__gte=since, counts_to_budget=True, ticket__identity_confirmed=True
    )
    figures = (
        Customer.objects.filter(pk=customer_id)
        .values("pk")
        .annotate(
            figure_tickets=_per_customer(recent, Count("pk")),
            figure_complaints=_per_customer(recent.filter(kind=TicketKind.COMPLAINT), Count("pk")),
            figure_repeats=_per_customer(recent.filter(repeat_of__isnull=False), Count("pk")),
            figure_open_tickets=_per_customer(
                Ticket.objects.filter(status__in=OPEN_STATUSES, identity_confirmed=True),
                Count("pk"),
            ),
            figure_compensation=_per_customer(given, Sum("amount"), via="ticket__customer_id"),
            figure_revenue=_per_customer(sold, Sum("total")),
        )
        .first()
    )
    found: dict[str, Any] = dict(figures or {})
    # Annotations are prefixed: "tickets" and "compensations" are the customer's relations.
    number = {name: int(found.get(f"figure_{name}") or 0) for name in _FIGURES}
    reasons = always_dissatisfied(number["complaints"], number["compensation"], number["revenue"])
    return ServiceProfile(**number, flagged=bool(reasons), reasons=reasons)


_FIGURES: Final = ("tickets", "open_tickets", "complaints", "repeats", "compensation", "revenue")
