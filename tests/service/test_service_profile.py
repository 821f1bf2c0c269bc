"""A customer's service history and the "always dissatisfied" signal (seed 001)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mehvar.customers.orders import LineInput, order_create
from mehvar.service import compensation, profile, tickets
from mehvar.service.models import Category, CompensationEntry

MILLION = 1_000_000


@pytest.mark.parametrize(
    ("complaints", "compensation_rial", "revenue", "reasons"),
    [
        (0, 0, 0, ()),
        (3, 0, 10 * MILLION, ()),
        (4, 0, 100 * MILLION, ("many_complaints",)),  # a pattern whatever they spend
        (2, 2_500_001, 10 * MILLION, ("costly",)),  # just above a quarter
        (2, 2_500_000, 10 * MILLION, ()),  # exactly a quarter is not above it
        (1, 9 * MILLION, 10 * MILLION, ()),  # one complaint is not a pattern
        (2, 1, 0, ("costly",)),  # compensated without buying anything
        (2, 0, 0, ()),
        (5, 5 * MILLION, 10 * MILLION, ("many_complaints", "costly")),
    ],
)
def test_always_dissatisfied_rule(
    complaints: int, compensation_rial: int, revenue: int, reasons: tuple[str, ...]
) -> None:
    assert profile.always_dissatisfied(complaints, compensation_rial, revenue) == reasons


@pytest.fixture
def shopper(make_customer: Any, users: dict[str, Any]) -> Any:
    customer = make_customer()
    now = timezone.now()
    for number, total, status, days_ago in (
        ("P-1", 2 * MILLION, "delivered", 30),
        ("P-2", MILLION, "paid", 5),
        ("P-3", 50 * MILLION, "cancelled", 5),  # not revenue
        ("P-4", 70 * MILLION, "delivered", 400),  # outside the year
    ):
        order_create(
            actor=users["admin"],
            customer=customer,
            number=number,
            lines=[LineInput(quantity=1, unit_price=total, description="کالا")],
            status=status,
            placed_at=now - timedelta(days=days_ago),
        )
    return customer


@pytest.mark.django_db
def test_the_profile_counts_the_last_year(
    shopper: Any, make_ticket: Any, desk: dict[str, Any]
) -> None:
    now = timezone.now()
    make_ticket(customer=shopper, kind="complaint", created_at=now - timedelta(days=400))
    first = make_ticket(customer=shopper, kind="complaint", created_at=now - timedelta(days=20))
    repeat = make_ticket(customer=shopper, kind="complaint", order=None, category=None)
    question = make_ticket(customer=shopper, kind="question")
    assert repeat.repeat_of is None  # nothing in common with the first
    agent = desk["agent"]
    compensation.compensation_grant(
        actor=agent, ticket=first, kind="voucher", amount=MILLION, reason="تاخیر"
    )
    wrong = compensation.compensation_grant(
        actor=agent, ticket=first, kind="voucher", amount=3 * MILLION, reason="اشتباه"
    )
    assert isinstance(wrong, CompensationEntry)
    compensation.compensation_reverse(actor=desk["lead"], entry=wrong, reason="اشتباه")
    compensation.write_entry(  # a guarantee refund is not discretionary compensation
        ticket=first,
        kind="refund",
        amount=5 * MILLION,
        reason="بازگشت",
        granted_by=agent,
        counts_to_budget=False,
    )
    tickets.ticket_transition(actor=agent, ticket=question, status="resolved", resolution="x")

    found = profile.service_profile(shopper.pk)
    # The year holds three tickets (two complaints); the old one is still open, so it counts
    # among the open tickets but not in the year's figures.
    assert (found.tickets, found.open_tickets, found.complaints, found.repeats) == (3, 3, 2, 0)
    assert (found.compensation, found.revenue) == (MILLION, 3 * MILLION)
    assert found.compensation_share == pytest.approx(1 / 3)
    assert (found.flagged, found.reasons) == (True, ("costly",))


@pytest.mark.django_db
def test_repeats_and_many_complaints(
    make_customer: Any, make_ticket: Any, users: dict[str, Any]
) -> None:
    customer = make_customer()
    delivery = Category.objects.create(name_fa="ارسال")
    for _ in range(4):
        make_ticket(customer=customer, kind="complaint", category=delivery)
    found = profile.service_profile(customer.pk)
    assert (found.complaints, found.repeats, found.compensation, found.revenue) == (4, 3, 0, 0)
    assert found.compensation_share is None
    assert (found.flagged, found.reasons) == (True, ("many_complaints",))


@pytest.mark.django_db
def test_a_customer_without_tickets_is_not_flagged(shopper: Any) -> None:
    found = profile.service_profile(shopper.pk)
    assert found == profile.ServiceProfile(
        tickets=0,
        open_tickets=0,
        complaints=0,
        repeats=0,
        compensation=0,
        revenue=3 * MILLION,
        flagged=False,
        reasons=(),
    )
