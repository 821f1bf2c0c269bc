"""SLA deadlines at the ticket level: targets, the admin's calendar, pauses and resumes.

The pure clock has its own property tests (test_service_clock.py); here the question is whether
tickets get the deadlines the clock promises when they are opened, answered, put on hold by
waiting on the customer, resumed and resolved through the services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mehvar.core.jalali import TEHRAN
from mehvar.service import clock, sla, tickets
from mehvar.service.models import (
    Category,
    Holiday,
    Priority,
    SlaPolicy,
    Ticket,
    TicketStatus,
    WorkingDay,
)

pytestmark = pytest.mark.django_db

HOUR = 3600
IRANIAN = clock.WorkWeek.iranian()


def tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


# Wednesday 1 January 2025 (1403/10/12), 15:00 in Tehran: one business hour before closing,
# Thursday is a half day and Friday is off.
WEDNESDAY_15 = tehran(2025, 1, 1, 15)


@pytest.fixture
def set_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Stop Django's clock at a chosen instant (the services read ``timezone.now``)."""
    current: dict[str, datetime] = {"now": timezone.now()}
    monkeypatch.setattr(timezone, "now", lambda: current["now"])

    def set_to(value: datetime) -> None:
        current["now"] = value.astimezone(UTC)

    return set_to


def test_the_example_dates_are_the_weekdays_they_are_named_for() -> None:
    names = [(WEDNESDAY_15 + timedelta(days=k)).strftime("%A") for k in range(7)]
    assert names == [
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
    ]


def test_a_normal_ticket_opened_wednesday_afternoon_gets_the_built_in_targets(
    make_ticket: Any,
) -> None:
    assert sla.DEFAULT_TARGETS[Priority.NORMAL] == (4 * 60, 24 * 60)
    ticket = make_ticket(created_at=WEDNESDAY_15)
    ticket.refresh_from_db()
    assert (ticket.sla_response_minutes, ticket.sla_resolution_minutes) == (240, 1440)
    # 4 h: Wednesday 15-16, Thursday 8-11.
    assert ticket.first_response_due == tehran(2025, 1, 2, 11)
    # 24 h: Wed 1 + Thu 4 + (Friday off) Sat 8 + Sun 8 + Mon 3 = Monday 11:00.
    assert ticket.resolution_due == tehran(2025, 1, 6, 11)
    assert ticket.paused_since is None
    assert ticket.paused_seconds == 0


@pytest.mark.parametrize(
    ("priority", "response_due", "resolution_due"),
    [
        # 1 h: Wednesday 15-16. 4 h: Wed 1 + Thu 3.
        (Priority.URGENT, tehran(2025, 1, 1, 16), tehran(2025, 1, 2, 11)),
        # 2 h: Wed 1 + Thu 1. 8 h: Wed 1 + Thu 4 + Sat 3.
        (Priority.HIGH, tehran(2025, 1, 2, 9), tehran(2025, 1, 4, 11)),
        # 8 h: Wed 1 + Thu 4 + Sat 3. 40 h: 1 + 4 + Sat 8 + Sun 8 + Mon 8 + Tue 8 + Wed 3.
        (Priority.LOW, tehran(2025, 1, 4, 11), tehran(2025, 1, 8, 11)),
    ],
)
def test_each_priority_has_its_own_built_in_deadlines(
    make_ticket: Any, priority: str, response_due: datetime, resolution_due: datetime
) -> None:
    ticket = make_ticket(created_at=WEDNESDAY_15, priority=priority)
    assert (ticket.first_response_due, ticket.resolution_due) == (response_due, resolution_due)


def test_the_admins_default_target_replaces_the_built_in_one(make_ticket: Any) -> None:
    SlaPolicy.objects.create(
        priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=8 * 60
    )
    assert sla.targets_for(None, Priority.NORMAL) == (60, 480)
    ticket = make_ticket(created_at=WEDNESDAY_15)
    assert (ticket.sla_response_minutes, ticket.sla_resolution_minutes) == (60, 480)
    assert ticket.first_response_due == tehran(2025, 1, 1, 16)
    assert ticket.resolution_due == tehran(2025, 1, 4, 11)
    # Another priority without a row of its own keeps the built-in target.
    assert sla.targets_for(None, Priority.LOW) == sla.DEFAULT_TARGETS[Priority.LOW]


