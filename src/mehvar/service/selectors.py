"""Reads for the service dashboard: the desk's load, its speed against the SLA, satisfaction after
resolution, compensation against budgets, and what compensation did for complainants.

Most figures are about the tickets *opened in the period* (one cohort, so the rates add up): the
period's tickets are read once, as plain value rows, and counted here. Times are the business
seconds stored on each ticket (``response_seconds``, ``resolution_seconds``) — the clock is never
replayed for closed tickets. "Now" figures (open, overdue, each agent's open tickets, this month's
budgets) ignore the period.

A ticket *breached* when its first reply or its resolution took longer than its targets, or,
still open, when a deadline has already passed (for a ticket waiting on the customer: when its
running time before the pause is already over the target).

Months are Jalali months of Tehran days, grouped here in Python (no SQL truncation gives them).
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Final

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.analytics.nps import ScoreResult, csat
from mehvar.core.jalali import TEHRAN, InvalidDate, from_jalali, to_jalali
from mehvar.core.models import User
from mehvar.core.persian import to_latin_digits, whole_number
from mehvar.customers.models import Order, OrderStatus
from mehvar.feedback.models import Response
from mehvar.service import clock, sla
from mehvar.service.compensation import Budget, budget_of
from mehvar.service.effect import CHURN_DAYS, REPURCHASE_DAYS, EffectResult, Outcome, effect_of
from mehvar.service.models import (
    OPEN_STATUSES,
    CompensationEntry,
    Team,
    Ticket,
    TicketKind,
    TicketStatus,
)
from mehvar.service.satisfaction import TRIGGER_PREFIX

PERIOD_DAYS: Final = (30, 90, 365)
DEFAULT_PERIOD: Final = "90"
TREND_MONTHS: Final = 12
DONE_STATUSES: Final = (TicketStatus.RESOLVED, TicketStatus.CLOSED)
_DIGITS: Final = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() also accepts "²"
_CHUNK: Final = 500  # ids per IN (...) list: well under every database's parameter limit
_NOT_SOLD: Final = (OrderStatus.CANCELLED, OrderStatus.RETURNED, OrderStatus.PENDING)


# --- Filters -------------------------------------------------------------------------------


def month_key(day: date | datetime) -> str:
    """The Jalali month of a date or an aware time (Tehran): "1403-05"."""
    year, month, _day = to_jalali(day)
    return f"{year:04d}-{month:02d}"


def month_first_day(key: str) -> date:
    return from_jalali(int(key[:4]), int(key[5:]), 1)


def _next_key(key: str) -> str:
    year, month = int(key[:4]), int(key[5:])
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


def _previous_key(key: str) -> str:
    year, month = int(key[:4]), int(key[5:])
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TEHRAN)


@dataclass(frozen=True, kw_only=True)
class ServiceFilters:
    """The period ("30", "90", "365" days back from now, or a Jalali month "1403-05") and team.

    ``start`` is included, ``end`` excluded.
    """

    period: str
    start: datetime
    end: datetime
    team_id: int | None = None

    @property
    def is_default(self) -> bool:
        return self.period == DEFAULT_PERIOD and self.team_id is None


def _period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    if _DIGITS.fullmatch(period):
        return now - timedelta(days=int(period)), now
    first = month_first_day(period)
    return _midnight(first), min(_midnight(month_first_day(_next_key(period))), now)


def parse_filters(
    query: Mapping[str, Any], *, now: datetime | None = None
) -> tuple[ServiceFilters, dict[str, str]]:
    """Filters from a query string; a value that cannot be read falls back and is reported.

    ``period`` is 30, 90 or 365 (days) or a Jalali month "1403-05" / "۱۴۰۳-۰۵" that has begun;
    ``team`` a team's id. Digits may be Persian, Arabic or Latin.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    period = to_latin_digits(str(query.get("period") or "").strip()).replace("/", "-")
    if not period:
        period = DEFAULT_PERIOD
    elif _DIGITS.fullmatch(period):
        if int(period) not in PERIOD_DAYS:
            errors["period"] = _("Pick one of the offered periods.")
            period = DEFAULT_PERIOD
        else:
            period = str(int(period))
    else:
        try:
            year, month = (int(part) for part in period.split("-"))
            first = from_jalali(year, month, 1)
        except (ValueError, InvalidDate):
            errors["period"] = _("Pick one of the offered periods.")
            period = DEFAULT_PERIOD
        else:
            period = f"{year:04d}-{month:02d}"
            if _midnight(first) > now:
                errors["period"] = _("This month has not begun yet.")
                period = DEFAULT_PERIOD
    team_id = None
    raw_team = str(query.get("team") or "").strip()
    if raw_team:
        team_id = whole_number(raw_team)
        if team_id is None or not Team.objects.filter(pk=team_id).exists():
            errors["team"] = _("Pick one of the offered teams.")
            team_id = None
    start, end = _period_bounds(period, now)
    return ServiceFilters(period=period, start=start, end=end, team_id=team_id), errors


