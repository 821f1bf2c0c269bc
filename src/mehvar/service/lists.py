"""Reads behind the desk's staff pages: the ticket list and its filters, SLA states, a ticket's
panels (conversation, compensation, returns), the ledger and the returns list.

Selectors only (STYLE rule 1): nothing here writes. Every employee reads every ticket (seed 002),
so the list takes filters and the viewer only for "mine". Sorting and filtering use fixed
allow-lists; nothing typed reaches SQL except as a bound value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mehvar.core.jalali import from_jalali, to_jalali
from mehvar.core.labels import is_persian, month_label
from mehvar.core.models import User
from mehvar.core.persian import normalize_text, to_latin_digits, to_persian_digits
from mehvar.core.roles import PERMISSIONS, Perm
from mehvar.customers.models import Customer, OrderLine
from mehvar.customers.selectors import search_condition
from mehvar.service import clock, sla
from mehvar.service.compensation import Budget, budget_of
from mehvar.service.models import (
    OPEN_STATUSES,
    CompensationEntry,
    CompensationRequest,
    DeskSettings,
    Priority,
    RequestStatus,
    ReturnRequest,
    ReturnStatus,
    Team,
    Ticket,
    TicketMessage,
)
from mehvar.service.returns import guarantee_ends, paid_for, returnable_quantity

# The list's sort orders by name; anything else is refused by the form.
SORTS: Final = ("due", "-created", "created", "priority")
STATUS_SCOPES: Final = ("open", "all")  # besides the single statuses
_NUMBER: Final = re.compile(r"(?:[Tt]\s*-?\s*|#)(\d{1,18})")
_DIGITS: Final = re.compile(r"\+?[\d\s-]{1,24}")


# --- The ticket list -----------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilters:
    status: str = "open"  # "open", "all" or one TicketStatus value
    mine: bool = False
    team: int | None = None
    kind: str = ""
    priority: str = ""
    category: int | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "due"


def overdue_condition(now: datetime) -> Q:
    """Open, running (not waiting on the customer) and past a deadline it still has to meet."""
    late = Q(resolution_due__lt=now) | Q(
        first_responded_at__isnull=True, first_response_due__lt=now
    )
    return Q(status__in=OPEN_STATUSES, paused_since__isnull=True) & late


def search_tickets(text: str) -> Q | None:
    """A ticket number ("T-12", "#12"), a subject, or the customer's name or mobile."""
    text = to_latin_digits(normalize_text(text)).strip()
    if not text:
        return None
    number = _NUMBER.fullmatch(text)
    if number:
        return Q(pk=int(number.group(1)))
    customers = search_condition(text)
    by_customer = (
        Q(customer__in=Customer.objects.filter(customers).values("pk"))
        if customers is not None
        else Q(pk__in=[])
    )
    if _DIGITS.fullmatch(text):
        digits = re.sub(r"[\s+-]", "", text)
        condition = by_customer
        if digits and len(digits) <= 18:
            condition |= Q(pk=int(digits))
        return condition
    return Q(subject__icontains=text) | by_customer


def _due_expression() -> Case:
    """The next deadline: the first response while it is owed, else the resolution."""
    return Case(
        When(
            first_responded_at__isnull=True,
            first_response_due__isnull=False,
            then=F("first_response_due"),
        ),
        default=F("resolution_due"),
    )


_PRIORITY_RANK: Final = Case(
    When(priority=Priority.URGENT, then=Value(0)),
    When(priority=Priority.HIGH, then=Value(1)),
    When(priority=Priority.NORMAL, then=Value(2)),
    default=Value(3),
)


def ticket_list(*, viewer: User, filters: TicketFilters, now: datetime) -> QuerySet[Ticket]:
    tickets = Ticket.objects.select_related("customer", "assignee", "team", "category")
    if filters.status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        tickets = tickets.filter(status=filters.status)
    if filters.mine:
        tickets = tickets.filter(assignee=viewer)
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.category is not None:
        tickets = tickets.filter(category_id=filters.category)
    if filters.overdue:
        tickets = tickets.filter(overdue_condition(now))
    condition = search_tickets(filters.q)
    if condition is not None:
        tickets = tickets.filter(condition)
    if filters.sort == "-created":
        return tickets.order_by("-created_at", "-id")
    if filters.sort == "created":
        return tickets.order_by("created_at", "id")
    if filters.sort == "priority":
        return tickets.annotate(rank=_PRIORITY_RANK).order_by("rank", "created_at", "id")
    return tickets.annotate(next_due=_due_expression()).order_by(
        F("next_due").asc(nulls_last=True), "created_at", "id"
    )


# --- SLA states ----------------------------------------------------------------------------

