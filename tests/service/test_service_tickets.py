"""Tickets: opening, answering, moving, who may do what, repeat contacts, delivery, follow-ups.

Every step must land on the customer's timeline (seed 002), bad input must name its field in
the reader's language, and a refused step must leave nothing written.
"""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone, translation
from persian_check import assert_persian

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import Direction, EventKind, TimelineEvent
from mehvar.core.roles import Role
from mehvar.customers.models import Customer, Product
from mehvar.customers.orders import LineInput, order_create
from mehvar.feedback import responding, surveys
from mehvar.feedback.models import Comment, FollowUp
from mehvar.service import compensation, notify, returns, tickets
from mehvar.service.models import (
    Category,
    DeskSettings,
    MessageKind,
    Team,
    Ticket,
    TicketMessage,
    TicketStatus,
)

pytestmark = pytest.mark.django_db

BODY = "سفارشم سه روز دیر رسید."


def english(errors: dict[str, Any]) -> dict[str, str]:
    with translation.override("en"):
        return {field: str(message) for field, message in errors.items()}


def written() -> tuple[int, int, int]:
    """What a refused step must not have added to: messages, timeline events, tickets."""
    return TicketMessage.objects.count(), TimelineEvent.objects.count(), Ticket.objects.count()


def timeline(customer_id: int) -> list[tuple[str, str]]:
    events = TimelineEvent.objects.filter(customer_id=customer_id).order_by("pk")
    return [(event.kind, event.direction) for event in events]


@pytest.fixture
def customer(make_customer: Any) -> Customer:
    made: Customer = make_customer(email="ali@example.com")
    return made


@pytest.fixture
def ticket(make_ticket: Any, customer: Customer) -> Ticket:
    made: Ticket = make_ticket(customer=customer)
    return made


@pytest.fixture
def order(users: dict[str, Any], customer: Customer) -> Any:
    return order_create(
        actor=users["admin"],
        customer=customer,
        number="S-100",
        lines=[LineInput(quantity=1, unit_price=1_000_000, description="کتری")],
        status="delivered",
    )


# --- opening --------------------------------------------------------------------------------


def test_a_ticket_opens_with_its_first_message_team_agent_and_deadlines(
    desk: dict[str, Any], customer: Customer, order: Any
) -> None:
    ticket = tickets.ticket_create(
        actor=desk["agent"],
        customer=customer,
        subject="  کتری   خراب ",
        body=BODY,
        channel="phone",
        kind="complaint",
        priority="high",
        order=order,
    )
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.status, ticket.kind, ticket.priority, ticket.channel) == (
        "کتری خراب",
        TicketStatus.NEW,
        "complaint",
        "high",
        "phone",
    )
    assert ticket.number == f"T-{ticket.pk}"
    assert ticket.team == desk["team"]
    assert ticket.assignee in (desk["agent"], desk["agent2"])
    assert ticket.created_by == desk["agent"]
    assert (ticket.sla_response_minutes, ticket.sla_resolution_minutes) == (120, 480)
    assert ticket.first_response_due is not None
    assert ticket.resolution_due is not None
    assert ticket.repeat_of is None
    assert len(ticket.public_key) >= 24  # 18 random bytes: unguessable
    message = ticket.messages.get()
    assert (message.kind, message.body, message.author, message.channel) == (
        MessageKind.CUSTOMER,
        BODY,
        desk["agent"],
        "phone",
    )
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.TICKET_OPENED)
    assert (event.channel, event.department, event.direction, event.actor) == (
        "call",
        "service",
        Direction.INBOUND,
        desk["agent"],
    )
    assert event.summary == f"{ticket.number}: کتری خراب"
    assert (event.ref_type, event.ref_id) == ("service.ticket", str(ticket.pk))
    assert event.data == {
        "kind": "complaint",
        "priority": "high",
        "assignee": ticket.assignee_id,
        "repeat_of": None,
    }


def test_the_agent_with_fewest_open_tickets_gets_the_next_one(
    desk: dict[str, Any], make_ticket: Any
) -> None:
    first = make_ticket()
    second = make_ticket()
    assert {first.assignee, second.assignee} == {desk["agent"], desk["agent2"]}
    tickets.ticket_transition(
        actor=desk["lead"], ticket=first, status="resolved", resolution="حل شد"
    )
    # The first one's agent has no open ticket now: they get the third.
    assert make_ticket().assignee == first.assignee