def recent_months(now: datetime, count: int = TREND_MONTHS) -> list[str]:
    """The Jalali month keys of the last ``count`` months, newest first (this month included)."""
    keys = [month_key(now)]
    while len(keys) < count:
        keys.append(_previous_key(keys[-1]))
    return keys


def teams() -> list[Team]:
    return list(Team.objects.order_by("name"))


def has_tickets() -> bool:
    return Ticket.objects.exists()


# --- Ticket rows ---------------------------------------------------------------------------

_ROW_FIELDS: Final = (
    "pk",
    "created_at",
    "kind",
    "category_id",
    "channel",
    "priority",
    "status",
    "assignee_id",
    "response_seconds",
    "resolution_seconds",
    "sla_response_minutes",
    "sla_resolution_minutes",
    "first_response_due",
    "resolution_due",
    "paused_since",
    "paused_seconds",
    "reopen_count",
    "repeat_of_id",
)


@dataclass(frozen=True)
class TicketRow:
    """What the dashboard needs of one ticket, and whether it missed its targets."""

    pk: int
    created_at: datetime
    kind: str
    category_id: int | None
    channel: str
    priority: str
    status: str
    assignee_id: int | None
    response_seconds: int | None
    resolution_seconds: int | None
    sla_response_minutes: int
    sla_resolution_minutes: int
    first_response_due: datetime | None
    resolution_due: datetime | None
    paused_since: datetime | None
    paused_seconds: int
    reopen_count: int
    repeat_of_id: int | None
    response_breached: bool = False
    resolution_breached: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_done(self) -> bool:
        return self.status in DONE_STATUSES

    @property
    def breached(self) -> bool:
        return self.response_breached or self.resolution_breached

    @property
    def response_met(self) -> bool | None:
        """None when there is nothing to judge (no reply yet, or no target)."""
        if self.response_seconds is None or not self.sla_response_minutes:
            return None
        return self.response_seconds <= self.sla_response_minutes * 60

    @property
    def resolution_met(self) -> bool | None:
        if not self.is_done or self.resolution_seconds is None or not self.sla_resolution_minutes:
            return None
        return self.resolution_seconds <= self.sla_resolution_minutes * 60


class _Judge:
    """Decides breaches at ``now``; reads the work week only if a paused ticket needs it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._week: clock.WorkWeek | None = None

    def _running_over(self, row: TicketRow, target: int, due: datetime | None) -> bool:
        if row.paused_since is None:
            return due is not None and due < self.now
        # Waiting on the customer: the deadline is withdrawn, so compare the running time
        # (pauses excluded) with the target instead.
        if self._week is None:
            self._week = sla.work_week(around=self.now)
        ticket = Ticket(
            created_at=row.created_at,
            paused_seconds=row.paused_seconds,
            paused_since=row.paused_since,
        )
        return sla.elapsed_seconds(ticket, self.now, self._week) > target

    def response(self, row: TicketRow) -> bool:
        met = row.response_met
        if met is not None:
            return not met
        if row.response_seconds is not None or not row.sla_response_minutes:
            return False  # no target: nothing missed
        if not row.is_open:
            # Resolved without a reply: it kept the customer waiting as long as it ran (the
            # API's SLA block judges it the same way).
            seconds = row.resolution_seconds
            return seconds is not None and seconds > row.sla_response_minutes * 60
        return self._running_over(row, row.sla_response_minutes * 60, row.first_response_due)

    def resolution(self, row: TicketRow) -> bool:
        if not row.sla_resolution_minutes:
            return False
        if row.is_open:
            return self._running_over(row, row.sla_resolution_minutes * 60, row.resolution_due)
        met = row.resolution_met
        return met is False


def _tickets(team_id: int | None) -> Any:
    tickets = Ticket.objects.order_by()
    return tickets.filter(team_id=team_id) if team_id is not None else tickets


def ticket_rows(
    *, start: datetime, end: datetime, team_id: int | None, now: datetime
) -> list[TicketRow]:
    """Every ticket opened in [start, end) as a row with its breaches judged (one query)."""
    judge = _Judge(now)
    rows = []
    values = (
        _tickets(team_id)
        .filter(created_at__gte=start, created_at__lt=end)
        .order_by("created_at", "pk")
        .values_list(*_ROW_FIELDS)
    )
    for values_row in values:
        row = TicketRow(**dict(zip(_ROW_FIELDS, values_row, strict=True)))
        rows.append(
            replace(
                row,
                response_breached=judge.response(row),
                resolution_breached=judge.resolution(row),
            )
        )
    return rows


# --- The headline figures ------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0–1) with linear interpolation between order statistics.

    The same as NumPy's default and ``statistics.quantiles(method="inclusive")``: the median
    of 1…10 is 5.5 and the 90th percentile 9.1. None for no values.
    """
    if not values:
        return None
    if not 0 <= q <= 1:
        raise ValueError("q is a fraction between 0 and 1")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class TimeStats:
    """Business seconds from opening to the first reply (or to resolution) against the target."""

    n: int
    median: float | None
    p90: float | None
    met: int  # within the target
    judged: int  # with a target to be judged against

    @property
    def met_share(self) -> float | None:
        return self.met / self.judged if self.judged else None