SLA_LABELS: Final = {
    "on_time": gettext_lazy("On time"),
    "due_soon": gettext_lazy("Due soon"),
    "overdue": gettext_lazy("Overdue"),
    "paused": gettext_lazy("Paused"),
    "done": gettext_lazy("Done"),
}
SLA_BADGES: Final = {
    "on_time": "text-bg-success",
    "due_soon": "text-bg-warning",
    "overdue": "text-bg-danger",
    "paused": "text-bg-secondary",
    "done": "text-bg-light border",
}


def next_due(ticket: Ticket) -> datetime | None:
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        return ticket.first_response_due
    return ticket.resolution_due


def sla_state(ticket: Ticket, now: datetime, week: clock.WorkWeek, warn_seconds: int) -> str:
    """on_time / due_soon / overdue / paused / done, as the list's badge shows it.

    Overdue is wall-clock (a deadline in the past), the same rule as the list's filter; "due
    soon" counts business time, like the sweep that warns.
    """
    if not ticket.is_open:
        return "done"
    if ticket.paused_since is not None:
        return "paused"
    due = next_due(ticket)
    if due is None:
        return "on_time"
    if due < now:
        return "overdue"
    left = sla.remaining_seconds(due, now, week)
    if left is not None and left <= warn_seconds:
        return "due_soon"
    return "on_time"