def test_a_categorys_team_takes_its_tickets(
    desk: dict[str, Any], make_ticket: Any, make_user: Any
) -> None:
    billing_agent = make_user(Role.SERVICE, username="billing-agent")
    billing = Team.objects.create(name="Billing")
    billing.members.add(billing_agent)
    invoices = Category.objects.create(name_fa="صورتحساب", team=billing)
    ticket = make_ticket(category=invoices)
    assert (ticket.team, ticket.assignee) == (billing, billing_agent)
    assert make_ticket().team == desk["team"]  # no category: the default team


def test_the_customer_opens_a_ticket_and_an_email_opens_it_once(
    desk: dict[str, Any], customer: Customer
) -> None:
    data = {
        "customer": customer,
        "subject": "کتری",
        "body": BODY,
        "channel": "email",
        "email_message_id": "<abc@mail.example>",
    }
    first = tickets.ticket_create(actor=None, **data)
    again = tickets.ticket_create(actor=None, **data)
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert first.created_by is None
    assert timeline(customer.pk)[-1] == (EventKind.TICKET_OPENED, Direction.INBOUND)


def test_the_assignee_is_told_once_the_ticket_is_committed(
    desk: dict[str, Any], make_ticket: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(assignee=desk["agent"])
    assert [message.to for message in mail.outbox] == [["service@example.com"]]
    assert ticket.number in mail.outbox[0].subject


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected", "msgid"),
    [
        ({"subject": "  "}, {"subject": "This field is required."}, "This field is required."),
        ({"body": ""}, {"body": "This field is required."}, "This field is required."),
        (
            {"subject": "x" * 201},
            {"subject": "At most 200 characters."},
            "At most %(n)d characters.",
        ),
        (
            {"body": "x" * 20_001},
            {"body": "At most 20000 characters."},
            "At most %(n)d characters.",
        ),
        (
            {"kind": "praise", "priority": "critical", "channel": "fax"},
            {
                "kind": "Choose one of the listed options.",
                "priority": "Choose one of the listed options.",
                "channel": "Choose one of the listed options.",
            },
            "Choose one of the listed options.",
        ),
    ],
)
def test_bad_input_names_its_field(
    desk: dict[str, Any],
    customer: Customer,
    changes: dict[str, Any],
    expected: dict[str, str],
    msgid: str,
) -> None:
    data = {"subject": "کتری", "body": BODY, "channel": "phone", **changes}
    before = written()
    # Services run in the reader's language (the page's or the API's); messages with numbers
    # in them are formatted then.
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        tickets.ticket_create(actor=desk["agent"], customer=customer, **data)
    assert english(caught.value.errors) == expected
    assert written() == before
    with translation.override("fa"), pytest.raises(ValidationFailed) as persian:
        tickets.ticket_create(actor=desk["agent"], customer=customer, **data)
    assert set(persian.value.errors) == set(expected)
    assert_persian(next(iter(persian.value.errors.values())), msgid)


def test_an_order_of_another_customer_an_old_category_and_a_non_agent_are_refused(
    desk: dict[str, Any], customer: Customer, make_customer: Any, users: dict[str, Any]
) -> None:
    stranger = make_customer()
    their_order = order_create(
        actor=users["admin"],
        customer=stranger,
        number="S-200",
        lines=[LineInput(quantity=1, unit_price=10, description="x")],
    )
    old = Category.objects.create(name_fa="قدیمی", is_active=False)
    with pytest.raises(ValidationFailed) as caught:
        tickets.ticket_create(
            actor=desk["lead"],
            customer=customer,
            subject="کتری",
            body=BODY,
            channel="phone",
            order=their_order,
            category=old,
            assignee=users["sales"],
        )
    assert english(caught.value.errors) == {
        "order": "This order belongs to another customer.",
        "category": "This category is no longer used.",
        "assignee": "This person cannot work on tickets.",
    }
    assert Ticket.objects.count() == 0
    assert_persian(caught.value.errors["order"], "This order belongs to another customer.")