def test_a_category_target_beats_the_default_one(make_ticket: Any) -> None:
    delivery = Category.objects.create(name_fa="ارسال", name_en="Delivery")
    billing = Category.objects.create(name_fa="صورتحساب", name_en="Billing")
    SlaPolicy.objects.create(
        priority=Priority.NORMAL, first_response_minutes=60, resolution_minutes=8 * 60
    )
    SlaPolicy.objects.create(
        category=delivery,
        priority=Priority.NORMAL,
        first_response_minutes=30,
        resolution_minutes=2 * 60,
    )
    assert sla.targets_for(delivery.pk, Priority.NORMAL) == (30, 120)
    # A category without a row of its own falls back to the default row.
    assert sla.targets_for(billing.pk, Priority.NORMAL) == (60, 480)
    # A category row for another priority does not apply.
    assert sla.targets_for(delivery.pk, Priority.HIGH) == sla.DEFAULT_TARGETS[Priority.HIGH]
    ticket = make_ticket(created_at=WEDNESDAY_15, category=delivery)
    assert ticket.first_response_due == tehran(2025, 1, 1, 15, 30)
    # 2 h: Wednesday 15-16, Thursday 8-9.
    assert ticket.resolution_due == tehran(2025, 1, 2, 9)


def test_a_category_target_applies_without_any_default_row(make_ticket: Any) -> None:
    delivery = Category.objects.create(name_fa="ارسال")
    SlaPolicy.objects.create(
        category=delivery,
        priority=Priority.NORMAL,
        first_response_minutes=30,
        resolution_minutes=60,
    )
    assert sla.targets_for(delivery.pk, Priority.NORMAL) == (30, 60)
    assert sla.targets_for(None, Priority.NORMAL) == sla.DEFAULT_TARGETS[Priority.NORMAL]


def test_a_holiday_row_stops_the_clock(make_ticket: Any) -> None:
    Holiday.objects.create(day=date(2025, 1, 2), name="تعطیل")  # the Thursday
    Holiday.objects.create(day=date(2025, 1, 4), name="تعطیل")  # the Saturday
    ticket = make_ticket(created_at=WEDNESDAY_15)
    # 4 h: Wednesday 1, Thursday/Friday/Saturday off, Sunday 8-11.
    assert ticket.first_response_due == tehran(2025, 1, 5, 11)
    # 24 h: Wed 1 + Sun 8 + Mon 8 + Tue 7.
    assert ticket.resolution_due == tehran(2025, 1, 7, 15)


def test_working_day_rows_replace_the_iranian_week(make_ticket: Any) -> None:
    # Saturday to Thursday 09:00-17:00 (Thursday a full day now), Friday still off.
    for weekday in (5, 6, 0, 1, 2, 3):
        WorkingDay.objects.create(weekday=weekday, opens=time(9), closes=time(17))
    ticket = make_ticket(created_at=WEDNESDAY_15)
    # 4 h: Wednesday 15-17, Thursday 9-11.
    assert ticket.first_response_due == tehran(2025, 1, 2, 11)
    # 24 h: Wed 2 + Thu 8 + Sat 8 + Sun 6 = Sunday 15:00.
    assert ticket.resolution_due == tehran(2025, 1, 5, 15)


def test_a_weekday_without_a_row_is_a_day_off(make_ticket: Any) -> None:
    # Only Saturday and Wednesday open: Thursday is off too now.
    for weekday in (5, 2):
        WorkingDay.objects.create(weekday=weekday, opens=time(8), closes=time(16))
    ticket = make_ticket(created_at=WEDNESDAY_15)
    assert ticket.first_response_due == tehran(2025, 1, 4, 11)


