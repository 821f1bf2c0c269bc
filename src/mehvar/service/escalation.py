"""The SLA sweep: warn the assignee before a deadline, escalate to the lead and managers after.

Each warning and escalation is claimed with a conditional UPDATE (``… WHERE escalated_at IS
NULL``): however many sweeps overlap, exactly one of them wins a ticket's escalation, records it
on the timeline and sends the mail after its commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Final

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from mehvar.core.models import Channel, Department, EventKind
from mehvar.core.timeline import record_touchpoint
from mehvar.service import clock, sla
from mehvar.service.models import OPEN_STATUSES, DeskSettings, Ticket

# (deadline field, claimed-at field, the deadline is over once this is set)
_CLOCKS: Final = {
    "response": ("first_response_due", "first_responded_at"),
    "resolution": ("resolution_due", "resolved_at"),
}


@dataclass
class SweepReport:
    warned: list[tuple[int, str]] = field(default_factory=list)
    escalated: list[tuple[int, str]] = field(default_factory=list)


def _claim(ticket_id: int, column: str, now: datetime, still: dict[str, object]) -> bool:
    """Take the warning or escalation if nobody took it and the ticket is *still* in the state
    the sweep saw: answered, resolved or paused a moment ago, it is no longer anybody's news."""
    running = {"status__in": OPEN_STATUSES, "paused_since__isnull": True}
    rows = Ticket.objects.filter(pk=ticket_id, **{f"{column}__isnull": True}, **running, **still)
    return rows.update(**{column: now}) == 1


def sla_sweep(*, now: datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    week = sla.work_week(around=now)
    warn_minutes = DeskSettings.current().warn_before_minutes
    soon = clock.add_business_seconds(now, warn_minutes * 60, week)
    report = SweepReport()
    running = Ticket.objects.filter(status__in=OPEN_STATUSES, paused_since__isnull=True)
    for which, (due_field, done_field) in _CLOCKS.items():
        pending = running.filter(**{f"{done_field}__isnull": True})
        is_late = {f"{done_field}__isnull": True, f"{due_field}__lt": now}
        late = pending.filter(**is_late, **{f"{which}_escalated_at__isnull": True})
        for ticket_id in list(late.values_list("pk", flat=True)):
            if _escalate(ticket_id, which, now, is_late):
                report.escalated.append((ticket_id, which))
        is_near = {
            f"{done_field}__isnull": True,
            f"{due_field}__gte": now,
            f"{due_field}__lte": soon,
        }
        near = pending.filter(**is_near, **{f"{which}_warned_at__isnull": True})
        for ticket_id in list(near.values_list("pk", flat=True)):
            if _claim(ticket_id, f"{which}_warned_at", now, is_near):
                report.warned.append((ticket_id, which))
                transaction.on_commit(partial(_warn_later, ticket_id, which), robust=True)
    return report


@transaction.atomic
def _escalate(ticket_id: int, which: str, now: datetime, still: dict[str, object]) -> bool:
    if not _claim(ticket_id, f"{which}_escalated_at", now, still):
        return False
    ticket = Ticket.objects.select_related("customer").get(pk=ticket_id)
    with override("fa"):
        summary = _("%(ticket)s missed its %(which)s deadline") % {
            "ticket": ticket.number,
            "which": _("first response") if which == "response" else _("resolution"),
        }
    record_touchpoint(
        customer=ticket.customer,
        kind=EventKind.TICKET_ESCALATED,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=summary,
        ref=ticket,
        occurred_at=now,
        data={"which": which, "assignee": ticket.assignee_id},
    )
    transaction.on_commit(lambda: _escalate_later(ticket_id, which), robust=True)
    return True


def _warn_later(ticket_id: int, which: str) -> None:
    from mehvar.service.tasks import send_deadline_warning

    send_deadline_warning(ticket_id, which)


def _escalate_later(ticket_id: int, which: str) -> None:
    from mehvar.service.tasks import send_escalation

    send_escalation(ticket_id, which)