def test_sales_may_open_a_ticket_but_not_hand_it_to_someone(
    users: dict[str, Any], desk: dict[str, Any], customer: Customer
) -> None:
    data = {"customer": customer, "subject": "کتری", "body": BODY, "channel": "in_store"}
    with pytest.raises(PermissionDenied):
        tickets.ticket_create(actor=users["sales"], assignee=desk["agent"], **data)
    assert Ticket.objects.count() == 0
    ticket = tickets.ticket_create(actor=users["sales"], **data)
    assert ticket.created_by == users["sales"]


def test_a_merged_record_gets_no_ticket(
    desk: dict[str, Any], customer: Customer, make_customer: Any
) -> None:
    target = make_customer()
    Customer.objects.filter(pk=customer.pk).update(merged_into=target)
    customer.refresh_from_db()
    with pytest.raises(ServiceError):
        tickets.ticket_create(
            actor=desk["agent"], customer=customer, subject="کتری", body=BODY, channel="phone"
        )
    assert Ticket.objects.count() == 0


def test_a_message_needs_a_body_and_a_known_kind(ticket: Ticket, desk: dict[str, Any]) -> None:
    before = written()
    with pytest.raises(ValidationFailed) as empty:
        tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body=" \n ")
    assert english(empty.value.errors) == {"body": "This field is required."}
    with pytest.raises(ValidationFailed) as kind:
        tickets.message_add(actor=desk["agent"], ticket=ticket, kind="shout", body="سلام")
    assert english(kind.value.errors) == {"kind": "Choose one of the listed options."}
    with pytest.raises(ValidationFailed) as channel:
        tickets.message_add(actor=None, ticket=ticket, kind="customer", body="سلام", channel="fax")
    assert english(channel.value.errors) == {"channel": "Choose one of the listed options."}
    assert written() == before


def test_a_reply_on_a_closed_ticket_is_refused(ticket: Ticket, desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="حل شد")
    tickets.ticket_transition(actor=agent, ticket=ticket, status="closed")
    before = written()
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="سلام")
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.message == "Reopen the ticket before replying."
    assert written() == before
    with translation.override("fa"), pytest.raises(ServiceError) as persian:
        tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="سلام")
    assert_persian(persian.value.message, "Reopen the ticket before replying.")