def _time_stats(values: list[int], verdicts: list[bool | None]) -> TimeStats:
    judged = [v for v in verdicts if v is not None]
    return TimeStats(
        n=len(values),
        median=percentile(values, 0.5),
        p90=percentile(values, 0.9),
        met=sum(1 for v in judged if v),
        judged=len(judged),
    )


def response_stats(rows: Iterable[TicketRow]) -> TimeStats:
    answered = [row for row in rows if row.response_seconds is not None]
    return _time_stats(
        [row.response_seconds or 0 for row in answered], [row.response_met for row in answered]
    )


def resolution_stats(rows: Iterable[TicketRow]) -> TimeStats:
    # A reopened ticket that is open again keeps its old figure; it is not resolved now.
    done = [row for row in rows if row.is_done and row.resolution_seconds is not None]
    return _time_stats(
        [row.resolution_seconds or 0 for row in done], [row.resolution_met for row in done]
    )


@dataclass(frozen=True)
class Rate:
    count: int
    of: int

    @property
    def share(self) -> float | None:
        return self.count / self.of if self.of else None


@dataclass(frozen=True)
class Overview:
    opened: int  # tickets opened in the period
    open_now: int
    overdue_now: int
    response: TimeStats
    resolution: TimeStats
    breach: Rate  # either target missed, among the period's tickets
    reopen: Rate  # reopened at least once, among those resolved at least once
    repeat: Rate  # a repeat contact (seed 001), among the period's tickets


def overdue_q(now: datetime) -> Q:
    """Open, its clock running, and a deadline it has not met already passed."""
    return Q(status__in=OPEN_STATUSES, paused_since__isnull=True) & (
        Q(first_responded_at__isnull=True, first_response_due__lt=now) | Q(resolution_due__lt=now)
    )


def overview(rows: Sequence[TicketRow], *, team_id: int | None, now: datetime) -> Overview:
    """The headline figures: two "now" counts in one query, the rest from the period's rows."""
    counts = _tickets(team_id).aggregate(
        open_now=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
        overdue_now=Count("pk", filter=overdue_q(now)),
    )
    resolved_once = [row for row in rows if row.is_done or row.reopen_count > 0]
    return Overview(
        opened=len(rows),
        open_now=counts["open_now"],
        overdue_now=counts["overdue_now"],
        response=response_stats(rows),
        resolution=resolution_stats(rows),
        breach=Rate(sum(1 for row in rows if row.breached), len(rows)),
        reopen=Rate(sum(1 for row in resolved_once if row.reopen_count > 0), len(resolved_once)),
        repeat=Rate(sum(1 for row in rows if row.repeat_of_id is not None), len(rows)),
    )


# --- Breakdowns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    key: str
    count: int
    breached: int

    @property
    def breach_share(self) -> float | None:
        return self.breached / self.count if self.count else None