def test_waiting_on_the_customer_withdraws_the_deadlines_and_resuming_moves_them(
    make_ticket: Any, desk: dict[str, Any], set_now: Callable[[datetime], None]
) -> None:
    ticket = make_ticket(created_at=WEDNESDAY_15)
    original_due = ticket.resolution_due
    assert original_due == tehran(2025, 1, 6, 11)

    set_now(tehran(2025, 1, 2, 9))  # Thursday 09:00
    tickets.message_add(
        actor=desk["agent"],
        ticket=ticket,
        kind="reply",
        body="شماره سفارش؟",
        wait_for_customer=True,
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert ticket.first_responded_at == tehran(2025, 1, 2, 9)
    assert ticket.response_seconds == 2 * HOUR  # Wednesday 15-16, Thursday 8-9
    assert ticket.paused_since == tehran(2025, 1, 2, 9)
    assert ticket.resolution_due is None
    assert sla.remaining_seconds(ticket.resolution_due, timezone.now(), IRANIAN) is None

    set_now(tehran(2025, 1, 4, 10))  # Saturday 10:00: the customer answers
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="۱۲۳۴۵")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.paused_since is None
    # Paused Thursday 9-12 and Saturday 8-10: 5 business hours.
    assert ticket.paused_seconds == 5 * HOUR
    assert ticket.resolution_due == tehran(2025, 1, 6, 16)
    assert clock.business_seconds(original_due, ticket.resolution_due, IRANIAN) == 5 * HOUR
    # The first response was given: its deadline is history and does not move.
    assert ticket.first_response_due == tehran(2025, 1, 2, 11)

    set_now(tehran(2025, 1, 5, 12))  # Sunday 12:00
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="ارسال مجدد شد"
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.RESOLVED
    # Running Wed 1 + Thu 4 + Sat 8 + Sun 4 = 17 h, less the 5 h paused.
    assert ticket.resolution_seconds == 12 * HOUR
    assert ticket.resolved_at == tehran(2025, 1, 5, 12)


def test_a_pause_before_any_reply_moves_the_first_response_deadline_too(
    make_ticket: Any, desk: dict[str, Any], set_now: Callable[[datetime], None]
) -> None:
    ticket = make_ticket(created_at=WEDNESDAY_15)
    set_now(tehran(2025, 1, 1, 15, 30))
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="waiting")
    ticket.refresh_from_db()
    assert (ticket.first_response_due, ticket.resolution_due) == (None, None)
    set_now(tehran(2025, 1, 2, 10))  # paused Wed 15:30-16 and Thu 8-10: 2.5 h
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="open")
    ticket.refresh_from_db()
    assert ticket.paused_seconds == 9000
    # 4 h + 2.5 h from Wednesday 15:00: Wed 1 + Thu 4 + Sat 1.5.
    assert ticket.first_response_due == tehran(2025, 1, 4, 9, 30)


def test_the_time_a_ticket_stays_resolved_is_not_the_desks(
    make_ticket: Any, desk: dict[str, Any], set_now: Callable[[datetime], None]
) -> None:
    ticket = make_ticket(created_at=WEDNESDAY_15)
    set_now(tehran(2025, 1, 1, 15, 30))
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="حل شد"
    )
    ticket.refresh_from_db()
    assert ticket.resolution_seconds == 30 * 60
    assert ticket.resolution_due is None
    set_now(tehran(2025, 1, 4, 9))  # reopened Saturday 09:00 by the customer's email
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="هنوز خراب است")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None
    # Resolved from Wednesday 15:30 to Saturday 09:00: 0.5 + 4 + 1 = 5.5 business hours.
    assert ticket.paused_seconds == 5 * HOUR + 30 * 60
    set_now(tehran(2025, 1, 4, 10))
    tickets.ticket_transition(
        actor=desk["agent"], ticket=ticket, status="resolved", resolution="تعویض شد"
    )
    ticket.refresh_from_db()
    assert ticket.resolution_seconds == 90 * 60  # 30 min before, 60 min after reopening


def test_a_new_priority_moves_the_deadlines_from_the_opening(
    make_ticket: Any, desk: dict[str, Any]
) -> None:
    ticket = make_ticket(created_at=WEDNESDAY_15)
    tickets.ticket_update(actor=desk["agent"], ticket=ticket, priority=Priority.URGENT)
    ticket.refresh_from_db()
    assert (ticket.sla_response_minutes, ticket.sla_resolution_minutes) == (60, 240)
    assert ticket.first_response_due == tehran(2025, 1, 1, 16)
    assert ticket.resolution_due == tehran(2025, 1, 2, 11)