def test_steps_that_are_not_possible_are_refused(ticket: Ticket, desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    with pytest.raises(ServiceError) as jump:
        tickets.ticket_transition(actor=agent, ticket=ticket, status="closed")
    assert jump.value.code == ErrorCode.CONFLICT
    with pytest.raises(ValidationFailed) as unknown:
        tickets.ticket_transition(actor=agent, ticket=ticket, status="done")
    assert english(unknown.value.errors) == {"status": "Choose one of the listed options."}
    with pytest.raises(ValidationFailed) as unsaid:
        tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution=" ")
    assert english(unsaid.value.errors) == {"resolution": "Say what was done before resolving."}
    with pytest.raises(ValidationFailed) as priority:
        tickets.ticket_update(actor=agent, ticket=ticket, priority="critical")
    assert english(priority.value.errors) == {"priority": "Choose one of the listed options."}
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.resolution) == (TicketStatus.NEW, "normal", "")


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "marketing"])
def test_sales_and_marketing_cannot_work_a_ticket(
    ticket: Ticket, users: dict[str, Any], role: str
) -> None:
    actor = users[role]
    assert not tickets.can_work(actor, ticket)
    before = written()
    attempts = [
        lambda: tickets.message_add(actor=actor, ticket=ticket, kind="reply", body="سلام"),
        lambda: tickets.ticket_transition(
            actor=actor, ticket=ticket, status="resolved", resolution="حل شد"
        ),
        lambda: tickets.ticket_transition(actor=actor, ticket=ticket, status="open"),
        lambda: tickets.ticket_update(actor=actor, ticket=ticket, priority="urgent"),
        lambda: compensation.compensation_grant(
            actor=actor, ticket=ticket, kind="voucher", amount=10, reason="دلیل"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert written() == before
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.first_responded_at) == ("new", "normal", None)
    assert ticket.compensations.count() == 0


@pytest.mark.parametrize("role", ["admin", "manager", "sales", "marketing", "service"])
def test_every_role_may_add_an_internal_note(
    ticket: Ticket, users: dict[str, Any], role: str
) -> None:
    note = tickets.message_add(actor=users[role], ticket=ticket, kind="note", body="تماس گرفتم")
    assert (note.kind, note.author, note.sent_at) == (MessageKind.NOTE, users[role], None)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW  # a note is not an answer
    assert ticket.first_responded_at is None
    event = TimelineEvent.objects.filter(kind=EventKind.TICKET_MESSAGE).get()
    assert (event.direction, event.channel, event.actor) == (
        Direction.INTERNAL,
        "system",
        users[role],
    )


@pytest.fixture
def outsider(make_user: Any) -> Any:
    """A service agent of another team."""
    agent = make_user(Role.SERVICE, username="billing-agent")
    Team.objects.create(name="Billing").members.add(agent)
    return agent


def test_an_agent_of_another_team_cannot_work_a_ticket_assigned_in_this_team(
    ticket: Ticket, desk: dict[str, Any], outsider: Any
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(assignee=desk["agent2"])
    ticket.refresh_from_db()
    assert not tickets.can_work(outsider, ticket)
    before = written()
    with pytest.raises(PermissionDenied):
        tickets.message_add(actor=outsider, ticket=ticket, kind="reply", body="سلام")
    with pytest.raises(PermissionDenied):
        tickets.ticket_transition(actor=outsider, ticket=ticket, status="open")
    with pytest.raises(PermissionDenied):
        tickets.ticket_update(actor=outsider, ticket=ticket, assignee=outsider)
    assert written() == before
    # The other agent of the ticket's team, and anyone on an unassigned ticket, may.
    assert tickets.can_work(desk["agent"], ticket)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    ticket.refresh_from_db()
    assert tickets.can_work(outsider, ticket)


def test_the_team_lead_and_managers_may_work_any_ticket_of_the_team(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any], make_user: Any, outsider: Any
) -> None:
    lead = make_user(Role.SERVICE, username="support-lead")
    Team.objects.filter(pk=desk["team"].pk).update(lead=lead)  # leads without being a member
    Ticket.objects.filter(pk=ticket.pk).update(assignee=desk["agent2"])
    ticket.refresh_from_db()
    assert tickets.can_work(lead, ticket)
    assert tickets.can_work(users["manager"], ticket)
    assert tickets.can_work(users["admin"], ticket)
    reply = tickets.message_add(actor=lead, ticket=ticket, kind="reply", body="پیگیری می‌کنم")
    assert reply.author == lead
    # A team's lead is not every team's lead.
    Ticket.objects.filter(pk=ticket.pk).update(team=Team.objects.get(name="Billing"))
    ticket.refresh_from_db()
    assert not tickets.can_work(lead, ticket)


def test_only_the_customer_writes_as_the_customer_without_an_actor(ticket: Ticket) -> None:
    before = written()
    for kind in ("reply", "note"):
        with pytest.raises(PermissionDenied):
            tickets.message_add(actor=None, ticket=ticket, kind=kind, body="سلام")
    assert written() == before


def test_reassigning_needs_someone_who_can_work_tickets(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tickets.ticket_update(actor=desk["lead"], ticket=ticket, assignee=users["sales"])
    assert english(caught.value.errors) == {"assignee": "This person cannot work on tickets."}
    updated = tickets.ticket_update(actor=desk["lead"], ticket=ticket, assignee=desk["agent2"])
    assert updated.assignee == desk["agent2"]
    updated = tickets.ticket_update(actor=desk["lead"], ticket=ticket, unassign=True)
    assert updated.assignee is None


# --- the life of a ticket on the timeline ------------------------------------------------------


def test_every_step_lands_on_the_customers_timeline(
    ticket: Ticket, desk: dict[str, Any], customer: Customer, order: Any, users: dict[str, Any]
) -> None:
    agent = desk["agent"]
    start = len(timeline(customer.pk))
    tickets.message_add(
        actor=agent, ticket=ticket, kind="reply", body="عکس؟", wait_for_customer=True
    )
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="این عکس")
    tickets.message_add(actor=users["sales"], ticket=ticket, kind="note", body="مشتری قدیمی است")
    tickets.ticket_update(actor=agent, ticket=ticket, priority="high")
    compensation.compensation_grant(
        actor=agent, ticket=ticket, kind="voucher", amount=1_000_000, reason="تاخیر"
    )
    returns.return_request(
        actor=agent, line=order.lines.get(), quantity=1, reason="خراب", ticket=ticket
    )
    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="تعویض")
    tickets.ticket_transition(actor=agent, ticket=ticket, status="closed")
    tickets.ticket_transition(actor=agent, ticket=ticket, status="open")
    assert timeline(customer.pk)[start:] == [
        (EventKind.TICKET_MESSAGE, Direction.OUTBOUND),
        (EventKind.TICKET_MESSAGE, Direction.INBOUND),
        (EventKind.TICKET_MESSAGE, Direction.INTERNAL),
        (EventKind.TICKET_UPDATED, Direction.INTERNAL),
        (EventKind.COMPENSATION, Direction.INTERNAL),
        (EventKind.RETURN, Direction.INTERNAL),
        (EventKind.TICKET_UPDATED, Direction.INTERNAL),
        (EventKind.TICKET_UPDATED, Direction.INTERNAL),
        (EventKind.TICKET_UPDATED, Direction.INTERNAL),
    ]
    moves = TimelineEvent.objects.filter(customer=customer, kind=EventKind.TICKET_UPDATED)
    assert [event.data for event in moves.order_by("pk")][1:] == [
        {"from": "open", "to": "resolved"},
        {"from": "resolved", "to": "closed"},
        {"from": "closed", "to": "open"},
    ]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.closed_at, ticket.resolved_at) == (
        TicketStatus.OPEN,
        1,
        None,
        None,
    )
    assert all(
        event.ref_id == str(ticket.pk)
        for event in TimelineEvent.objects.filter(customer=customer, kind__startswith="ticket_")
    )


