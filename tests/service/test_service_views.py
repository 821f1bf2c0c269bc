"""The desk's staff pages: who sees and does what (by role and by ticket), what bad input gets
back, escaping, canned replies, the list's filters, and the customer's story beside a ticket."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.core.roles import Role
from mehvar.customers.orders import LineInput, order_create
from mehvar.customers.services import note_add
from mehvar.service import canned, compensation, returns, tickets
from mehvar.service.models import (
    CannedReply,
    CompensationEntry,
    CompensationRequest,
    ReturnRequest,
    Ticket,
    TicketMessage,
)

pytestmark = pytest.mark.django_db

ALL_ROLES = ["admin", "manager", "sales", "marketing", "service"]
DESK_ROLES = {"admin", "manager", "service"}
XSS = '<img src=x onerror="alert(1)">'


def login(client: Client, user: Any, language: str = "en") -> Client:
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def text(response: Any) -> str:
    return str(response.content.decode())


def ticket_url(ticket: Ticket, name: str = "ticket") -> str:
    return reverse(f"service:{name}", args=[ticket.pk])


@pytest.fixture
def outsider(make_user: Callable[..., Any]) -> Any:
    """A service agent in no team: may work tickets, but not the Support team's."""
    return make_user(Role.SERVICE, username="outsider")


@pytest.fixture
def ticket(make_ticket: Callable[..., Any], desk: dict[str, Any]) -> Ticket:
    made: Ticket = make_ticket(assignee=desk["agent"])
    return made


# --- Who sees what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_reads_tickets_and_only_the_desk_reads_the_ledger_and_returns(
    role: str, users: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, users[role])
    pages = {
        "list": client.get(reverse("service:ticket_list")),
        "detail": client.get(ticket_url(ticket)),
        "new": client.get(reverse("service:ticket_new") + f"?customer={ticket.customer_id}"),
        "ledger": client.get(reverse("service:compensation_list")),
        "returns": client.get(reverse("service:return_list")),
    }
    desk = 200 if role in DESK_ROLES else 403
    assert {name: page.status_code for name, page in pages.items()} == {
        "list": 200,
        "detail": 200,
        "new": 200,
        "ledger": desk,
        "returns": desk,
    }
    assert ticket.subject in text(pages["list"])
    # Working forms are only offered to those who may work this ticket.
    detail = text(pages["detail"])
    assert ('id="grant-form"' in detail) is (role in DESK_ROLES)
    assert ('id="status-form"' in detail) is (role in DESK_ROLES)
    assert 'id="reply-form"' in detail  # everyone may add an internal note


def test_anonymous_visitors_are_sent_to_the_login(client: Client, ticket: Ticket) -> None:
    for url in (reverse("service:ticket_list"), ticket_url(ticket)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    response = client.post(ticket_url(ticket, "ticket_message"), {"kind": "note", "body": "x"})
    assert response.status_code == 302
    assert not TicketMessage.objects.filter(kind="note").exists()


def test_the_nav_shows_tickets_to_all_and_the_dashboard_to_the_desk(
    users: dict[str, Any], client: Client
) -> None:
    for role, dashboard in (("sales", False), ("service", True)):
        page = text(login(client, users[role]).get(reverse("service:ticket_list")))
        assert 'href="/service/tickets/"' in page
        assert ('href="/service/"' in page) is dashboard


def _state(ticket: Ticket) -> tuple[Any, ...]:
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.status,
        fresh.priority,
        fresh.assignee_id,
        fresh.first_responded_at,
        TicketMessage.objects.filter(ticket=ticket).count(),
        CompensationEntry.objects.count(),
        CompensationRequest.objects.count(),
        ReturnRequest.objects.count(),
    )


