"""The SLA sweep: one warning before a deadline, one escalation after it, whatever the sweeps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from mehvar.core.jalali import TEHRAN
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.core.roles import Role
from mehvar.service import escalation, tickets
from mehvar.service.models import DeskSettings, Ticket

pytestmark = pytest.mark.django_db


def tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


# Wednesday 1 January 2025, 15:00: normal priority is due Thursday 11:00 (first response) and
# Monday 6 January 11:00 (resolution); the desk warns 60 business minutes ahead.
OPENED = tehran(2025, 1, 1, 15)
RESPONSE_DUE = tehran(2025, 1, 2, 11)
RESOLUTION_DUE = tehran(2025, 1, 6, 11)


@pytest.fixture
def set_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    current: dict[str, datetime] = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def set_to(value: datetime) -> None:
        current["now"] = value.astimezone(UTC)

    return set_to


@pytest.fixture
def ticket(make_ticket: Any, desk: dict[str, Any], make_user: Any) -> Ticket:
    # A second manager hears of breaches too; the admin does not (managers run the desk).
    make_user(Role.MANAGER, username="manager2", email="manager2@example.com")
    desk["agent"].refresh_from_db()
    made: Ticket = make_ticket(created_at=OPENED, assignee=desk["agent"])
    assert (made.first_response_due, made.resolution_due) == (RESPONSE_DUE, RESOLUTION_DUE)
    return made


def escalations(ticket: Ticket) -> list[str]:
    events = TimelineEvent.objects.filter(
        customer=ticket.customer, kind=EventKind.TICKET_ESCALATED, ref_id=str(ticket.pk)
    )
    return sorted(event.data["which"] for event in events)


def sweep(capture: Any, now: datetime) -> escalation.SweepReport:
    with capture(execute=True):
        return escalation.sla_sweep(now=now)


def test_nothing_happens_well_before_a_deadline(
    ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 9, 59))
    assert (report.warned, report.escalated) == ([], [])
    assert mail.outbox == []


def test_the_assignee_is_warned_once_before_the_deadline(
    ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 30))
    assert report.warned == [(ticket.pk, "response")]
    assert report.escalated == []
    again = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 45))
    assert (again.warned, again.escalated) == ([], [])
    assert [message.to for message in mail.outbox] == [["service@example.com"]]
    assert ticket.number in mail.outbox[0].subject
    ticket.refresh_from_db()
    assert ticket.response_warned_at == tehran(2025, 1, 2, 10, 30)
    assert ticket.resolution_warned_at is None
    assert escalations(ticket) == []


def test_the_warning_window_is_in_business_minutes(
    ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    # Wednesday 15:30: an hour of business time ahead reaches only Thursday 08:30.
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 1, 15, 30)).warned == []
    DeskSettings.objects.filter(pk=1).update(warn_before_minutes=4 * 60)
    # Four business hours from Wednesday 15:30 reach Thursday 11:30: past the 11:00 deadline.
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 1, 15, 30))
    assert report.warned == [(ticket.pk, "response")]


def test_a_missed_deadline_escalates_once_to_the_lead_and_managers(
    ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    late = tehran(2025, 1, 2, 11, 1)
    first = sweep(django_capture_on_commit_callbacks, late)
    second = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 11, 30))
    assert first.escalated == [(ticket.pk, "response")]
    assert second.escalated == []
    assert escalations(ticket) == ["response"]
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["manager2@example.com", "manager@example.com"]
    assert ticket.number in mail.outbox[0].subject
    ticket.refresh_from_db()
    assert ticket.response_escalated_at == late
    assert ticket.resolution_escalated_at is None


def test_both_deadlines_escalate_once_each(
    ticket: Ticket, django_capture_on_commit_callbacks: Any
) -> None:
    after_both = tehran(2025, 1, 7, 9)
    first = sweep(django_capture_on_commit_callbacks, after_both)
    assert sorted(first.escalated) == [(ticket.pk, "resolution"), (ticket.pk, "response")]
    sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 7, 10))
    assert escalations(ticket) == ["resolution", "response"]
    assert len(mail.outbox) == 2


def test_two_interleaved_sweeps_escalate_once(
    ticket: Ticket, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second sweep runs between the first one's listing and its claim: one escalation."""
    real_escalate = escalation._escalate
    inner_reports: list[escalation.SweepReport] = []

    def interleaved(ticket_id: int, which: str, now: datetime, still: Any) -> bool:
        if not inner_reports:
            monkeypatch.setattr(escalation, "_escalate", real_escalate)
            inner_reports.append(escalation.sla_sweep(now=now))
        return real_escalate(ticket_id, which, now, still)

    monkeypatch.setattr(escalation, "_escalate", interleaved)
    outer = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 11, 5))
    assert inner_reports[0].escalated == [(ticket.pk, "response")]
    assert outer.escalated == []  # it listed the ticket, but lost the claim
    assert escalations(ticket) == ["response"]
    assert len(mail.outbox) == 1


def test_a_ticket_answered_after_the_sweep_listed_it_is_not_escalated(
    ticket: Ticket, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent replies between the sweep's listing and its claim: nobody is told of a breach."""
    real_escalate = escalation._escalate

    def answered_first(ticket_id: int, which: str, now: datetime, still: Any) -> bool:
        Ticket.objects.filter(pk=ticket_id).update(first_responded_at=now, response_seconds=1)
        return real_escalate(ticket_id, which, now, still)

    monkeypatch.setattr(escalation, "_escalate", answered_first)
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 11, 5))
    assert report.escalated == []
    assert escalations(ticket) == []
    assert mail.outbox == []