def test_the_customers_words_reopen_a_resolved_ticket_but_not_a_closed_one(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="حل شد")
    tickets.message_add(actor=None, ticket=ticket, kind="customer", body="حل نشد")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.OPEN, 1)
    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="حل شد")
    tickets.ticket_transition(actor=agent, ticket=ticket, status="closed")
    # A closed ticket takes no more words: the customer's page and the mail reader open a new one.
    with pytest.raises(ServiceError):
        tickets.message_add(actor=None, ticket=ticket, kind="customer", body="ممنون")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.CLOSED, 1)
    assert not ticket.messages.filter(body="ممنون").exists()


def test_a_message_keeps_its_lines_but_loses_control_characters(ticket: Ticket) -> None:
    body = "سلام\r\nخط دوم\x00 با كد ۱۲\n\n\n\nپاراگراف بعد  "
    message = tickets.message_add(actor=None, ticket=ticket, kind="customer", body=body)
    assert message.body == "سلام\nخط دوم با کد 12\n\nپاراگراف بعد"


# --- repeat contacts ---------------------------------------------------------------------------


def test_the_same_customer_about_the_same_order_within_the_window_is_a_repeat(
    make_ticket: Any, customer: Customer, order: Any
) -> None:
    now = timezone.now()
    first = make_ticket(customer=customer, order=order, created_at=now - timedelta(days=13))
    second = make_ticket(customer=customer, order=order, created_at=now)
    assert second.repeat_of == first
    event = TimelineEvent.objects.filter(kind=EventKind.TICKET_OPENED).order_by("pk").last()
    assert event is not None
    assert event.data["repeat_of"] == first.pk
    # The newest earlier contact is the one repeated.
    third = make_ticket(customer=customer, order=order, created_at=now + timedelta(hours=1))
    assert third.repeat_of == second


