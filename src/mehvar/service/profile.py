"""A customer's service history at a glance, and the "always dissatisfied" signal (seed 001).

Seed 001 warns that some customers are never satisfied; recognising them lets the desk stop
chasing them endlessly while still fixing the real causes. The signal is shown to every
employee on the customer page with its reasons — it is a fact to weigh, never a hidden label.
The arithmetic is :func:`always_dissatisfied`, pure and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db.models import Count, Q, Sum
from django.utils import timezone

from mehvar.customers.models import Order, OrderStatus
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


def service_profile(customer_id: int, *, now: datetime | None = None) -> ServiceProfile:
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    counts = Ticket.objects.filter(customer_id=customer_id, created_at__gte=since).aggregate(
        tickets=Count("pk"),
        complaints=Count("pk", filter=Q(kind=TicketKind.COMPLAINT)),
        repeats=Count("pk", filter=Q(repeat_of__isnull=False)),
    )
    open_tickets = Ticket.objects.filter(customer_id=customer_id, status__in=OPEN_STATUSES).count()
    compensation = CompensationEntry.objects.filter(
        customer_id=customer_id, created_at__gte=since, counts_to_budget=True
    ).aggregate(total=Sum("amount"))["total"]
    revenue = (
        Order.objects.filter(customer_id=customer_id, placed_at__gte=since)
        .exclude(status__in=(OrderStatus.CANCELLED, OrderStatus.RETURNED))
        .aggregate(total=Sum("total"))["total"]
    )
    compensation, revenue = int(compensation or 0), int(revenue or 0)
    reasons = always_dissatisfied(counts["complaints"], compensation, revenue)
    return ServiceProfile(
        tickets=counts["tickets"],
        open_tickets=open_tickets,
        complaints=counts["complaints"],
        repeats=counts["repeats"],
        compensation=compensation,
        revenue=revenue,
        flagged=bool(reasons),
        reasons=reasons,
    )
