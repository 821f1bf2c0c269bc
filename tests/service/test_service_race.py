"""Two people (or two sweeps) at the same moment: the limits hold under real concurrency.

Each test starts its threads together on a barrier, each with its own database connection and
transaction, so they really overlap. SQLite serialises whole transactions and would prove
nothing: these run on PostgreSQL only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections
from django.db.models import Sum

from mehvar.core.errors import ErrorCode, ServiceError, ValidationFailed
from mehvar.core.jalali import TEHRAN
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.core.roles import Role
from mehvar.customers.orders import LineInput, order_create
from mehvar.feedback.models import Comment, FollowUp
from mehvar.service import compensation, escalation, returns, tickets
from mehvar.service.models import (
    CompensationEntry,
    CompensationRequest,
    RequestStatus,
    ReturnRequest,
    Ticket,
    TicketMessage,
)

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)
pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.django_db(transaction=True)]

MILLION = 1_000_000


def together(count: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``work(i)`` in ``count`` threads released at once: ("ok", result) or ("error", exc)."""
    start = threading.Barrier(count)
    results: list[tuple[str, Any]] = [("missing", None)] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = ("ok", work(index))
        except Exception as exc:
            # Kept, not raised: a thread's exception would be lost, and every refusal is
            # asserted by the test.
            results[index] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def outcomes(results: list[tuple[str, Any]]) -> tuple[list[Any], list[Exception]]:
    assert all(status != "missing" for status, _ in results)
    return (
        [value for status, value in results if status == "ok"],
        [value for status, value in results if status == "error"],
    )


def test_ten_agents_granting_at_once_cannot_exceed_the_budget(
    desk: dict[str, Any], make_ticket: Any, make_user: Any
) -> None:
    team = desk["team"]
    team.monthly_budget = 10 * MILLION
    team.save(update_fields=["monthly_budget"])
    agents = [make_user(Role.SERVICE, username=f"agent-{i}") for i in range(10)]
    team.members.add(*agents)
    ticket = make_ticket()

    def give(index: int) -> Any:
        return compensation.compensation_grant(
            actor=agents[index], ticket=ticket, kind="voucher", amount=3 * MILLION, reason="تاخیر"
        )

    granted, refused = outcomes(together(10, give))
    assert len(granted) == 3
    assert all(isinstance(entry, CompensationEntry) for entry in granted)
    assert len(refused) == 7
    assert all(
        isinstance(error, ServiceError) and error.code == ErrorCode.CONFLICT for error in refused
    ), refused
    assert CompensationEntry.objects.count() == 3
    assert CompensationEntry.objects.aggregate(total=Sum("amount"))["total"] == 9 * MILLION
    assert compensation.budget_of(team).left == MILLION
    assert TimelineEvent.objects.filter(kind=EventKind.COMPENSATION).count() == 3


def test_two_managers_approving_one_request_write_one_entry(
    desk: dict[str, Any], make_ticket: Any, make_user: Any, users: dict[str, Any]
) -> None:
    approvers = [
        desk["lead"],
        make_user(Role.MANAGER, username="manager2"),
        make_user(Role.MANAGER, username="manager3"),
        users["admin"],
    ]
    request = compensation.compensation_grant(
        actor=desk["agent"], ticket=make_ticket(), kind="refund", amount=8 * MILLION, reason="x"
    )
    assert isinstance(request, CompensationRequest)

    def approve(index: int) -> Any:
        return compensation.compensation_decide(
            actor=approvers[index], request=request, approve=True
        )

    decided, refused = outcomes(together(len(approvers), approve))
    assert len(decided) == 1
    assert len(refused) == len(approvers) - 1
    assert all(
        isinstance(error, ServiceError) and error.code == ErrorCode.CONFLICT for error in refused
    ), refused
    entry = CompensationEntry.objects.get()
    request.refresh_from_db()
    assert (request.status, request.entry_id) == (RequestStatus.APPROVED, entry.pk)
    assert entry.approved_by == request.decided_by == decided[0].decided_by


@pytest.mark.parametrize("with_team", [True, False])
def test_one_grant_reversed_at_once_by_several_managers_is_reversed_once(
    desk: dict[str, Any], make_ticket: Any, make_user: Any, users: dict[str, Any], with_team: bool
) -> None:
    ticket = make_ticket()
    if with_team:
        entry = compensation.compensation_grant(
            actor=desk["agent"], ticket=ticket, kind="voucher", amount=MILLION, reason="x"
        )
    else:
        # A refund of a ticket without a team: no team row to lock, the unique index decides.
        Ticket.objects.filter(pk=ticket.pk).update(team=None)
        ticket.refresh_from_db()
        entry = compensation.write_entry(
            ticket=ticket,
            kind="refund",
            amount=MILLION,
            reason="x",
            granted_by=desk["agent"],
            counts_to_budget=False,
        )
    assert isinstance(entry, CompensationEntry)
    managers = [desk["lead"], users["admin"], *(make_user(Role.MANAGER) for _ in range(3))]

    def reverse(index: int) -> Any:
        return compensation.compensation_reverse(
            actor=managers[index], entry=entry, reason="اشتباه"
        )

    reversed_, refused = outcomes(together(len(managers), reverse))
    assert len(reversed_) == 1
    assert all(
        isinstance(error, ServiceError) and error.code == ErrorCode.CONFLICT for error in refused
    ), refused
    assert CompensationEntry.objects.filter(reverses=entry).count() == 1
    assert CompensationEntry.objects.aggregate(total=Sum("amount"))["total"] == 0