def test_the_same_product_or_category_is_the_same_thing(
    make_ticket: Any, customer: Customer
) -> None:
    kettle = Product.objects.create(sku="K-1", name="کتری")
    delivery = Category.objects.create(name_fa="ارسال")
    by_product = make_ticket(customer=customer, product=kettle)
    assert make_ticket(customer=customer, product=kettle).repeat_of == by_product
    by_category = make_ticket(customer=customer, category=delivery)
    assert make_ticket(customer=customer, category=delivery).repeat_of == by_category


def test_outside_the_window_or_about_something_else_is_not_a_repeat(
    make_ticket: Any, make_customer: Any, customer: Customer, order: Any
) -> None:
    now = timezone.now()
    delivery = Category.objects.create(name_fa="ارسال")
    billing = Category.objects.create(name_fa="صورتحساب")
    make_ticket(customer=customer, order=order, created_at=now - timedelta(days=15))
    assert make_ticket(customer=customer, order=order, created_at=now).repeat_of is None
    make_ticket(customer=customer, category=delivery)
    assert make_ticket(customer=customer, category=billing).repeat_of is None
    assert make_ticket(customer=customer).repeat_of is None  # nothing to compare by
    assert make_ticket(customer=make_customer(), category=delivery).repeat_of is None
    # A ticket entered late repeats what came before it, not what was opened after it.
    backdated = make_ticket(
        customer=customer, category=delivery, created_at=now - timedelta(days=2)
    )
    assert backdated.repeat_of is None


def test_the_window_is_the_desks_setting(make_ticket: Any, customer: Customer, order: Any) -> None:
    DeskSettings.objects.filter(pk=1).update(repeat_days=30)
    now = timezone.now()
    first = make_ticket(customer=customer, order=order, created_at=now - timedelta(days=20))
    assert make_ticket(customer=customer, order=order, created_at=now).repeat_of == first
    DeskSettings.objects.filter(pk=1).update(repeat_days=3)
    later = make_ticket(customer=customer, order=order, created_at=now + timedelta(days=4))
    assert later.repeat_of is None


# --- delivering replies ------------------------------------------------------------------------