def group_by(rows: Iterable[TicketRow], attribute: str) -> list[Group]:
    """Tickets and breaches per value of ``attribute`` ("" for none), most tickets first."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        value = getattr(row, attribute)
        key = "" if value is None else str(value)
        counts[key][0] += 1
        counts[key][1] += row.breached
    groups = [Group(key=key, count=n, breached=b) for key, (n, b) in counts.items()]
    return sorted(groups, key=lambda group: (-group.count, group.key))


@dataclass(frozen=True)
class Month:
    key: str  # "1403-05"
    opened: int
    breached: int

    @property
    def breach_share(self) -> float | None:
        return self.breached / self.opened if self.opened else None


def by_month(rows: Iterable[TicketRow], keys: Sequence[str]) -> list[Month]:
    """Tickets opened and breaches per Jalali month, for each of ``keys`` (oldest first)."""
    counts: dict[str, list[int]] = {key: [0, 0] for key in keys}
    for row in rows:
        slot = counts.get(month_key(row.created_at))
        if slot is not None:
            slot[0] += 1
            slot[1] += row.breached
    return [Month(key=key, opened=n, breached=b) for key, (n, b) in counts.items()]


def trend_keys(filters: ServiceFilters, now: datetime) -> list[str]:
    """The months the trend shows, oldest first: twelve up to the period's last, or the whole
    period when it is longer."""
    keys = recent_months(min(filters.end, now) - timedelta(seconds=1))
    first = month_key(filters.start)
    while keys[-1] > first:
        keys.append(_previous_key(keys[-1]))
    return list(reversed(keys))


@dataclass(frozen=True)
class AgentLine:
    user_id: int | None
    name: str
    open_now: int
    assigned: int  # of the period's tickets
    resolved: int
    response_median: float | None
    breach: Rate


def agents(rows: Sequence[TicketRow], *, team_id: int | None) -> list[AgentLine]:
    """Per assignee: open tickets now, and the period's tickets resolved, speed and breaches."""
    open_now = dict(
        _tickets(team_id)
        .filter(status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "n")
    )
    mine: dict[int | None, list[TicketRow]] = defaultdict(list)
    for row in rows:
        mine[row.assignee_id].append(row)
    ids = {pk for pk in [*open_now, *mine] if pk is not None}
    names = {
        user.pk: user.get_full_name() or user.get_username()
        for user in User.objects.filter(pk__in=ids)
    }
    lines = []
    for user_id in [*ids, None]:
        own = mine.get(user_id, [])
        if user_id is None and not own and not open_now.get(None):
            continue
        answered = [row.response_seconds for row in own if row.response_seconds is not None]
        lines.append(
            AgentLine(
                user_id=user_id,
                name=names.get(user_id, "") if user_id is not None else "",
                open_now=open_now.get(user_id, 0),
                assigned=len(own),
                resolved=sum(1 for row in own if row.is_done),
                response_median=statistics.median(answered) if answered else None,
                breach=Rate(sum(1 for row in own if row.breached), len(own)),
            )
        )
    return sorted(lines, key=lambda line: (line.user_id is None, -line.assigned, line.name))


# --- Satisfaction after resolution ---------------------------------------------------------


@dataclass(frozen=True)
class Csat:
    """CSAT answers to the invitations sent after a resolution (trigger key "ticket:…")."""

    score: ScoreResult  # share satisfied (4 or 5 of 5) with its Wilson interval
    mean: float | None
    counts: dict[int, int] = field(default_factory=dict)  # answers per value 1–5

    @property
    def n(self) -> int:
        return self.score.n


def _ticket_of(trigger_key: str) -> int | None:
    parts = trigger_key.split(":")
    return int(parts[1]) if len(parts) > 1 and _DIGITS.fullmatch(parts[1]) is not None else None


def csat_after_resolution(filters: ServiceFilters) -> Csat:
    """Answers submitted in the period (one query; a team filter adds one per 500 tickets)."""
    answers: list[tuple[int | None, int]] = [
        (_ticket_of(key or ""), score)
        for key, score in Response.objects.filter(
            submitted_at__gte=filters.start,
            submitted_at__lt=filters.end,
            csat__isnull=False,
            invitation__trigger_key__startswith=TRIGGER_PREFIX,
        )
        .order_by()
        .values_list("invitation__trigger_key", "csat")
        if score is not None
    ]
    if filters.team_id is not None:
        ticket_ids = sorted({pk for pk, _score in answers if pk is not None})
        in_team: set[int | None] = set()
        for index in range(0, len(ticket_ids), _CHUNK):
            in_team.update(
                Ticket.objects.filter(
                    team_id=filters.team_id, pk__in=ticket_ids[index : index + _CHUNK]
                ).values_list("pk", flat=True)
            )
        answers = [(pk, score) for pk, score in answers if pk in in_team]
    scores = [score for _pk, score in answers]
    counts = dict.fromkeys(range(1, 6), 0)
    for score in scores:
        counts[score] = counts.get(score, 0) + 1
    return Csat(
        score=csat(scores, scale=5),
        mean=statistics.fmean(scores) if scores else None,
        counts=counts,
    )