def test_the_last_unit_is_returned_once(
    desk: dict[str, Any], make_customer: Any, users: dict[str, Any], make_user: Any
) -> None:
    order = order_create(
        actor=users["admin"],
        customer=make_customer(),
        number="S-1",
        lines=[LineInput(quantity=1, unit_price=MILLION, description="کتری")],
        status="delivered",
    )
    line = order.lines.get()
    agents = [desk["agent"], desk["agent2"], *(make_user(Role.SERVICE) for _ in range(3))]

    def ask(index: int) -> Any:
        return returns.return_request(actor=agents[index], line=line, quantity=1, reason="خراب")

    asked, refused = outcomes(together(len(agents), ask))
    assert len(asked) == 1
    assert all(
        isinstance(error, ValidationFailed) and set(error.errors) == {"quantity"}
        for error in refused
    ), refused
    assert ReturnRequest.objects.count() == 1
    assert Ticket.objects.count() == 1  # the refused ones' tickets went with their transactions
    assert returns.returnable_quantity(line) == 0


def test_sweeps_running_at_once_escalate_once(desk: dict[str, Any], make_ticket: Any) -> None:
    # Opened Wednesday 1 January 2025 15:00 Tehran: first response due Thursday 11:00.
    ticket = make_ticket(created_at=datetime(2025, 1, 1, 15, tzinfo=TEHRAN))
    near = make_ticket(created_at=datetime(2025, 1, 2, 8, tzinfo=TEHRAN))  # due 12:00
    now = datetime(2025, 1, 2, 11, 30, tzinfo=TEHRAN)
    mail.outbox.clear()  # the assignees' "new ticket" mails

    reports, errors = outcomes(together(4, lambda _: escalation.sla_sweep(now=now)))
    assert errors == []
    assert sorted(item for report in reports for item in report.escalated) == [
        (ticket.pk, "response")
    ]
    assert sorted(item for report in reports for item in report.warned) == [(near.pk, "response")]
    assert TimelineEvent.objects.filter(kind=EventKind.TICKET_ESCALATED).count() == 1
    subjects = sorted(message.subject for message in mail.outbox)
    assert len(subjects) == 2  # one escalation to the lead and managers, one warning
    assert sum(ticket.number in subject for subject in subjects) == 1
    assert sum(near.number in subject for subject in subjects) == 1


def test_a_follow_up_turned_into_a_ticket_by_two_people_at_once_is_one_ticket(
    desk: dict[str, Any], make_customer: Any, users: dict[str, Any]
) -> None:
    customer = make_customer()
    comment = Comment.objects.create(
        customer=customer,
        source="import",
        ref_type="test",
        ref_id="1",
        text="پیک دیر آمد و بد رفتار کرد",
        sentiment="negative",
    )
    follow_up = FollowUp.objects.create(
        comment=comment, customer=customer, reasons=["negative_comment"], due_at=comment.occurred_at
    )
    actors = [desk["agent"], desk["agent2"], desk["lead"], users["sales"]]

    def convert(index: int) -> Any:
        return tickets.ticket_from_follow_up(actor=actors[index], follow_up_id=follow_up.pk)

    made, errors = outcomes(together(len(actors), convert))
    assert errors == []
    assert len({ticket.pk for ticket in made}) == 1
    assert Ticket.objects.get().follow_up_id == follow_up.pk


def test_one_email_read_by_two_pollers_at_once_opens_one_ticket(
    desk: dict[str, Any], make_customer: Any
) -> None:
    customer = make_customer(email="ali@example.com")

    def receive(_: int) -> Any:
        return tickets.ticket_create(
            actor=None,
            customer=customer,
            subject="کتری خراب",
            body="کتری خراب رسید",
            channel="email",
            email_message_id="<same@mail.example>",
        )

    made, errors = outcomes(together(4, receive))
    assert errors == []
    assert len({ticket.pk for ticket in made}) == 1
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1


def test_one_email_answer_read_twice_at_once_is_one_message(
    desk: dict[str, Any], make_ticket: Any
) -> None:
    ticket = make_ticket()

    def receive(_: int) -> Any:
        return tickets.message_add(
            actor=None,
            ticket=ticket,
            kind="customer",
            body="این هم عکس",
            channel="email",
            email_message_id="<answer@mail.example>",
        )

    made, errors = outcomes(together(4, receive))
    assert errors == []
    assert len({message.pk for message in made}) == 1
    assert TicketMessage.objects.filter(ticket=ticket).count() == 2