def test_a_reply_is_emailed_once_with_a_message_id_naming_the_ticket(
    ticket: Ticket, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        reply = tickets.message_add(
            actor=desk["agent"], ticket=ticket, kind="reply", body="کتری جدید ارسال شد."
        )
    assert notify.reply_deliver(reply.pk) is False  # a retried task sends nothing more
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["ali@example.com"]
    assert sent.subject == f"[T-{ticket.pk}] {ticket.subject}"
    assert sent.body == "کتری جدید ارسال شد."
    # Signed, so nobody can forge a reply onto the ticket by guessing its numbers.
    signed = re.compile(rf"<t{ticket.pk}\.m{reply.pk}\.[0-9a-f]{{16}}@mehvar\.ticket>")
    assert signed.fullmatch(sent.extra_headers["Message-ID"])
    assert notify.message_id_for(reply) == sent.extra_headers["Message-ID"]
    reply.refresh_from_db()
    assert reply.sent_at is not None
    assert reply.last_error == ""


def test_notes_and_the_customers_words_are_never_sent(
    ticket: Ticket, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        note = tickets.message_add(actor=desk["agent"], ticket=ticket, kind="note", body="داخلی")
    assert notify.reply_deliver(note.pk) is False
    assert notify.reply_deliver(ticket.messages.get(kind="customer").pk) is False
    assert mail.outbox == []


def test_a_customer_without_email_gets_the_reply_by_sms(
    make_ticket: Any, make_customer: Any, desk: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    customer = make_customer(mobile="09121234567")
    ticket = make_ticket(customer=customer)
    reply = tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="ارسال شد")
    with caplog.at_level("INFO", logger="mehvar.sms"):
        assert notify.reply_deliver(reply.pk) is True
    assert mail.outbox == []
    assert [r.getMessage() for r in caplog.records if r.name == "mehvar.sms"] == [
        f"SMS to +989121234567: {ticket.number}: ارسال شد"
    ]
    assert notify.reply_deliver(reply.pk) is False


def test_a_failing_mail_server_keeps_the_error_and_raises_for_a_retry(
    ticket: Ticket, desk: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="سلام")

    def refuse(self: EmailBackend, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(notify.DeliveryFailed, match="SMTPServerDisconnected"):
            notify.reply_deliver(reply.pk)
    reply.refresh_from_db()
    assert reply.sent_at is None
    assert reply.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    # The retry goes through and clears the error.
    assert notify.reply_deliver(reply.pk) is True
    reply.refresh_from_db()
    assert (reply.sent_at is not None, reply.last_error) == (True, "")
    assert len(mail.outbox) == 1


# --- from a survey's follow-up -------------------------------------------------------------------


def unhappy_follow_up(users: dict[str, Any], customer: Customer) -> FollowUp:
    survey = surveys.survey_save(
        actor=users["manager"],
        data={
            "title_fa": "نظرسنجی پس از خرید",
            "questions": [
                {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟"},
                {"key": "why", "kind": "text", "text_fa": "چرا؟", "required": False},
            ],
        },
    )
    survey = surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="sms"
    )
    response = responding.response_for_invitation(invitation)
    responding.answers_save(
        response=response, raw={"nps": "2", "why": "پیک بد رفتار کرد"}, submit=True
    )
    return FollowUp.objects.get(response=response)


def test_a_follow_up_becomes_one_ticket(
    users: dict[str, Any], desk: dict[str, Any], customer: Customer
) -> None:
    follow_up = unhappy_follow_up(users, customer)
    ticket = tickets.ticket_from_follow_up(actor=users["sales"], follow_up_id=follow_up.pk)
    assert (ticket.customer, ticket.channel, ticket.kind, ticket.priority) == (
        customer,
        "survey",
        "complaint",
        "high",
    )
    assert ticket.follow_up == follow_up
    assert ticket.messages.get().body == "پیک بد رفتار کرد"
    again = tickets.ticket_from_follow_up(actor=desk["agent"], follow_up_id=follow_up.pk)
    assert again.pk == ticket.pk
    assert Ticket.objects.count() == 1
    assert TimelineEvent.objects.filter(kind=EventKind.TICKET_OPENED).count() == 1


def test_an_anonymous_answer_opens_no_ticket(users: dict[str, Any], desk: dict[str, Any]) -> None:
    comment = Comment.objects.create(
        customer=None,
        source="import",
        ref_type="test",
        ref_id="1",
        text="افتضاح بود",
        sentiment="negative",
    )
    follow_up = FollowUp.objects.create(
        comment=comment, reasons=["negative_comment"], due_at=timezone.now()
    )
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        tickets.ticket_from_follow_up(actor=desk["agent"], follow_up_id=follow_up.pk)
    assert caught.value.code == ErrorCode.CONFLICT
    assert caught.value.message == (
        "This answer was anonymous: there is nobody to open a ticket for."
    )
    assert Ticket.objects.count() == 0
    with pytest.raises(ValidationFailed) as missing:
        tickets.ticket_from_follow_up(actor=desk["agent"], follow_up_id=follow_up.pk + 100)
    assert english(missing.value.errors) == {"follow_up": "No such follow-up."}


def test_resolved_tickets_close_after_the_quiet_days_once(
    make_ticket: Any, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    old, fresh, reopened = make_ticket(), make_ticket(), make_ticket()
    for one in (old, fresh, reopened):
        tickets.ticket_transition(actor=agent, ticket=one, status="resolved", resolution="حل شد")
    tickets.message_add(actor=None, ticket=reopened, kind="customer", body="هنوز خراب است")
    now = timezone.now()
    Ticket.objects.filter(pk__in=[old.pk, reopened.pk]).update(resolved_at=now - timedelta(days=8))
    Ticket.objects.filter(pk=fresh.pk).update(resolved_at=now - timedelta(days=6))
    assert tickets.close_resolved(now=now) == [old.pk]
    assert tickets.close_resolved(now=now) == []
    old.refresh_from_db()
    assert (old.status, old.closed_at) == (TicketStatus.CLOSED, now)
    events = TimelineEvent.objects.filter(ref_id=str(old.pk), data__to="closed")
    assert events.count() == 1
    settings = DeskSettings.current()
    settings.close_after_days = 0
    settings.save()
    Ticket.objects.filter(pk=fresh.pk).update(resolved_at=now - timedelta(days=60))
    assert tickets.close_resolved(now=now) == []