@pytest.mark.parametrize("who", ["outsider", "sales"])
def test_people_who_do_not_work_the_ticket_cannot_act_and_nothing_changes(
    who: str, users: dict[str, Any], outsider: Any, client: Client, ticket: Ticket
) -> None:
    actor = outsider if who == "outsider" else users["sales"]
    login(client, actor)
    before = _state(ticket)
    posts = [
        (ticket_url(ticket, "ticket_message"), {"kind": "reply", "body": "Sorry!"}),
        (ticket_url(ticket, "ticket_status"), {"status": "resolved", "resolution": "done"}),
        (ticket_url(ticket, "ticket_update"), {"priority": "urgent", "assignee": actor.pk}),
        (
            ticket_url(ticket, "compensation_grant"),
            {"kind": "voucher", "amount": "1000", "reason": "late"},
        ),
        (ticket_url(ticket, "return_new"), {"line": "1", "quantity": "1", "reason": "x"}),
    ]
    codes = [client.post(url, data).status_code for url, data in posts]
    assert codes == [403] * len(posts)
    assert _state(ticket) == before
    # An htmx request gets the notice in the page's flash area, still 403.
    response = client.post(
        ticket_url(ticket, "ticket_message"),
        {"kind": "reply", "body": "Sorry!"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#flash"
    assert _state(ticket) == before


def test_the_page_says_how_long_is_left_and_when_a_reply_did_not_leave(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    page = text(client.get(ticket_url(ticket)))
    assert 'data-state="on_time"' in page
    assert re.search(r'Left: <span class="num">\d+ h \d+ min</span>', page)
    reply = tickets.message_add(actor=desk["agent"], ticket=ticket, kind="reply", body="Hi")
    # The channel refused it: the row keeps the error until the retry succeeds.
    TicketMessage.objects.filter(pk=reply.pk).update(sent_at=None, last_error="SMS gateway down")
    page = text(client.get(ticket_url(ticket)))
    item = page[page.index(f'id="message-{reply.pk}"') :]
    item = item[: item.index("</li>")]
    assert "Not sent yet" in item
    assert "SMS gateway down" in item


def test_anyone_may_add_an_internal_note(
    users: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, users["sales"])
    response = client.post(
        ticket_url(ticket, "ticket_message"), {"kind": "note", "body": "He called the shop too."}
    )
    assert response.status_code == 302
    note = TicketMessage.objects.get(kind="note")
    assert (note.author, note.body) == (users["sales"], "He called the shop too.")
    page = text(client.get(ticket_url(ticket)))
    assert 'data-kind="note"' in page
    assert "He called the shop too." in page


# --- Working a ticket ------------------------------------------------------------------------


def test_the_agent_replies_waits_for_the_customer_and_resolves(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(
        ticket_url(ticket, "ticket_message"),
        {"kind": "reply", "body": "We are sending a new one.", "wait_for_customer": "on"},
    )
    assert response.status_code == 302
    assert response["Location"] == ticket_url(ticket) + "#conversation"
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert ticket.first_responded_at is not None
    assert ticket.paused_since is not None
    page = text(client.get(ticket_url(ticket)))
    assert 'data-state="paused"' in page
    assert "The clock is stopped while we wait for the customer" in page
    # Waiting: the next steps are open again or resolve, never close.
    assert 'id="step-open"' in page
    assert 'id="step-resolved"' in page
    assert 'id="step-closed"' not in page

    refused = client.post(ticket_url(ticket, "ticket_status"), {"status": "resolved"})
    assert refused.status_code == 422
    assert "Say what was done before resolving." in text(refused)
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting"

    done = client.post(
        ticket_url(ticket, "ticket_status"),
        {"status": "resolved", "resolution": "Sent a replacement box."},
    )
    assert done.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == ("resolved", "Sent a replacement box.")


def test_resolving_without_saying_what_was_done_is_refused_in_persian(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"], language="fa")
    refused = client.post(ticket_url(ticket, "ticket_status"), {"status": "resolved"})
    assert refused.status_code == 422
    assert "پیش از ثبت «حل شد»، بنویسید چه اقدامی انجام شده است." in text(refused)
    assert 'id="status-form"' in text(refused)
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_step_that_is_not_allowed_is_a_conflict(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(ticket_url(ticket, "ticket_status"), {"status": "closed"})
    assert response.status_code == 409
    assert "This step is not possible now." in text(response)
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_htmx_actions_swap_the_work_column_and_refresh_the_customer_column(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(
        ticket_url(ticket, "ticket_message"),
        {"kind": "reply", "body": "On its way."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="ticket-work">')
    assert '<aside id="ticket-side" hx-swap-oob="true"' in page
    assert "The reply was saved and is on its way to the customer." in page
    assert "On its way." in page
    assert "<html" not in page

    refused = client.post(
        ticket_url(ticket, "ticket_message"),
        {"kind": "reply", "body": "   "},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 422
    assert "This field is required." in text(refused)


def test_reassigning_needs_a_person_who_works_tickets(
    desk: dict[str, Any], users: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    refused = client.post(
        ticket_url(ticket, "ticket_update"),
        {"assignee": users["sales"].pk, "priority": "normal"},
    )
    assert refused.status_code == 422
    assert "Select a valid choice" in text(refused)
    moved = client.post(
        ticket_url(ticket, "ticket_update"),
        {"assignee": desk["agent2"].pk, "priority": "urgent"},
    )
    assert moved.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.priority) == (desk["agent2"], "urgent")


# --- Who wrote: unconfirmed identity ----------------------------------------------------------

WARNING = "Identity not confirmed – call the number on file before discussing the customer's"


@pytest.fixture
def unconfirmed(make_ticket: Callable[..., Any], desk: dict[str, Any]) -> Ticket:
    """A ticket filed by someone who typed a mobile that was already on file."""
    made: Ticket = make_ticket(assignee=desk["agent"], identity_confirmed=False)
    return made


def test_an_unconfirmed_ticket_warns_on_the_page_and_in_the_list(
    desk: dict[str, Any], client: Client, unconfirmed: Ticket, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    page = text(client.get(ticket_url(unconfirmed)))
    assert 'id="identity-badge"' in page
    assert WARNING in page
    assert 'id="confirm-identity"' in page
    assert 'name="confirm_identity" value="1"' in page
    confirmed_page = text(client.get(ticket_url(ticket)))
    assert 'id="identity-badge"' not in confirmed_page
    assert WARNING not in confirmed_page

    listing = text(client.get(reverse("service:ticket_list")))
    rows = re.findall(r'<tr data-ticket="(\d+)".*?</tr>', listing, flags=re.S)
    assert len(rows) == 2
    flagged = re.findall(
        r'<tr data-ticket="(\d+)"(?:(?!</tr>).)*data-identity="unconfirmed"', listing, flags=re.S
    )
    assert flagged == [str(unconfirmed.pk)]
    assert "Identity not confirmed" in listing


def test_staff_who_work_the_ticket_confirm_who_wrote(
    desk: dict[str, Any], client: Client, unconfirmed: Ticket
) -> None:
    login(client, desk["agent"])
    before = (unconfirmed.priority, unconfirmed.assignee_id, unconfirmed.category_id)

    response = client.post(ticket_url(unconfirmed, "ticket_update"), {"confirm_identity": "1"})

    assert response.status_code == 302
    assert response["Location"].endswith("#identity")
    unconfirmed.refresh_from_db()
    assert unconfirmed.identity_confirmed
    # Nothing else of the ticket moved: the button posts no other field.
    assert (unconfirmed.priority, unconfirmed.assignee_id, unconfirmed.category_id) == before
    event = TimelineEvent.objects.filter(
        customer=unconfirmed.customer, kind=EventKind.TICKET_UPDATED
    ).get()
    assert event.actor == desk["agent"]
    page = text(client.get(response["Location"]))
    assert "Identity confirmed: the ticket counts as the customer&#x27;s own." in page
    assert 'id="identity-badge"' not in page
    # Again is harmless: no second timeline line.
    assert client.post(ticket_url(unconfirmed, "ticket_update"), {"confirm_identity": "1"})
    assert TimelineEvent.objects.filter(kind=EventKind.TICKET_UPDATED).count() == 1


def test_confirming_with_htmx_swaps_the_work_column(
    desk: dict[str, Any], client: Client, unconfirmed: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(
        ticket_url(unconfirmed, "ticket_update"),
        {"confirm_identity": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="ticket-work">')
    assert "Identity confirmed: the ticket counts as the customer&#x27;s own." in page
    assert 'id="confirm-identity"' not in page


@pytest.mark.parametrize("who", ["outsider", "sales"])
def test_only_those_who_work_the_ticket_may_confirm_who_wrote(
    who: str, users: dict[str, Any], outsider: Any, client: Client, unconfirmed: Ticket
) -> None:
    actor = outsider if who == "outsider" else users["sales"]
    login(client, actor)
    page = text(client.get(ticket_url(unconfirmed)))
    assert WARNING in page  # everyone is warned
    assert 'id="confirm-identity"' not in page  # only the desk may clear it

    response = client.post(ticket_url(unconfirmed, "ticket_update"), {"confirm_identity": "1"})

    assert response.status_code == 403
    unconfirmed.refresh_from_db()
    assert not unconfirmed.identity_confirmed


# --- Compensation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "rials"),
    [("۲۰۰٬۰۰۰", 2_000_000), ("٣٠٠٠٠", 300_000), ("150,000 تومان", 1_500_000)],
)
def test_a_grant_within_the_limit_accepts_any_digits_in_toman(
    typed: str, rials: int, desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(
        ticket_url(ticket, "compensation_grant"),
        {"kind": "refund", "amount": typed, "reason": "Late delivery"},
    )
    assert response.status_code == 302
    entry = CompensationEntry.objects.get()
    assert (entry.amount, entry.kind, entry.granted_by) == (rials, "refund", desk["agent"])
    page = text(client.get(ticket_url(ticket)))
    assert f'id="entry-{entry.pk}"' in page
    assert "granted" in page


def test_a_grant_above_the_limit_goes_for_approval(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"])
    response = client.post(
        ticket_url(ticket, "compensation_grant"),
        {"kind": "voucher", "amount": "900000", "reason": "Broken twice"},
        follow=True,
    )
    assert response.status_code == 200
    assert "is above your limit of 500,000 Toman: it was sent for approval." in text(response)
    assert not CompensationEntry.objects.exists()
    request = CompensationRequest.objects.get()
    assert (request.amount, request.status) == (9_000_000, "pending")


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Write the amount with digits only"), ("fa", 'id="grant_amount_error"')],
)
def test_a_bad_amount_keeps_what_was_typed_and_says_why(
    language: str, message: str, desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"], language=language)
    response = client.post(
        ticket_url(ticket, "compensation_grant"),
        {"kind": "voucher", "amount": "دویست abc", "reason": "سفارش دیر رسید"},
    )
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert 'value="دویست abc"' in page
    assert "سفارش دیر رسید</textarea>" in page
    assert not CompensationEntry.objects.exists()


def test_an_empty_grant_is_refused_in_persian_keeping_the_kind(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["agent"], language="fa")
    response = client.post(
        ticket_url(ticket, "compensation_grant"), {"kind": "points", "amount": "", "reason": ""}
    )
    assert response.status_code == 422
    page = text(response)
    assert page.count("پر کردن این فیلد الزامی است.") == 2
    assert '<option value="points" selected>' in page
    assert not CompensationEntry.objects.exists()


def test_a_grant_over_the_team_budget_is_refused_with_what_is_left(
    desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, desk["lead"])
    team = desk["team"]
    team.monthly_budget = 1_000_000
    team.save(update_fields=["monthly_budget"])
    response = client.post(
        ticket_url(ticket, "compensation_grant"),
        {"kind": "refund", "amount": "200000", "reason": "Too much"},
    )
    assert response.status_code == 409
    assert "over the team&#x27;s budget for the month" in text(response)
    assert not CompensationEntry.objects.exists()


def test_the_ledger_page_approves_rejects_and_reverses(
    desk: dict[str, Any], users: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    pending = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="voucher", amount=9_000_000, reason="Twice"
    )
    assert isinstance(pending, CompensationRequest)
    # The agent sees the request but may not decide it.
    login(client, desk["agent"])
    assert "Twice" in text(client.get(reverse("service:compensation_list")))
    decide = reverse("service:compensation_decide", args=[pending.pk])
    assert client.post(decide, {f"q{pending.pk}-decision": "approve"}).status_code == 403

    login(client, users["manager"])
    refused = client.post(decide, {f"q{pending.pk}-decision": "reject", f"q{pending.pk}-note": ""})
    assert refused.status_code == 422
    assert "Say why the request is rejected." in text(refused)
    assert CompensationRequest.objects.get().status == "pending"

    approved = client.post(decide, {f"q{pending.pk}-decision": "approve"})
    assert approved.status_code == 302
    entry = CompensationEntry.objects.get()
    assert (entry.amount, entry.approved_by) == (9_000_000, users["manager"])

    undo = reverse("service:compensation_reverse", args=[entry.pk])
    no_reason = client.post(undo, {f"e{entry.pk}-reason": "  "})
    assert no_reason.status_code == 422
    assert CompensationEntry.objects.count() == 1
    assert client.post(undo, {f"e{entry.pk}-reason": "Customer returned it"}).status_code == 302
    reversal = CompensationEntry.objects.exclude(pk=entry.pk).get()
    assert (reversal.amount, reversal.reverses_id) == (-9_000_000, entry.pk)
    page = text(client.get(reverse("service:compensation_list") + "?kind=voucher"))
    assert f'id="entry-{reversal.pk}"' in page
    assert "Reversed" in page


def test_the_ledger_refuses_unknown_filters(users: dict[str, Any], client: Client) -> None:
    login(client, users["manager"])
    assert client.get(reverse("service:compensation_list") + "?order_by=amount").status_code == 400
    assert client.get(reverse("service:compensation_list") + "?month=1300-01").status_code == 400


# --- Returns ---------------------------------------------------------------------------------


def test_a_return_is_requested_received_inspected_and_refunded(
    desk: dict[str, Any], users: dict[str, Any], make_customer: Any, client: Client
) -> None:
    customer = make_customer()
    order = order_create(
        actor=users["sales"],
        customer=customer,
        number="A-100",
        lines=[LineInput(quantity=3, unit_price=400_000, description="Kettle")],
        status="delivered",
    )
    line = order.lines.get()
    ticket = tickets.ticket_create(
        actor=desk["agent"],
        customer=customer,
        subject="Kettle leaks",
        body="It leaks.",
        channel="phone",
        kind="return",
        order=order,
    )
    login(client, desk["agent"])
    page = text(client.get(ticket_url(ticket)))
    assert 'id="return-form"' in page
    assert "Kettle" in page

    too_many = client.post(
        ticket_url(ticket, "return_new"), {"line": line.pk, "quantity": "۵", "reason": "Leaks"}
    )
    assert too_many.status_code == 422
    assert "At most 3 of this line can still come back." in text(too_many)
    assert (
        client.post(
            ticket_url(ticket, "return_new"), {"line": line.pk, "quantity": "۲", "reason": "Leaks"}
        ).status_code
        == 302
    )
    ret = ReturnRequest.objects.get()
    assert ret.quantity == 2
    act = reverse("service:return_action", args=[ret.pk])
    assert client.post(act, {"action": "receive"}).status_code == 302
    refused = client.post(
        act,
        {
            "action": "inspect",
            f"r{ret.pk}-inspection": "defective",
            f"r{ret.pk}-decision": "refuse",
        },
    )
    assert refused.status_code == 422
    assert "Say why the return is refused." in text(refused)
    accepted = client.post(
        act,
        {
            "action": "inspect",
            f"r{ret.pk}-inspection": "defective",
            f"r{ret.pk}-decision": "accept",
        },
    )
    assert accepted.status_code == 302
    ret.refresh_from_db()
    assert (ret.status, ret.refund_amount) == ("accepted", 800_000)
    assert client.post(act, {"action": "refund"}).status_code == 302
    ret.refresh_from_db()
    assert ret.status == "refunded"
    assert ret.refund is not None
    assert ret.refund.counts_to_budget is False
    assert client.post(act, {"action": "explode"}).status_code == 400
    listing = text(client.get(reverse("service:return_list") + "?status=refunded"))
    assert f"R-{ret.pk}" in listing


# --- Bad input and escaping ------------------------------------------------------------------


def test_a_new_ticket_keeps_what_was_typed_and_limits_orders_to_the_customer(
    users: dict[str, Any], desk: dict[str, Any], make_customer: Any, client: Client
) -> None:
    customer = make_customer()
    other = make_customer(first_name="سارا")
    foreign = order_create(
        actor=users["sales"],
        customer=other,
        number="B-7",
        lines=[LineInput(quantity=1, unit_price=10_000, description="Cup")],
    )
    login(client, users["sales"])
    page = text(client.get(reverse("service:ticket_new") + f"?customer={customer.pk}"))
    assert "B-7" not in page
    assert 'name="assignee"' not in page  # sales may not hand tickets out
    response = client.post(
        reverse("service:ticket_new"),
        {
            "customer": str(customer.pk),
            "subject": "",
            "body": "The cup was cracked",
            "kind": "complaint",
            "priority": "normal",
            "channel": "phone",
            "order": foreign.pk,
        },
    )
    assert response.status_code == 422
    page = text(response)
    assert "This field is required." in page
    assert "Select a valid choice" in page
    assert "The cup was cracked</textarea>" in page
    assert not Ticket.objects.exists()

    made = client.post(
        reverse("service:ticket_new"),
        {
            "customer": "۰" + str(customer.pk),
            "subject": "Cracked cup",
            "body": "The cup was cracked",
            "kind": "complaint",
            "priority": "high",
            "channel": "in_store",
        },
    )
    ticket = Ticket.objects.get()
    assert made.status_code == 302
    assert made["Location"] == ticket_url(ticket)
    assert (ticket.customer, ticket.priority, ticket.created_by) == (
        customer,
        "high",
        users["sales"],
    )


def test_script_in_a_subject_body_and_name_comes_back_escaped(
    desk: dict[str, Any], make_customer: Any, make_ticket: Any, client: Client
) -> None:
    customer = make_customer(first_name=XSS, last_name="<script>alert(2)</script>")
    ticket = make_ticket(customer=customer, subject=XSS, body=f"{XSS}\n<b>bold</b>")
    login(client, desk["agent"])
    for url in (ticket_url(ticket), reverse("service:ticket_list")):
        page = text(client.get(url))
        assert "<img src=x" not in page
        assert "<script>alert(2)" not in page
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    page = text(client.get(ticket_url(ticket)))
    assert "&lt;b&gt;bold&lt;/b&gt;" in page


# --- Canned replies --------------------------------------------------------------------------


def test_canned_rendering_is_a_single_allow_listed_pass() -> None:
    values = {"first_name": "{agent}", "agent": "Mina", "ticket": "T-1"}
    rendered = canned.render_text(
        "Hi {first_name}, {agent} here about {ticket}. {coupon} {{agent}} {0} { x }", values
    )
    assert rendered.text == "Hi {agent}, Mina here about T-1. {coupon} {Mina} {0} { x }"
    assert rendered.unknown == ("coupon",)
    assert canned.unknown_placeholders("{first_name} {frist_name} {order} {frist_name}") == [
        "frist_name"
    ]


def test_a_canned_reply_fills_the_box_with_a_hostile_name_shown_literally(
    desk: dict[str, Any], make_customer: Any, make_ticket: Any, client: Client
) -> None:
    customer = make_customer(first_name="{agent}", last_name="<b>{{ user.password }}</b>")
    ticket = make_ticket(customer=customer)
    reply = CannedReply.objects.create(
        title="Sorry",
        body_fa="سلام {first_name} {last_name}، {agent} هستم. {discount}",
        body_en="Hello {full_name}, this is {agent} about {ticket}.",
    )
    desk["agent"].first_name, desk["agent"].last_name = "Mina", "Karimi"
    desk["agent"].save(update_fields=["first_name", "last_name"])
    url = reverse("service:canned_render", args=[reply.pk]) + f"?ticket={ticket.pk}"

    login(client, desk["agent"], language="fa")
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = text(response)
    assert page.lstrip().startswith('<div id="reply-body-box">')
    assert (
        "سلام {agent} &lt;b&gt;{{ user.password }}&lt;/b&gt;، Mina Karimi هستم. {discount}" in page
    )
    assert "<code>{discount}</code>" in page

    login(client, desk["agent"], language="en")
    page = text(client.get(url, headers={"HX-Request": "true"}))
    hostile = "{agent} &lt;b&gt;{{ user.password }}&lt;/b&gt;"
    assert f"Hello {hostile}, this is Mina Karimi about {ticket.number}." in page

    # Without htmx the picker reloads the ticket page with the text in the box.
    plain = client.get(url)
    assert plain.status_code == 302
    filled = text(client.get(plain["Location"]))
    assert "this is Mina Karimi about" in filled


def test_canned_replies_on_an_unconfirmed_ticket_do_not_reveal_the_record(
    desk: dict[str, Any],
    users: dict[str, Any],
    make_customer: Any,
    make_ticket: Any,
    client: Client,
) -> None:
    customer = make_customer(first_name="مینا", last_name="کریمی")
    order = order_create(
        actor=users["sales"],
        customer=customer,
        number="Z-77",
        lines=[LineInput(quantity=1, unit_price=100_000, description="Mug")],
    )
    ticket = make_ticket(customer=customer, order=order, identity_confirmed=False)
    reply = CannedReply.objects.create(
        title="Hello",
        body_fa="سلام {first_name} {last_name}. سفارش {order} ({ticket})",
        body_en="Dear {full_name}, about order {order} ({ticket}).",
    )
    url = reverse("service:canned_render", args=[reply.pk]) + f"?ticket={ticket.pk}"

    login(client, desk["agent"], language="fa")
    persian = text(client.get(url, headers={"HX-Request": "true"}))
    assert f"سلام مشتری گرامی . سفارش  ({ticket.number})" in persian
    login(client, desk["agent"], language="en")
    english = text(client.get(url, headers={"HX-Request": "true"}))
    assert f"Dear valued customer, about order  ({ticket.number})." in english
    for page in (persian, english):
        assert "مینا" not in page
        assert "کریمی" not in page
        assert "Z-77" not in page

    # An English reader with only a Persian text gets the Persian greeting (the text's language).
    reply.body_en = ""
    reply.save(update_fields=["body_en"])
    assert "سلام مشتری گرامی" in text(client.get(url, headers={"HX-Request": "true"}))

    # Once staff confirmed who wrote, the record fills the reply again.
    tickets.ticket_update(actor=desk["agent"], ticket=ticket, confirm_identity=True)
    ticket.refresh_from_db()
    values = canned.values_for(ticket, desk["agent"])
    assert (values["first_name"], values["last_name"], values["order"]) == ("مینا", "کریمی", "Z-77")


# --- The list --------------------------------------------------------------------------------


def test_the_overdue_filter_shows_running_tickets_past_a_deadline(
    desk: dict[str, Any], make_ticket: Any, client: Client
) -> None:
    long_ago = timezone.now() - timedelta(days=30)
    late = make_ticket(subject="Late one", created_at=long_ago)
    waiting = make_ticket(subject="Waiting one", created_at=long_ago)
    tickets.message_add(
        actor=desk["agent"], ticket=waiting, kind="reply", body="?", wait_for_customer=True
    )
    fresh = make_ticket(subject="Fresh one")
    login(client, desk["agent"])
    page = text(client.get(reverse("service:ticket_list") + "?overdue=on"))
    assert f'data-ticket="{late.pk}" data-sla="overdue"' in page
    assert "Waiting one" not in page
    assert "Fresh one" not in page
    everything = text(client.get(reverse("service:ticket_list")))
    assert f'data-ticket="{waiting.pk}" data-sla="paused"' in everything
    assert f'data-ticket="{fresh.pk}" data-sla="on_time"' in everything
    # Sorted by the next deadline: the overdue one first, the paused one (no deadline) last.
    assert (
        everything.index("Late one")
        < everything.index("Fresh one")
        < everything.index("Waiting one")
    )


def test_the_list_finds_by_number_subject_and_mobile_in_any_digits(
    desk: dict[str, Any], make_customer: Any, make_ticket: Any, client: Client
) -> None:
    customer = make_customer(mobile="09121234567")
    mine = make_ticket(customer=customer, subject="Broken kettle")
    other = make_ticket(subject="Wrong size")
    login(client, desk["agent"])

    def found(query: str) -> set[int]:
        page = text(client.get(reverse("service:ticket_list"), {"q": query}))
        return {t.pk for t in (mine, other) if f'data-ticket="{t.pk}"' in page}

    assert found(f"T-{mine.pk}") == {mine.pk}
    assert found(f"t{other.pk}") == {other.pk}
    assert found("kettle") == {mine.pk}
    assert found("۰۹۱۲۱۲۳") == {mine.pk}
    assert found("0912 123 4567") == {mine.pk}


def test_the_list_refuses_unknown_sorts_and_parameters(
    users: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    login(client, users["sales"])
    for query in ("?sort=customer__password", "?sort=-id", "?status=x", "?where=1", "?team=abc"):
        response = client.get(reverse("service:ticket_list") + query)
        assert response.status_code == 400, query
    response = client.get(reverse("service:ticket_list") + "?where=1")
    assert "Unknown filter: where" in text(response)


def test_mine_and_status_filters(desk: dict[str, Any], make_ticket: Any, client: Client) -> None:
    own = make_ticket(subject="For agent one", assignee=desk["agent"])
    theirs = make_ticket(subject="For agent two", assignee=desk["agent2"])
    tickets.ticket_transition(
        actor=desk["agent2"], ticket=theirs, status="resolved", resolution="Fixed"
    )
    login(client, desk["agent"])
    mine = text(client.get(reverse("service:ticket_list") + "?mine=on&status=all"))
    assert "For agent one" in mine
    assert "For agent two" not in mine
    open_only = text(client.get(reverse("service:ticket_list")))
    assert "For agent one" in open_only
    assert "For agent two" not in open_only
    resolved = text(client.get(reverse("service:ticket_list") + "?status=resolved"))
    assert "For agent two" in resolved
    assert f'data-ticket="{own.pk}"' not in resolved


# --- The customer beside the ticket ----------------------------------------------------------


def test_the_ticket_shows_the_customers_story_from_other_departments(
    users: dict[str, Any], desk: dict[str, Any], client: Client, ticket: Ticket
) -> None:
    note_add(
        actor=users["sales"],
        customer=ticket.customer,
        body="Promised free delivery on the next order",
    )
    login(client, desk["agent"])
    page = text(client.get(ticket_url(ticket)))
    side = page[page.index('<aside id="ticket-side"') :]
    assert "Promised free delivery on the next order" in side
    assert 'data-department="sales"' in side


def test_the_often_dissatisfied_signal_is_shown_with_its_reasons(
    desk: dict[str, Any], make_customer: Any, make_ticket: Any, client: Client
) -> None:
    customer = make_customer()
    made = [make_ticket(customer=customer, subject=f"Complaint {n}") for n in range(4)]
    login(client, desk["agent"])
    page = text(client.get(ticket_url(made[-1])))
    assert 'id="service-flag"' in page
    assert "complaints in the last 12 months" in page


def test_a_follow_up_becomes_a_ticket_only_by_post(users: dict[str, Any], client: Client) -> None:
    login(client, users["sales"])
    url = reverse("service:ticket_from_follow_up", args=[999])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 404


def test_the_ticket_page_costs_the_same_queries_however_long_its_history(
    desk: dict[str, Any], users: dict[str, Any], make_customer: Any, client: Client
) -> None:
    customer = make_customer()
    order = order_create(
        actor=users["sales"],
        customer=customer,
        number="Q-1",
        lines=[
            LineInput(quantity=5, unit_price=100_000, description="Mug"),
            LineInput(quantity=5, unit_price=50_000, description="Plate"),
        ],
        status="delivered",
    )
    ticket = tickets.ticket_create(
        actor=desk["agent"], customer=customer, subject="s", body="b", channel="phone", order=order
    )
    login(client, desk["agent"])

    def add_history() -> None:
        for line in order.lines.all():
            returns.return_request(
                actor=desk["agent"], line=line, quantity=1, reason="r", ticket=ticket
            )
        compensation.compensation_grant(
            actor=desk["agent"], ticket=ticket, kind="voucher", amount=10_000, reason="x"
        )
        tickets.message_add(actor=users["sales"], ticket=ticket, kind="note", body="n")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ticket_url(ticket)).status_code == 200
        return len(captured.captured_queries)

    add_history()
    short = queries()
    for _n in range(3):
        add_history()
    assert queries() == short
    assert short <= 32


@pytest.mark.parametrize("query", ["\x00", "a\x00b", "\x1b[31m", "۰۹۱۲\x00"])
def test_the_customer_search_on_a_new_ticket_takes_any_bytes(
    client: Client, users: dict[str, Any], query: str
) -> None:
    client.force_login(users["service"])
    response = client.get(reverse("service:ticket_new"), {"q": query})
    assert response.status_code == 200