def test_a_ticket_waiting_on_the_customer_never_escalates(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 2, 9))
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="waiting")
    ticket.refresh_from_db()
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 2, 1, 9))
    assert (report.warned, report.escalated) == ([], [])
    assert escalations(ticket) == []
    assert mail.outbox == []


def test_a_resolved_or_closed_ticket_never_escalates(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 1, 15, 30))
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="حل شد"
    )
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 20, 9))
    assert (report.warned, report.escalated) == ([], [])
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="closed")
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 2, 20, 9))
    assert (report.warned, report.escalated) == ([], [])
    assert escalations(ticket) == []


def test_an_answered_ticket_does_not_escalate_its_first_response(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 2, 10))
    tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="بررسی می‌کنیم")
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 11, 30))
    assert report.escalated == []
    assert escalations(ticket) == []


def test_a_resumed_ticket_is_warned_again_for_its_new_deadline(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 2, 9))
    tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="سلام")
    first = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 10, 30))
    assert first.warned == [(ticket.pk, "resolution")]
    # Waiting on the customer from 10:40 to 12:00: the deadline moves 80 minutes to 12:20.
    set_now(tehran(2025, 1, 6, 10, 40))
    tickets.message_add(
        actor=desk["agent"], ticket=ticket, kind="reply", body="عکس؟", wait_for_customer=True
    )
    set_now(tehran(2025, 1, 6, 12))
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="این هم عکس")
    ticket.refresh_from_db()
    assert ticket.resolution_due == tehran(2025, 1, 6, 12, 20)
    assert ticket.resolution_warned_at is None
    second = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 12))
    assert second.warned == [(ticket.pk, "resolution")]
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 12, 10)).warned == []
    assert [message.to for message in mail.outbox] == [["service@example.com"]] * 2
    # The old deadline (11:00) passed while it was paused: no escalation for it.
    assert escalations(ticket) == []
    late = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 12, 21))
    assert late.escalated == [(ticket.pk, "resolution")]


def test_a_resumed_ticket_is_warned_again_for_its_new_first_response_deadline(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 30)).warned == [
        (ticket.pk, "response")
    ]
    set_now(tehran(2025, 1, 2, 10, 30))
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="waiting")
    set_now(tehran(2025, 1, 4, 9))  # paused Thursday 10:30-12 and Saturday 8-9: 2.5 h
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="open")
    ticket.refresh_from_db()
    assert ticket.first_response_due == tehran(2025, 1, 4, 9, 30)
    assert ticket.response_warned_at is None
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 4, 9))
    assert report.warned == [(ticket.pk, "response")]
    assert len(mail.outbox) == 2


def test_a_reopened_ticket_can_escalate_its_new_resolution_deadline(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 2, 9))
    tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="سلام")
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 11, 5)).escalated == [
        (ticket.pk, "resolution")
    ]
    set_now(tehran(2025, 1, 6, 12))
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="حل شد"
    )
    set_now(tehran(2025, 1, 11, 9))  # the customer writes back: reopened
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="باز هم خراب شد")
    ticket.refresh_from_db()
    assert ticket.status == "open"
    assert ticket.resolution_escalated_at is None
    late = ticket.resolution_due
    assert late is not None
    report = sweep(django_capture_on_commit_callbacks, late.replace(minute=late.minute + 1))
    assert report.escalated == [(ticket.pk, "resolution")]
    assert escalations(ticket) == ["resolution", "resolution"]


def test_a_new_priority_moves_the_deadline_and_earns_a_new_warning(
    ticket: Ticket, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 30)).warned == [
        (ticket.pk, "response")
    ]
    tickets.ticket_update(actor=desk["lead"], ticket=ticket, priority="low")
    ticket.refresh_from_db()
    # Low: 8 h from Wednesday 15:00 is Saturday 11:00.
    assert ticket.first_response_due == tehran(2025, 1, 4, 11)
    assert (ticket.response_warned_at, ticket.resolution_warned_at) == (None, None)
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 45)).warned == []
    report = sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 4, 10, 30))
    assert report.warned == [(ticket.pk, "response")]
    assert len(mail.outbox) == 2


def test_a_category_with_the_same_targets_keeps_the_warning_sent(
    ticket: Ticket, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from mehvar.service.models import Category

    sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 30))
    tickets.ticket_update(
        actor=desk["lead"], ticket=ticket, category=Category.objects.create(name_fa="ارسال")
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due == RESPONSE_DUE
    assert ticket.response_warned_at == tehran(2025, 1, 2, 10, 30)
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 2, 10, 45)).warned == []
    assert len(mail.outbox) == 1


def test_a_pause_while_the_desk_is_closed_keeps_the_warning_sent(
    ticket: Ticket,
    desk: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    set_now: Callable[[datetime], None],
) -> None:
    set_now(tehran(2025, 1, 2, 9))
    tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="سلام")
    assert sweep(django_capture_on_commit_callbacks, tehran(2025, 1, 6, 10, 30)).warned == [
        (ticket.pk, "resolution")
    ]
    # Waiting from Thursday evening to Saturday before opening: no business time passed...
    Ticket.objects.filter(pk=ticket.pk).update(resolution_warned_at=tehran(2025, 1, 2, 13))
    set_now(tehran(2025, 1, 2, 13))
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="waiting")
    set_now(tehran(2025, 1, 4, 7))
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="open")
    ticket.refresh_from_db()
    # ...so the deadline did not move, and its warning stands.
    assert (ticket.paused_seconds, ticket.resolution_due) == (0, RESOLUTION_DUE)
    assert ticket.resolution_warned_at == tehran(2025, 1, 2, 13)