# --- Compensation --------------------------------------------------------------------------


def budgets(*, team_id: int | None, now: datetime) -> list[Budget]:
    """This Jalali month's spending of each team against its budget (one query a team)."""
    chosen = Team.objects.order_by("name")
    if team_id is not None:
        chosen = chosen.filter(pk=team_id)
    return [budget_of(team, now) for team in chosen]


@dataclass(frozen=True)
class KindTotal:
    kind: str
    discretionary: bool  # False: money-back refunds of returns, outside the budgets
    net: int  # Rial, grants less reversals
    grants: int  # number of grants (reversals not counted)


def compensation_by_kind(filters: ServiceFilters) -> list[KindTotal]:
    """Net compensation written in the period per kind, refunds of returns apart (one query)."""
    entries = CompensationEntry.objects.filter(
        created_at__gte=filters.start, created_at__lt=filters.end
    ).order_by()
    if filters.team_id is not None:
        entries = entries.filter(team_id=filters.team_id)
    rows = entries.values("kind", "counts_to_budget").annotate(
        net=Sum("amount"), grants=Count("pk", filter=Q(reverses__isnull=True))
    )
    totals = [
        KindTotal(
            kind=row["kind"],
            discretionary=row["counts_to_budget"],
            net=int(row["net"] or 0),
            grants=row["grants"],
        )
        for row in rows
    ]
    return sorted(totals, key=lambda total: (not total.discretionary, -total.net, total.kind))


# --- What compensation did -----------------------------------------------------------------


@dataclass(frozen=True)
class Effect:
    """The compensation comparison over complaints resolved in an observable window."""

    start: datetime
    end: datetime  # the window's end: at least 90 days before now
    result: EffectResult | None  # None when the period is too recent to observe


def compensation_effect(filters: ServiceFilters, *, now: datetime) -> Effect:
    """Complainants compensated on their complaint against those who were not (two queries).

    Each customer counts once, with their first complaint resolved in the window (the period,
    cut to end 90 days ago so everyone's 90 days are known). "Compensated" is a net
    discretionary grant above zero on that ticket (refunds of returns are not compensation).
    Purchases are sold orders (not pending, cancelled or returned) after the resolution.
    """
    end = min(filters.end, now - timedelta(days=REPURCHASE_DAYS))
    if end <= filters.start:
        return Effect(start=filters.start, end=end, result=None)
    complaints = (
        _tickets(filters.team_id)
        .filter(
            kind=TicketKind.COMPLAINT,
            status__in=DONE_STATUSES,
            resolved_at__gte=filters.start,
            resolved_at__lt=end,
            customer__merged_into__isnull=True,
        )
        .annotate(
            net=Coalesce(
                Sum("compensations__amount", filter=Q(compensations__counts_to_budget=True)), 0
            )
        )
        .order_by("resolved_at", "pk")
        .values_list("customer_id", "resolved_at", "net")
    )
    first: dict[int, tuple[datetime, bool]] = {}
    for customer_id, resolved_at, net in complaints:
        first.setdefault(customer_id, (resolved_at, net > 0))
    if not first:
        return Effect(start=filters.start, end=end, result=effect_of([]))
    earliest = min(resolved for resolved, _given in first.values())
    latest = max(resolved for resolved, _given in first.values())
    orders: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    customer_ids = sorted(first)
    for index in range(0, len(customer_ids), _CHUNK):
        for customer_id, placed_at, total in (
            Order.objects.filter(
                customer_id__in=customer_ids[index : index + _CHUNK],
                placed_at__gt=earliest,
                placed_at__lte=latest + timedelta(days=CHURN_DAYS),
            )
            .exclude(status__in=_NOT_SOLD)
            .order_by()
            .values_list("customer_id", "placed_at", "total")
        ):
            orders[customer_id].append((placed_at, total))
    outcomes = []
    for customer_id, (resolved_at, given) in first.items():
        soon = resolved_at + timedelta(days=REPURCHASE_DAYS)
        later = resolved_at + timedelta(days=CHURN_DAYS)
        bought = [(at, total) for at, total in orders.get(customer_id, []) if at > resolved_at]
        within = [total for at, total in bought if at <= soon]
        outcomes.append(
            Outcome(
                compensated=given,
                bought_again=bool(within),
                revenue=sum(within),
                churned=None if later > now else not any(at <= later for at, _t in bought),
            )
        )
    return Effect(start=filters.start, end=end, result=effect_of(outcomes))