def duration_text(seconds: int) -> str:
    """Business hours and minutes as a person reads them, in the page's digits."""
    hours, minutes = clock.describe(abs(seconds))
    text = _("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return to_persian_digits(text) if is_persian() else text


@dataclass(frozen=True)
class TicketRow:
    ticket: Ticket
    state: str
    category: str

    @property
    def state_label(self) -> str:
        return str(SLA_LABELS[self.state])

    @property
    def state_badge(self) -> str:
        return SLA_BADGES[self.state]


def category_label(ticket: Ticket) -> str:
    if ticket.category is None:
        return ""
    return ticket.category.label("fa" if is_persian() else "en")


def ticket_rows(tickets: list[Ticket], now: datetime) -> list[TicketRow]:
    week = sla.work_week(around=now)
    warn = DeskSettings.current().warn_before_minutes * 60
    return [
        TicketRow(ticket=t, state=sla_state(t, now, week, warn), category=category_label(t))
        for t in tickets
    ]


@dataclass(frozen=True)
class Deadline:
    """One SLA target of a ticket as the detail page shows it."""

    label: str
    due: datetime | None
    done_at: datetime | None
    met: bool | None  # None while it is still to be met
    overdue: bool
    remaining: str  # "2 h 15 min" of business time, or how long overdue; "" when not running
    warned_at: datetime | None
    escalated_at: datetime | None


@dataclass(frozen=True)
class SlaPanel:
    state: str
    state_label: str
    state_badge: str
    paused_since: datetime | None
    paused_total: str
    response: Deadline
    resolution: Deadline


def _deadline(
    *,
    label: str,
    due: datetime | None,
    done_at: datetime | None,
    running: bool,
    now: datetime,
    week: clock.WorkWeek,
    warned_at: datetime | None,
    escalated_at: datetime | None,
) -> Deadline:
    met = None if done_at is None else (due is None or done_at <= due)
    remaining = ""
    overdue = False
    if running and done_at is None and due is not None:
        overdue = due < now
        left = sla.remaining_seconds(due, now, week) or 0
        remaining = duration_text(left)
    return Deadline(
        label=label,
        due=due,
        done_at=done_at,
        met=met,
        overdue=overdue,
        remaining=remaining,
        warned_at=warned_at,
        escalated_at=escalated_at,
    )


def sla_panel(ticket: Ticket, now: datetime) -> SlaPanel:
    week = sla.work_week(around=now)
    warn = DeskSettings.current().warn_before_minutes * 60
    state = sla_state(ticket, now, week, warn)
    running = ticket.is_open and ticket.paused_since is None
    return SlaPanel(
        state=state,
        state_label=str(SLA_LABELS[state]),
        state_badge=SLA_BADGES[state],
        paused_since=ticket.paused_since if ticket.is_open else None,
        paused_total=duration_text(ticket.paused_seconds) if ticket.paused_seconds else "",
        response=_deadline(
            label=_("First response"),
            due=ticket.first_response_due,
            done_at=ticket.first_responded_at,
            running=running,
            now=now,
            week=week,
            warned_at=ticket.response_warned_at,
            escalated_at=ticket.response_escalated_at,
        ),
        resolution=_deadline(
            label=_("Resolution"),
            due=ticket.resolution_due,
            done_at=ticket.resolved_at,
            running=running,
            now=now,
            week=week,
            warned_at=ticket.resolution_warned_at,
            escalated_at=ticket.resolution_escalated_at,
        ),
    )


# --- One ticket's panels -------------------------------------------------------------------


def ticket_messages(ticket: Ticket) -> list[TicketMessage]:
    return list(ticket.messages.select_related("author").order_by("created_at", "id"))


def workers() -> QuerySet[User]:
    """Active employees whose role works tickets: the assignee picker."""
    roles = [role.value for role in PERMISSIONS[Perm.TICKET_WORK]]
    return User.objects.filter(is_active=True, role__in=roles).order_by(
        "first_name", "last_name", "username"
    )


@dataclass(frozen=True)
class LedgerLine:
    entry: CompensationEntry
    reversed_by: CompensationEntry | None


def ticket_ledger(ticket: Ticket) -> list[LedgerLine]:
    entries = list(
        CompensationEntry.objects.filter(ticket=ticket)
        .select_related("granted_by", "approved_by")
        .order_by("created_at", "id")
    )
    reversals = {e.reverses_id: e for e in entries if e.reverses_id is not None}
    return [LedgerLine(entry=e, reversed_by=reversals.get(e.pk)) for e in entries]


def ticket_requests(ticket: Ticket) -> list[CompensationRequest]:
    return list(
        CompensationRequest.objects.filter(ticket=ticket)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")[:50]
    )


def team_budget(ticket: Ticket) -> Budget | None:
    return budget_of(ticket.team) if ticket.team is not None else None


@dataclass(frozen=True)
class ReturnableLine:
    line: OrderLine
    returnable: int
    paid_each: int


@dataclass(frozen=True)
class ReturnsPanel:
    guarantee_ends: datetime | None
    within_guarantee: bool
    lines: list[ReturnableLine]
    returns: list[ReturnRequest]


def returns_panel(ticket: Ticket, now: datetime) -> ReturnsPanel:
    returns = list(
        ReturnRequest.objects.filter(ticket=ticket)
        .select_related("line__product", "line__order", "order", "inspected_by")
        .prefetch_related("line__order__lines")  # what was paid for each (``paid_for``)
        .order_by("requested_at", "id")
    )
    order = ticket.order
    if order is None:
        return ReturnsPanel(guarantee_ends=None, within_guarantee=False, lines=[], returns=returns)
    ends = guarantee_ends(order)
    lines = [
        ReturnableLine(line=line, returnable=returnable_quantity(line), paid_each=paid_for(line, 1))
        for line in order.lines.select_related("product", "order")
        .prefetch_related("order__lines")
        .order_by("id")
    ]
    return ReturnsPanel(
        guarantee_ends=ends, within_guarantee=now <= ends, lines=lines, returns=returns
    )


# --- The ledger and the returns list -------------------------------------------------------


def _tehran() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The first moment of a Jalali month and of the next one, Tehran time."""
    first = from_jalali(year, month, 1)
    following = from_jalali(year + 1, 1, 1) if month == 12 else from_jalali(year, month + 1, 1)
    tz = _tehran()
    return (
        datetime(first.year, first.month, first.day, tzinfo=tz),
        datetime(following.year, following.month, following.day, tzinfo=tz),
    )


def recent_months(now: datetime | None = None, count: int = 12) -> list[tuple[str, str]]:
    """("1403-05", "مرداد ۱۴۰۳") for this Jalali month and the ones before it."""
    year, month, _day = to_jalali(now or timezone.now(), tz=_tehran())
    months: list[tuple[str, str]] = []
    for _n in range(count):
        start, _end = month_bounds(year, month)
        months.append((f"{year:04d}-{month:02d}", month_label(start.date())))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


def ledger(
    *, team: int | None = None, kind: str = "", month: str = ""
) -> QuerySet[CompensationEntry]:
    entries = CompensationEntry.objects.select_related(
        "ticket", "customer", "team", "granted_by", "approved_by", "reverses"
    )
    if team is not None:
        entries = entries.filter(team_id=team)
    if kind:
        entries = entries.filter(kind=kind)
    if month:
        year, number = (int(part) for part in month.split("-"))
        start, end = month_bounds(year, number)
        entries = entries.filter(created_at__gte=start, created_at__lt=end)
    return entries.order_by("-created_at", "-id")


def reversed_ids(entries: list[CompensationEntry]) -> set[int]:
    """Which of these grants already have a reversal (one query)."""
    ids = [e.pk for e in entries if e.reverses_id is None]
    return set(
        CompensationEntry.objects.filter(reverses_id__in=ids).values_list("reverses_id", flat=True)
    )


def pending_requests() -> QuerySet[CompensationRequest]:
    return (
        CompensationRequest.objects.filter(status=RequestStatus.PENDING)
        .select_related("ticket__customer", "ticket__team", "requested_by")
        .order_by("requested_at", "id")
    )


def budgets() -> list[Budget]:
    return [budget_of(team) for team in Team.objects.order_by("name")]


def return_list(*, status: str = "") -> QuerySet[ReturnRequest]:
    returns = ReturnRequest.objects.select_related(
        "ticket__customer", "order", "line__product", "requested_by"
    )
    if status:
        returns = returns.filter(status=status)
    return returns.order_by("-requested_at", "-id")


RETURN_STATUSES: Final = tuple(ReturnStatus.values)
