"""Service levels: which targets a ticket gets, and its deadlines on the company's business hours.

The clock arithmetic is the pure :mod:`mehvar.service.clock`; this module reads the working days
and holidays the admin keeps, picks the target for a (category, priority), and keeps a ticket's
stored deadlines right as its timer pauses (waiting on the customer) and resumes.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from mehvar.service import clock
from mehvar.service.models import Holiday, Priority, SlaPolicy, Ticket, WorkingDay

# Used when the admin has not set a target: (first response, resolution) in business minutes.
DEFAULT_TARGETS: Final[dict[str, tuple[int, int]]] = {
    Priority.URGENT: (60, 4 * 60),
    Priority.HIGH: (2 * 60, 8 * 60),
    Priority.NORMAL: (4 * 60, 24 * 60),
    Priority.LOW: (8 * 60, 40 * 60),
}
_HOLIDAY_HORIZON: Final = timedelta(days=5 * 366)


def work_week(*, around: datetime | None = None) -> clock.WorkWeek:
    """The company's week as the admin set it (the Iranian week until they change it)."""
    tz = ZoneInfo(settings.TIME_ZONE)
    now = around or timezone.now()
    holidays = frozenset(
        Holiday.objects.filter(
            day__gte=(now - _HOLIDAY_HORIZON).date(), day__lte=(now + _HOLIDAY_HORIZON).date()
        ).values_list("day", flat=True)
    )
    rows = list(WorkingDay.objects.values_list("weekday", "opens", "closes"))
    if not rows:
        return clock.WorkWeek.iranian(tz=tz, holidays=holidays)
    days: dict[int, tuple[time, time]] = {
        weekday: (opens, closes) for weekday, opens, closes in rows
    }
    return clock.WorkWeek(tz=tz, days=days, holidays=holidays)


def targets_for(category_id: int | None, priority: str) -> tuple[int, int]:
    """(first response, resolution) in business minutes: the category's, the default's, ours."""
    # Not ``category_id__in=[id, None]``: Django drops None from IN lists, which silently lost
    # the default row (and matched nothing at all for a ticket without a category).
    scope = Q(category__isnull=True)
    if category_id is not None:
        scope |= Q(category_id=category_id)
    policies = {
        policy.category_id: policy for policy in SlaPolicy.objects.filter(scope, priority=priority)
    }
    policy = policies.get(category_id) or policies.get(None)
    if policy is not None:
        return policy.first_response_minutes, policy.resolution_minutes
    return DEFAULT_TARGETS[Priority(priority)]


def _due(ticket: Ticket, minutes: int, week: clock.WorkWeek) -> datetime:
    return clock.deadline(ticket.created_at, minutes * 60, ticket.paused_seconds, week)


def start(ticket: Ticket, week: clock.WorkWeek | None = None) -> None:
    """Set the targets and deadlines of a new (or re-prioritised) ticket; the caller saves."""
    week = week or work_week(around=ticket.created_at)
    response, resolution = targets_for(ticket.category_id, ticket.priority)
    ticket.sla_response_minutes, ticket.sla_resolution_minutes = response, resolution
    if ticket.paused_since is None:
        _refresh_deadlines(ticket, week)


def _refresh_deadlines(ticket: Ticket, week: clock.WorkWeek) -> None:
    # A deadline that moved deserves its own warning: the old one was for another time.
    if ticket.first_responded_at is None:
        due = _due(ticket, ticket.sla_response_minutes, week)
        if due != ticket.first_response_due:
            ticket.response_warned_at = None
        ticket.first_response_due = due
    due = _due(ticket, ticket.sla_resolution_minutes, week)
    if due != ticket.resolution_due:
        ticket.resolution_warned_at = None
    ticket.resolution_due = due


def pause(ticket: Ticket, now: datetime) -> None:
    """Waiting on the customer: the clocks stop and the deadlines are withdrawn until resumed."""
    if ticket.paused_since is None:
        ticket.paused_since = now
        if ticket.first_responded_at is None:
            ticket.first_response_due = None
        ticket.resolution_due = None


def resume(ticket: Ticket, now: datetime, week: clock.WorkWeek | None = None) -> None:
    """The customer answered (or the agent took it back): the paused time moves the deadlines."""
    if ticket.paused_since is None:
        return
    week = week or work_week(around=now)
    paused = clock.business_seconds(ticket.paused_since, now, week)
    ticket.paused_seconds += paused
    ticket.paused_since = None
    warned = ticket.response_warned_at, ticket.resolution_warned_at
    _refresh_deadlines(ticket, week)  # the withdrawn deadlines come back, moved by the pause
    if paused == 0:
        # Paused only while the desk was closed: the deadlines are where they were, and so
        # are the warnings already sent for them.
        ticket.response_warned_at, ticket.resolution_warned_at = warned


def elapsed_seconds(ticket: Ticket, until: datetime, week: clock.WorkWeek) -> int:
    """Business seconds the ticket has been running by ``until``, pauses excluded."""
    running = clock.business_seconds(ticket.created_at, until, week) - ticket.paused_seconds
    if ticket.paused_since is not None and ticket.paused_since < until:
        running -= clock.business_seconds(ticket.paused_since, until, week)
    return max(running, 0)


def remaining_seconds(due: datetime | None, now: datetime, week: clock.WorkWeek) -> int | None:
    """Business seconds left before ``due`` (negative once it has passed); None when paused."""
    if due is None:
        return None
    if due >= now:
        return clock.business_seconds(now, due, week)
    return -clock.business_seconds(due, now, week)