def test_elapsed_and_remaining_business_time() -> None:
    ticket = Ticket(created_at=WEDNESDAY_15, paused_seconds=HOUR)
    # Running Wednesday 15-16 and Thursday 8-12 (5 h), one of them paused earlier.
    assert sla.elapsed_seconds(ticket, tehran(2025, 1, 3, 10), IRANIAN) == 4 * HOUR
    ticket.paused_since = tehran(2025, 1, 2, 10)  # paused since Thursday 10:00
    assert sla.elapsed_seconds(ticket, tehran(2025, 1, 4, 9), IRANIAN) == 2 * HOUR
    due = tehran(2025, 1, 4, 10)
    assert sla.remaining_seconds(due, tehran(2025, 1, 2, 11), IRANIAN) == 3 * HOUR
    assert sla.remaining_seconds(due, tehran(2025, 1, 4, 12), IRANIAN) == -2 * HOUR


# --- the property: whatever the pauses, the paused business time is not the desk's ------------

# A step after the previous one: minutes later (up to ~3 days), then pause or resume.
steps = st.lists(st.integers(min_value=1, max_value=3 * 24 * 60), min_size=0, max_size=6)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opened_offset=st.integers(min_value=0, max_value=7 * 24 * 60),
    gaps=steps,
    last_gap=st.integers(min_value=1, max_value=3 * 24 * 60),
    pause_by_reply=st.lists(st.booleans(), min_size=6, max_size=6),
    resume_by_customer=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_resolution_time_is_running_less_paused_business_time(
    make_ticket: Any,
    desk: dict[str, Any],
    set_now: Callable[[datetime], None],
    opened_offset: int,
    gaps: list[int],
    last_gap: int,
    pause_by_reply: list[bool],
    resume_by_customer: list[bool],
) -> None:
    agent = desk["agent"]
    opened = WEDNESDAY_15 + timedelta(minutes=opened_offset)
    with transaction.atomic():
        ticket = make_ticket(created_at=opened)
        now = opened
        paused_total = 0
        paused_at: datetime | None = None
        last_due = ticket.resolution_due
        assert last_due == clock.deadline(opened, 24 * HOUR, 0, IRANIAN)
        for index, gap in enumerate(gaps):
            now += timedelta(minutes=gap)
            set_now(now)
            if paused_at is None:
                if pause_by_reply[index]:
                    tickets.message_add(
                        actor=agent,
                        ticket=ticket,
                        kind="reply",
                        body="لطفا عکس بفرستید",
                        wait_for_customer=True,
                    )
                else:
                    tickets.ticket_transition(actor=agent, ticket=ticket, status="waiting")
                paused_at = now
                ticket.refresh_from_db()
                assert ticket.status == TicketStatus.WAITING
                assert ticket.resolution_due is None
            else:
                if resume_by_customer[index]:
                    tickets.message_add(
                        actor=None, ticket=ticket, kind="customer", body="عکس فرستادم"
                    )
                else:
                    tickets.ticket_transition(actor=agent, ticket=ticket, status="open")
                paused_total += clock.business_seconds(paused_at, now, IRANIAN)
                paused_at = None
                ticket.refresh_from_db()
                assert ticket.status == TicketStatus.OPEN
                assert ticket.paused_seconds == paused_total
                assert ticket.resolution_due is not None
                assert ticket.resolution_due >= last_due  # never earlier after a pause
                assert ticket.resolution_due == clock.deadline(
                    opened, 24 * HOUR, paused_total, IRANIAN
                )
                if ticket.first_responded_at is None:
                    assert ticket.first_response_due == clock.deadline(
                        opened, 4 * HOUR, paused_total, IRANIAN
                    )
                last_due = ticket.resolution_due
        now += timedelta(minutes=last_gap)
        set_now(now)
        tickets.ticket_transition(
            actor=agent, ticket=ticket, status="resolved", resolution="انجام شد"
        )
        if paused_at is not None:
            paused_total += clock.business_seconds(paused_at, now, IRANIAN)
        ticket.refresh_from_db()
        running = clock.business_seconds(opened, now, IRANIAN)
        assert ticket.resolution_seconds == running - paused_total
        assert ticket.paused_seconds == paused_total
        transaction.set_rollback(True)
