"""Returns under the money-back guarantee: asked within the window, received, inspected, refunded.

The desk's guarantee is 7 days after delivery; a refund is a ledger line outside the budget.
Two requests for the last unit at once are in test_service_race.py (PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from persian_check import assert_persian, in_english

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.jalali import format_jalali
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.models import Order, OrderLine
from mehvar.customers.orders import LineInput, order_create
from mehvar.service import compensation, returns
from mehvar.service.models import (
    CompensationEntry,
    ReturnRequest,
    ReturnStatus,
    Ticket,
    TicketKind,
)

pytestmark = pytest.mark.django_db

MILLION = 1_000_000


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer()


@pytest.fixture
def make_order(users: dict[str, Any], customer: Any) -> Any:
    numbers = iter(range(1000, 2000))

    def make(
        *,
        days_ago: float = 2,
        status: str = "delivered",
        lines: list[LineInput] | None = None,
        discount: int = 0,
        owner: Any = None,
    ) -> Order:
        return order_create(
            actor=users["admin"],
            customer=owner or customer,
            number=f"S-{next(numbers)}",
            lines=lines or [LineInput(quantity=3, unit_price=MILLION, description="کتری برقی")],
            placed_at=timezone.now() - timedelta(days=days_ago),
            status=status,
            discount=discount,
        )

    return make


@pytest.fixture
def line(make_order: Any) -> OrderLine:
    found: OrderLine = make_order().lines.get()
    return found


def ask(actor: Any, line: OrderLine, quantity: int = 1, **extra: Any) -> ReturnRequest:
    extra.setdefault("reason", "کار نمی‌کند")
    return returns.return_request(actor=actor, line=line, quantity=quantity, **extra)


def test_a_return_opens_a_return_ticket_and_lands_on_the_timeline(
    line: OrderLine, desk: dict[str, Any]
) -> None:
    ret = ask(desk["agent"], line, 2)
    assert (ret.status, ret.quantity, ret.order_id, ret.requested_by) == (
        ReturnStatus.REQUESTED,
        2,
        line.order_id,
        desk["agent"],
    )
    ticket = ret.ticket
    assert ticket.kind == TicketKind.RETURN
    assert (ticket.order_id, ticket.customer_id, ticket.team) == (
        line.order_id,
        line.order.customer_id,
        desk["team"],
    )
    assert line.order.number in ticket.subject
    assert ticket.messages.get().body == "کار نمی‌کند"
    kinds = list(
        TimelineEvent.objects.filter(customer_id=ticket.customer_id)
        .filter(kind__in=[EventKind.TICKET_OPENED, EventKind.RETURN])
        .order_by("pk")
        .values_list("kind", flat=True)
    )
    assert kinds == [EventKind.TICKET_OPENED, EventKind.RETURN]
    assert returns.returnable_quantity(line) == 1


def test_a_return_joins_the_customers_existing_ticket(
    line: OrderLine, desk: dict[str, Any], make_ticket: Any, make_customer: Any
) -> None:
    ticket = make_ticket(customer=line.order.customer, order=line.order)
    ret = ask(desk["agent"], line, ticket=ticket)
    assert ret.ticket_id == ticket.pk
    assert Ticket.objects.count() == 1
    other = make_ticket(customer=make_customer())
    with pytest.raises(ValidationFailed) as caught:
        ask(desk["agent"], line, ticket=other)
    assert set(caught.value.errors) == {"ticket"}
    with translation.override("en"):
        assert str(caught.value.errors["ticket"]) == "This ticket belongs to another customer."


def test_no_more_than_was_bought_comes_back(line: OrderLine, desk: dict[str, Any]) -> None:
    ask(desk["agent"], line, 2)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        ask(desk["agent"], line, 2)
    assert in_english(caught.value.errors) == {
        "quantity": "At most 1 of this line can still come back."
    }
    assert ReturnRequest.objects.count() == 1
    # Services answer in the language of the request that calls them: ask again in Persian.
    with translation.override("fa"), pytest.raises(ValidationFailed) as persian:
        ask(desk["agent"], line, 2)
    assert_persian(
        persian.value.errors["quantity"], "At most %(n)d of this line can still come back."
    )


def test_a_rejected_return_frees_its_quantity(line: OrderLine, desk: dict[str, Any]) -> None:
    ret = ask(desk["agent"], line, 3)
    assert returns.returnable_quantity(line) == 0
    returns.return_receive(actor=desk["agent"], ret=ret)
    returns.return_inspect(
        actor=desk["agent"], ret=ret, result="damaged_by_use", accept=False, note="شکسته"
    )
    assert returns.returnable_quantity(line) == 3
    assert ask(desk["agent"], line, 3).quantity == 3


@pytest.mark.parametrize("quantity", [0, -1, True, "2", 1.5, None])
def test_a_bad_quantity_is_refused_on_its_field(
    line: OrderLine, desk: dict[str, Any], quantity: Any
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        ask(desk["agent"], line, quantity)
    assert in_english(caught.value.errors) == {"quantity": "Enter a whole number above zero."}
    assert ReturnRequest.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert_persian(caught.value.errors["quantity"], "Enter a whole number above zero.")


@pytest.mark.parametrize(
    ("reason", "english"),
    [("", "Say why the goods come back."), ("x" * 501, "At most 500 characters.")],
)
def test_a_return_needs_a_reason(
    line: OrderLine, desk: dict[str, Any], reason: str, english: str
) -> None:
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        ask(desk["agent"], line, reason=reason)
    assert in_english(caught.value.errors) == {"reason": english}
    assert ReturnRequest.objects.count() == 0


def test_outside_the_guarantee_the_message_names_the_jalali_date(
    make_order: Any, desk: dict[str, Any]
) -> None:
    order = make_order(days_ago=8)
    line = order.lines.get()
    ends = returns.guarantee_ends(order)
    assert ends == order.delivered_at + timedelta(days=7)
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        ask(desk["agent"], line)
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.message == (
        f"The money-back guarantee of this order ended on {format_jalali(ends)}."
    )
    assert format_jalali(ends).startswith("14")  # a Jalali year, not 2026
    assert ReturnRequest.objects.count() == 0
    assert Ticket.objects.count() == 0
    with translation.override("fa"), pytest.raises(ServiceError) as persian:
        ask(desk["agent"], line)
    assert format_jalali(ends, persian_digits=True) in persian.value.message
    assert_persian(
        str(persian.value.message).replace(format_jalali(ends, persian_digits=True), ""),
        "The money-back guarantee of this order ended on %(date)s.",
    )


def test_the_window_counts_from_delivery_and_includes_its_last_moment(
    make_order: Any, desk: dict[str, Any]
) -> None:
    order = make_order(days_ago=20)
    Order.objects.filter(pk=order.pk).update(delivered_at=timezone.now() - timedelta(days=3))
    order.refresh_from_db()
    line = order.lines.get()
    ends = returns.guarantee_ends(order)
    assert ask(desk["agent"], line, now=ends).quantity == 1
    with pytest.raises(ServiceError):
        ask(desk["agent"], line, now=ends + timedelta(seconds=1))


def test_an_undelivered_paid_order_counts_from_the_sale(
    make_order: Any, desk: dict[str, Any]
) -> None:
    order = make_order(days_ago=3, status="paid")
    assert order.delivered_at is None
    assert returns.guarantee_ends(order) == order.placed_at + timedelta(days=7)
    assert ask(desk["agent"], order.lines.get()).quantity == 1


@pytest.mark.parametrize("status", ["cancelled", "pending", "returned"])
def test_a_cancelled_or_unpaid_order_cannot_be_returned(
    make_order: Any, desk: dict[str, Any], status: str
) -> None:
    line = make_order(status=status).lines.get()
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        ask(desk["agent"], line)
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.message == "Only a paid, shipped or delivered order can be returned."
    assert ReturnRequest.objects.count() == 0
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("role", ["sales", "marketing"])
def test_sales_and_marketing_do_not_handle_returns(
    line: OrderLine, users: dict[str, Any], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        ask(users[role], line)
    assert ReturnRequest.objects.count() == 0


def test_the_whole_way_to_a_refund_outside_the_budget(
    line: OrderLine, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    ret = ask(agent, line, 2)
    with pytest.raises(ServiceError):  # inspected before it arrived
        returns.return_inspect(actor=agent, ret=ret, result="defective", accept=True)
    with pytest.raises(ServiceError):  # refunded before it was accepted
        returns.return_refund(actor=agent, ret=ret)
    ret = returns.return_receive(actor=agent, ret=ret)
    assert ret.status == ReturnStatus.RECEIVED
    assert ret.received_at is not None
    with pytest.raises(ServiceError):
        returns.return_receive(actor=agent, ret=ret)
    ret = returns.return_inspect(
        actor=agent, ret=ret, result="defective", accept=True, refund_amount=1_500_000
    )
    assert (ret.status, ret.inspection, ret.refund_amount, ret.inspected_by) == (
        ReturnStatus.ACCEPTED,
        "defective",
        1_500_000,
        agent,
    )
    ret = returns.return_refund(actor=agent, ret=ret)
    assert ret.status == ReturnStatus.REFUNDED
    refund = CompensationEntry.objects.get()
    assert ret.refund == refund
    assert (refund.amount, refund.kind, refund.counts_to_budget, refund.ticket_id) == (
        1_500_000,
        "refund",
        False,
        ret.ticket_id,
    )
    assert compensation.budget_of(desk["team"]).spent == 0
    with pytest.raises(ServiceError):
        returns.return_refund(actor=agent, ret=ret)
    assert CompensationEntry.objects.count() == 1
    statuses = [
        event.data["status"]
        for event in TimelineEvent.objects.filter(kind=EventKind.RETURN).order_by("pk")
    ]
    assert statuses == ["requested", "received", "accepted", "refunded"]


def test_the_refund_is_at_most_what_was_paid_with_the_discount_spread(
    make_order: Any, desk: dict[str, Any]
) -> None:
    order = make_order(
        lines=[
            LineInput(quantity=2, unit_price=MILLION, description="لیوان"),
            LineInput(quantity=1, unit_price=2 * MILLION, description="قوری"),
        ],
        discount=MILLION,  # 4,000,000 gross, 3,000,000 paid: every Rial at 75 %
    )
    cups = order.lines.get(description="لیوان")
    assert returns.paid_for(cups, 1) == 750_000
    assert returns.paid_for(cups, 2) == 1_500_000
    ret = returns.return_receive(actor=desk["agent"], ret=ask(desk["agent"], cups, 1))
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        returns.return_inspect(
            actor=desk["agent"], ret=ret, result="as_new", accept=True, refund_amount=750_001
        )
    assert in_english(caught.value.errors) == {
        "refund_amount": "At most what the customer paid for these goods: 75,000 Toman."
    }
    for bad in (0, -1, True):
        with pytest.raises(ValidationFailed) as zero:
            returns.return_inspect(
                actor=desk["agent"], ret=ret, result="as_new", accept=True, refund_amount=bad
            )
        assert set(zero.value.errors) == {"refund_amount"}
    accepted = returns.return_inspect(actor=desk["agent"], ret=ret, result="as_new", accept=True)
    assert accepted.refund_amount == 750_000


def test_a_refusal_needs_a_note_and_a_known_result(line: OrderLine, desk: dict[str, Any]) -> None:
    ret = returns.return_receive(actor=desk["agent"], ret=ask(desk["agent"], line))
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        returns.return_inspect(actor=desk["agent"], ret=ret, result="broken", accept=False)
    assert in_english(caught.value.errors) == {
        "inspection": "Choose one of the listed options.",
        "inspection_note": "Say why the return is refused.",
    }
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.RECEIVED
    refused = returns.return_inspect(
        actor=desk["agent"], ret=ret, result="damaged_by_use", accept=False, note="ضربه خورده"
    )
    assert (refused.status, refused.refund_amount) == (ReturnStatus.REJECTED, None)
    with pytest.raises(ServiceError):
        returns.return_refund(actor=desk["agent"], ret=refused)


def test_a_refund_above_the_agents_limit_needs_a_manager(
    make_order: Any, desk: dict[str, Any]
) -> None:
    order = make_order(lines=[LineInput(quantity=1, unit_price=8 * MILLION, description="یخچال")])
    ret = ask(desk["agent"], order.lines.get())
    returns.return_receive(actor=desk["agent"], ret=ret)
    returns.return_inspect(actor=desk["agent"], ret=ret, result="defective", accept=True)
    with pytest.raises(PermissionDenied):
        returns.return_refund(actor=desk["agent"], ret=ret)
    ret.refresh_from_db()
    assert ret.status == ReturnStatus.ACCEPTED
    assert CompensationEntry.objects.count() == 0
    refunded = returns.return_refund(actor=desk["lead"], ret=ret)
    assert refunded.refund is not None
    assert refunded.refund.amount == 8 * MILLION
