"""The service desk's API: tickets, compensation and returns, end to end through HTTP.

Who may do what is also in ``test_api_permissions`` (every route × every role); here are the
rules that need a story: a colleague of another team, limits and approvals, the month's
budget, the guarantee window, and what each refusal leaves behind (nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, get_args

import pytest
from django.utils import timezone

from mehvar.core.models import ApiToken, TimelineEvent
from mehvar.core.roles import Role
from mehvar.customers.models import Customer, Order
from mehvar.customers.orders import LineInput, order_create
from mehvar.service import api_schemas as schemas
from mehvar.service.models import (
    ApprovalLimit,
    CompensationEntry,
    CompensationKind,
    CompensationRequest,
    DeskSettings,
    InspectionResult,
    Priority,
    ReturnRequest,
    Team,
    Ticket,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from mehvar.service.tickets import ticket_create

pytestmark = pytest.mark.django_db

Api = Callable[[str], Any]
# ``mehvar.api._field_path`` drops every location part named like one of ninja's wrappers, so
# a field called "body" is reported as "__all__" (still a 422, the right field unnamed).
SUBJECT = "سفارش دیر رسید"
BODY = "سفارشم سه روز دیر رسید و جعبه‌اش آسیب دیده بود."


@pytest.fixture
def desk(users: dict[str, Any], make_user: Any, tokens: dict[str, str]) -> dict[str, Any]:
    """Team "Support" (lead: the manager; agents: service, service2) takes every ticket, with a
    budget of 20,000,000 Rial a month; "Shop floor" has one agent of its own (service3)."""
    agent2 = make_user(Role.SERVICE, username="service2")
    outsider = make_user(Role.SERVICE, username="service3")
    team = Team.objects.create(name="Support", lead=users["manager"], monthly_budget=20_000_000)
    team.members.add(users["service"], agent2)
    other = Team.objects.create(name="Shop floor", monthly_budget=20_000_000)
    other.members.add(outsider)
    settings = DeskSettings.current()
    settings.default_team = team
    settings.save()
    # ``as_role`` reads this dict when called, so the extra agents get clients too.
    for user in (agent2, outsider):
        tokens[user.username] = ApiToken.issue(user=user, name="tests")[1]
    return {"team": team, "other": other, "agent2": agent2, "outsider": outsider}


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer(first_name="لیلا", last_name="حسینی")


@pytest.fixture
def ticket(desk: dict[str, Any], users: dict[str, Any], customer: Customer) -> Ticket:
    """Open, in Support, assigned to the service user."""
    return ticket_create(
        actor=users["service"],
        customer=customer,
        subject=SUBJECT,
        body=BODY,
        channel="phone",
        assignee=users["service"],
    )


def _order(users: dict[str, Any], customer: Customer, **extra: Any) -> Order:
    extra.setdefault("number", "INV-77")
    return order_create(
        actor=users["admin"],
        customer=customer,
        lines=[LineInput(quantity=3, unit_price=400_000, description="کتری برقی")],
        **extra,
    )


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every row a desk write could touch."""
    models = [
        Ticket,
        TicketMessage,
        CompensationEntry,
        CompensationRequest,
        ReturnRequest,
        TimelineEvent,
    ]
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in models}


def _errors(response: Any, status: int = 422) -> dict[str, str]:
    assert response.status_code == status, response.content
    errors: dict[str, str] = response.json()["errors"]
    assert all(errors.values())
    return errors


# --- tickets --------------------------------------------------------------------------------
def test_create_list_read_reply_resolve(
    desk: dict[str, Any], users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    sales, service = as_role("sales"), as_role("service")
    created = sales.post(
        "/tickets",
        {"customer_id": customer.pk, "subject": SUBJECT, "body": BODY, "priority": "high"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    number = body["id"]
    assert body["number"] == f"T-{number}"
    assert (body["status"], body["priority"], body["channel"]) == ("new", "high", "api")
    # The desk picks the agent with the fewest open tickets in the ticket's team.
    assert (body["team_id"], body["assignee_id"]) == (desk["team"].pk, users["service"].pk)
    assert [(m["kind"], m["body"]) for m in body["messages"]] == [("customer", BODY)]
    assert body["sla"]["response_target_minutes"] == 120  # the default for "high"
    assert body["sla"]["resolution_target_minutes"] == 480
    assert body["sla"]["paused"] is False
    assert body["sla"]["response_breached"] is body["sla"]["resolution_breached"] is False

    mine = service.get("/tickets", assignee="me", status=["new", "open"])
    assert [t["id"] for t in mine.json()["items"]] == [number]
    assert mine.json()["count"] == 1
    assert service.get("/tickets", assignee="me", status="resolved").json()["count"] == 0

    reply = service.post(f"/tickets/{number}/messages", {"kind": "reply", "body": "پیگیری می‌کنیم."})
    assert reply.status_code == 201, reply.content
    assert (reply.json()["kind"], reply.json()["author_id"]) == ("reply", users["service"].pk)
    note = service.post(f"/tickets/{number}/messages", {"kind": "note", "body": "انبار تهران"})
    assert note.status_code == 201

    resolved = service.post(
        f"/tickets/{number}/status", {"status": "resolved", "resolution": "ارسال دوباره شد."}
    )
    assert resolved.status_code == 200, resolved.content
    detail = sales.get(f"/tickets/{number}").json()
    assert (detail["status"], detail["resolution"]) == ("resolved", "ارسال دوباره شد.")
    assert detail["first_responded_at"] is not None
    assert detail["resolved_at"] is not None
    # Every employee reads the internal notes too; only employees hold tokens.
    assert [m["kind"] for m in detail["messages"]] == ["customer", "reply", "note"]
    assert detail["sla"]["response_remaining_seconds"] is None
    assert detail["sla"]["resolution_remaining_seconds"] is None
    stored = Ticket.objects.get(pk=number)
    assert (stored.status, stored.created_by_id) == (TicketStatus.RESOLVED, users["sales"].pk)


def test_resolving_needs_a_resolution_and_steps_are_checked(ticket: Ticket, as_role: Api) -> None:
    service = as_role("service")
    assert _errors(service.post(f"/tickets/{ticket.pk}/status", {"status": "resolved"})) == {
        "resolution": "Say what was done before resolving."
    }
    closing = service.post(f"/tickets/{ticket.pk}/status", {"status": "closed"})
    assert closing.status_code == 409
    assert closing.json()["detail"] == "This step is not possible now."
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW


def test_sla_block_counts_business_time_and_pauses(ticket: Ticket, as_role: Api) -> None:
    service = as_role("service")
    sla = service.get(f"/tickets/{ticket.pk}").json()["sla"]
    # Normal priority: 4 h to answer, 24 h to resolve, in business seconds; a fresh ticket has
    # used at most the few seconds of this test (none at all outside working hours).
    assert 0 <= 4 * 3600 - sla["response_remaining_seconds"] <= 60
    assert 0 <= 24 * 3600 - sla["resolution_remaining_seconds"] <= 60
    assert sla["first_response_due"] is not None

    asked = service.post(
        f"/tickets/{ticket.pk}/messages",
        {"kind": "reply", "body": "شمارهٔ سفارش را بفرستید.", "wait_for_customer": True},
    )
    assert asked.status_code == 201
    detail = service.get(f"/tickets/{ticket.pk}").json()
    assert (detail["status"], detail["paused"]) == ("waiting", True)
    assert detail["sla"]["paused"] is True
    assert detail["sla"]["resolution_due"] is None  # no deadline while the customer is asked
    assert detail["sla"]["response_remaining_seconds"] is None  # answered
    assert 0 <= 24 * 3600 - detail["sla"]["resolution_remaining_seconds"] <= 60


def test_an_old_ticket_is_breached_and_overdue(
    desk: dict[str, Any], users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    old = ticket_create(
        actor=users["service"],
        customer=customer,
        subject="قدیمی",
        body=BODY,
        channel="phone",
        created_at=timezone.now() - timedelta(days=30),
    )
    fresh = ticket_create(
        actor=users["service"], customer=customer, subject="تازه", body=BODY, channel="phone"
    )
    api = as_role("marketing")
    sla = api.get(f"/tickets/{old.pk}").json()["sla"]
    assert sla["response_breached"] is sla["resolution_breached"] is True
    assert sla["response_remaining_seconds"] < 0
    assert sla["resolution_remaining_seconds"] < 0
    listed = {t["id"]: t["overdue"] for t in api.get("/tickets").json()["items"]}
    assert listed == {old.pk: True, fresh.pk: False}
    assert [t["id"] for t in api.get("/tickets", overdue="true").json()["items"]] == [old.pk]


def test_list_filters(
    desk: dict[str, Any], users: dict[str, Any], make_customer: Any, as_role: Api
) -> None:
    first, second = make_customer(), make_customer()

    def make(customer: Customer, **extra: Any) -> Ticket:
        return ticket_create(
            actor=users["manager"], customer=customer, body=BODY, channel="phone", **extra
        )

    late = make(first, subject="بستهٔ دیرکرد", priority=Priority.URGENT)
    question = make(second, subject="ساعت کاری", kind=TicketKind.QUESTION, assignee=None)
    Ticket.objects.filter(pk=question.pk).update(assignee=None, team=desk["other"])
    api = as_role("sales")

    def ids(**params: Any) -> set[int]:
        response = api.get("/tickets", **params)
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["items"]}

    assert ids() == {late.pk, question.pk}
    assert ids(kind="question") == {question.pk}
    assert ids(priority="urgent") == {late.pk}
    assert ids(customer=second.pk) == {question.pk}
    assert ids(team=desk["other"].pk) == {question.pk}
    assert ids(assignee="none") == {question.pk}
    assert ids(assignee=late.assignee_id) == {late.pk}
    assert ids(assignee="me") == set()
    assert ids(q="دیرکرد") == {late.pk}
    assert ids(q=f"T-{question.pk}") == {question.pk}
    assert ids(q=str(late.pk)) == {late.pk}


def test_list_queries_do_not_grow_with_rows(
    ticket: Ticket,
    users: dict[str, Any],
    customer: Customer,
    as_role: Api,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(5):
        ticket_create(
            actor=users["service"], customer=customer, subject=f"#{n}", body=BODY, channel="web"
        )
    with django_assert_max_num_queries(8):
        response = as_role("service").get("/tickets")
    assert response.json()["count"] == 6


def test_patch_reassigns_reprioritises_and_unassigns(
    ticket: Ticket, desk: dict[str, Any], as_role: Api
) -> None:
    service = as_role("service")
    due = ticket.resolution_due
    moved = service.patch(
        f"/tickets/{ticket.pk}", {"assignee_id": desk["agent2"].pk, "priority": "urgent"}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["assignee_id"], moved.json()["priority"]) == (desk["agent2"].pk, "urgent")
    ticket.refresh_from_db()
    assert ticket.resolution_due is not None
    assert due is not None
    assert ticket.resolution_due < due  # urgent: 4 business hours instead of 24
    assert (
        service.patch(f"/tickets/{ticket.pk}", {"assignee_id": None}).json()["assignee_id"] is None
    )
    assert _errors(service.patch(f"/tickets/{ticket.pk}", {"priority": None})).keys() == {
        "priority"
    }
    assert _errors(service.patch(f"/tickets/{ticket.pk}", {"team_id": 987_654})).keys() == {
        "team_id"
    }
    assert _errors(service.patch(f"/tickets/{ticket.pk}", {"assignee_id": 987_654})).keys() == {
        "assignee_id"
    }


def test_only_workers_can_be_assigned(ticket: Ticket, users: dict[str, Any], as_role: Api) -> None:
    before = _state()
    response = as_role("manager").patch(
        f"/tickets/{ticket.pk}", {"assignee_id": users["marketing"].pk}
    )
    assert _errors(response) == {"assignee_id": "This person cannot work on tickets."}
    assert _state() == before


# --- who may do what ------------------------------------------------------------------------
def test_sales_opens_and_notes_but_cannot_work_the_ticket(
    ticket: Ticket, users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    sales = as_role("sales")
    opened = sales.post(
        "/tickets", {"customer_id": customer.pk, "subject": "فاکتور", "body": "فاکتور نرسید."}
    )
    assert opened.status_code == 201
    noted = sales.post(f"/tickets/{ticket.pk}/messages", {"kind": "note", "body": "مشتری مهم"})
    assert noted.status_code == 201
    entry = as_role("service").post(
        f"/tickets/{ticket.pk}/compensations",
        {"kind": "voucher", "amount": 500_000, "reason": "دیرکرد"},
    )
    assert entry.status_code == 201
    order = _order(users, customer)

    before = _state()
    refusals = [
        sales.post(f"/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "سلام"}),
        sales.post(f"/tickets/{ticket.pk}/status", {"status": "open"}),
        sales.patch(f"/tickets/{ticket.pk}", {"priority": "urgent"}),
        sales.post(
            f"/tickets/{ticket.pk}/compensations",
            {"kind": "voucher", "amount": 100_000, "reason": "دلجویی"},
        ),
        sales.post(f"/compensations/{entry.json()['entry']['id']}/reverse", {"reason": "اشتباه"}),
        sales.post(
            "/returns", {"line_id": order.lines.get().pk, "quantity": 1, "reason": "خراب بود"}
        ),
        sales.get("/compensation-budgets"),
        sales.get("/compensation-requests"),
        # Handing a new ticket to someone else is the desk's decision.
        sales.post(
            "/tickets",
            {
                "customer_id": customer.pk,
                "subject": "x",
                "body": "y",
                "assignee_id": users["service"].pk,
            },
        ),
    ]
    for response in refusals:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
    assert _state() == before


def test_an_agent_of_another_team_reads_and_notes_only(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    outsider = as_role("service3")
    order = _order(users, customer)
    assert outsider.get(f"/tickets/{ticket.pk}").status_code == 200
    before = _state()
    refusals = [
        outsider.post(f"/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "سلام"}),
        outsider.post(f"/tickets/{ticket.pk}/status", {"status": "open"}),
        outsider.patch(f"/tickets/{ticket.pk}", {"assignee_id": desk["outsider"].pk}),
        outsider.post(
            f"/tickets/{ticket.pk}/compensations",
            {"kind": "voucher", "amount": 100_000, "reason": "دلجویی"},
        ),
        outsider.post(
            "/returns",
            {
                "line_id": order.lines.get().pk,
                "quantity": 1,
                "reason": "خراب بود",
                "ticket_id": ticket.pk,
            },
        ),
    ]
    for response in refusals:
        assert response.status_code == 403, response.content
        assert (
            response.json()["detail"] == "Only the assignee, their team or a manager may do this."
        )
    assert _state() == before
    assert (
        outsider.post(
            f"/tickets/{ticket.pk}/messages", {"kind": "note", "body": "این مشتری را می‌شناسم."}
        ).status_code
        == 201
    )
    # A colleague of the same team may step in.
    colleague = as_role("service2")
    assert (
        colleague.post(
            f"/tickets/{ticket.pk}/messages", {"kind": "reply", "body": "سلام"}
        ).status_code
        == 201
    )


def test_post_tickets_refuses_fields_a_client_may_not_set(
    desk: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    base = {"customer_id": customer.pk, "subject": SUBJECT, "body": BODY}
    for extra in (
        {"status": "resolved"},
        {"team_id": desk["other"].pk},
        {"created_by_id": 1},
        {"first_response_due": "2030-01-01T00:00:00+03:30"},
        {"public_key": "guess"},
    ):
        assert _errors(as_role("manager").post("/tickets", base | extra)).keys() == extra.keys()
    assert Ticket.objects.count() == 0


# --- compensation ---------------------------------------------------------------------------
def _grant(api: Any, ticket: Ticket, amount: Any, **extra: Any) -> Any:
    body = {"kind": "voucher", "amount": amount, "reason": "سه روز دیرکرد"} | extra
    return api.post(f"/tickets/{ticket.pk}/compensations", body)


def test_grant_within_the_limit_is_written(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any], as_role: Api
) -> None:
    response = _grant(as_role("service"), ticket, "۵۰۰۰۰۰۰")  # the service limit, Persian digits
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "granted"
    assert body["request"] is None
    entry = CompensationEntry.objects.get()
    assert body["entry"]["id"] == entry.pk
    assert (entry.amount, entry.team_id, entry.granted_by_id) == (
        5_000_000,
        desk["team"].pk,
        users["service"].pk,
    )
    assert body["entry"]["code"].startswith("MV-")
    listed = as_role("sales").get(f"/tickets/{ticket.pk}/compensations").json()
    assert listed["net_amount"] == 5_000_000
    assert [e["id"] for e in listed["entries"]] == [entry.pk]


def test_grant_above_the_limit_waits_for_a_manager(
    ticket: Ticket, users: dict[str, Any], as_role: Api
) -> None:
    pending = _grant(as_role("service"), ticket, 8_000_000)
    assert pending.status_code == 202, pending.content
    body = pending.json()
    assert (body["status"], body["entry"]) == ("pending_approval", None)
    assert body["request"]["status"] == "pending"
    assert CompensationEntry.objects.count() == 0
    request_id = body["request"]["id"]
    listed = as_role("manager").get("/compensation-requests", status="pending").json()
    assert [r["id"] for r in listed["items"]] == [request_id]

    # Only approvers decide; the requester's colleague cannot.
    refused = as_role("service2").post(
        f"/compensation-requests/{request_id}/decision", {"approve": True}
    )
    assert refused.status_code == 403
    approved = as_role("manager").post(
        f"/compensation-requests/{request_id}/decision", {"approve": True, "note": "موافقم"}
    )
    assert approved.status_code == 200, approved.content
    entry = CompensationEntry.objects.get()
    assert approved.json()["status"] == "approved"
    assert approved.json()["entry_id"] == entry.pk
    assert (entry.amount, entry.granted_by_id, entry.approved_by_id) == (
        8_000_000,
        users["service"].pk,
        users["manager"].pk,
    )
    again = as_role("admin").post(
        f"/compensation-requests/{request_id}/decision", {"approve": False, "note": "نه"}
    )
    assert again.status_code == 409
    assert CompensationEntry.objects.count() == 1


def test_an_approver_below_the_amount_cannot_approve(ticket: Ticket, as_role: Api) -> None:
    ApprovalLimit.objects.update_or_create(role="manager", defaults={"max_amount": 6_000_000})
    request_id = _grant(as_role("service"), ticket, 8_000_000).json()["request"]["id"]
    before = _state()
    refused = as_role("manager").post(
        f"/compensation-requests/{request_id}/decision", {"approve": True}
    )
    assert refused.status_code == 403
    assert refused.json()["detail"] == "This is above your approval limit of 600,000 Toman."
    assert _state() == before
    assert CompensationRequest.objects.get().status == "pending"
    # Rejecting needs no limit, but a reason.
    assert _errors(
        as_role("manager").post(f"/compensation-requests/{request_id}/decision", {"approve": False})
    ) == {"note": "Say why the request is rejected."}
    assert (
        as_role("admin")
        .post(f"/compensation-requests/{request_id}/decision", {"approve": True})
        .status_code
        == 200
    )


def test_the_month_budget_is_not_overspent(
    ticket: Ticket, desk: dict[str, Any], as_role: Api
) -> None:
    admin = as_role("admin")
    assert _grant(admin, ticket, 15_000_000).status_code == 201
    before = _state()
    over = _grant(admin, ticket, 6_000_000)
    assert over.status_code == 409
    assert over.json()["detail"] == (
        "This would go over the team's budget for the month: 500,000 Toman is left of "
        "2,000,000 Toman."
    )
    assert _state() == before
    budgets = {b["team"]: b for b in as_role("service").get("/compensation-budgets").json()}
    support = budgets["Support"]
    assert (support["budget"], support["spent"], support["left"]) == (
        20_000_000,
        15_000_000,
        5_000_000,
    )
    assert support["team_id"] == desk["team"].pk
    assert len(support["month"]) == 7
    assert support["month"].startswith("14")
    assert budgets["Shop floor"]["spent"] == 0


def test_a_grant_is_reversed_once(ticket: Ticket, users: dict[str, Any], as_role: Api) -> None:
    entry_id = _grant(as_role("service"), ticket, 1_000_000).json()["entry"]["id"]
    manager = as_role("manager")
    reversed_ = manager.post(f"/compensations/{entry_id}/reverse", {"reason": "اشتباه ثبت شد"})
    assert reversed_.status_code == 201, reversed_.content
    reversal = reversed_.json()
    assert (reversal["amount"], reversal["reverses_id"]) == (-1_000_000, entry_id)
    before = _state()
    twice = manager.post(f"/compensations/{entry_id}/reverse", {"reason": "دوباره"})
    assert twice.status_code == 409
    assert twice.json()["detail"] == "This grant was already reversed."
    of_reversal = manager.post(f"/compensations/{reversal['id']}/reverse", {"reason": "x"})
    assert of_reversal.status_code == 409
    assert _state() == before
    listed = as_role("service").get(f"/tickets/{ticket.pk}/compensations").json()
    assert listed["net_amount"] == 0
    original = next(e for e in listed["entries"] if e["id"] == entry_id)
    assert original["reversed_by_id"] == reversal["id"]
    support = as_role("service").get("/compensation-budgets").json()[0]
    assert support["spent"] == 0


def test_a_retried_grant_is_written_once(ticket: Ticket, as_role: Api) -> None:
    service = as_role("service")
    body = {"kind": "refund", "amount": 7_000_000, "reason": "کالا خراب بود"}
    headers = {"Idempotency-Key": "grant-1"}
    first = service.post(f"/tickets/{ticket.pk}/compensations", body, headers=headers)
    second = service.post(f"/tickets/{ticket.pk}/compensations", body, headers=headers)
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert CompensationRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "abc"}, "amount"),
        ({"amount": "12,000"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"amount": -5}, "amount"),
        ({"amount": 1.5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": 10**14}, "amount"),
        ({"kind": "cash"}, "kind"),
        ({"reason": "   "}, "reason"),
        ({"reason": "x" * 501}, "reason"),
        ({"team_id": 1}, "team_id"),
        ({"approved_by_id": 1}, "approved_by_id"),
        ({"counts_to_budget": False}, "counts_to_budget"),
    ],
)
def test_grant_names_the_bad_field(
    change: dict[str, Any], field: str, ticket: Ticket, as_role: Api
) -> None:
    body = {"amount": 100_000} | change
    before = _state()
    assert _errors(_grant(as_role("manager"), ticket, **body)).keys() == {field}
    assert _state() == before


# --- returns --------------------------------------------------------------------------------
def test_a_return_is_received_inspected_and_refunded(
    desk: dict[str, Any], users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    order = _order(users, customer, status="delivered")
    line = order.lines.get()
    service = as_role("service")
    created = service.post("/returns", {"line_id": line.pk, "quantity": "۲", "reason": "نشتی دارد"})
    assert created.status_code == 201, created.content
    ret = created.json()
    assert (ret["status"], ret["quantity"], ret["order_id"]) == ("requested", 2, order.pk)
    opened = Ticket.objects.get(pk=ret["ticket_id"])
    assert (opened.kind, opened.order_id, opened.customer_id) == ("return", order.pk, customer.pk)

    # Only one more of the three may come back now.
    assert _errors(
        service.post("/returns", {"line_id": line.pk, "quantity": 2, "reason": "دومی"})
    ) == {"quantity": "At most 1 of this line can still come back."}

    path = f"/returns/{ret['id']}"
    assert (
        service.post(f"{path}/inspect", {"result": "defective", "accept": True}).status_code == 409
    )
    assert service.post(f"{path}/receive").json()["status"] == "received"
    assert service.post(f"{path}/receive").status_code == 409
    assert _errors(service.post(f"{path}/inspect", {"result": "defective", "accept": False})) == {
        "note": "Say why the return is refused."
    }
    too_much = service.post(
        f"{path}/inspect", {"result": "defective", "accept": True, "refund_amount": 800_001}
    )
    assert _errors(too_much).keys() == {"refund_amount"}
    inspected = service.post(f"{path}/inspect", {"result": "defective", "accept": True})
    assert inspected.status_code == 200, inspected.content
    assert (inspected.json()["status"], inspected.json()["refund_amount"]) == ("accepted", 800_000)
    refunded = service.post(f"{path}/refund")
    assert refunded.status_code == 200, refunded.content
    entry = CompensationEntry.objects.get()
    assert refunded.json()["refund_id"] == entry.pk
    assert (entry.amount, entry.kind, entry.counts_to_budget) == (800_000, "refund", False)
    assert service.post(f"{path}/refund").status_code == 409
    assert CompensationEntry.objects.count() == 1
    # The guarantee refund is outside the team's discretionary budget.
    assert service.get("/compensation-budgets").json()[0]["spent"] == 0
    assert as_role("sales").get(path).json()["status"] == "refunded"


def test_a_return_after_the_guarantee_is_refused(
    desk: dict[str, Any], users: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    order = _order(users, customer, placed_at=timezone.now() - timedelta(days=30))
    before = _state()
    response = as_role("service").post(
        "/returns", {"line_id": order.lines.get().pk, "quantity": 1, "reason": "پشیمان شدم"}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("The money-back guarantee of this order ended on ")
    assert _state() == before


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "ten"}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": 4}, "quantity"),  # the line has three
        ({"line_id": 987_654}, "line_id"),
        ({"ticket_id": 987_654}, "ticket_id"),
        ({"reason": ""}, "reason"),
        ({"status": "refunded"}, "status"),
    ],
)
def test_return_names_the_bad_field(
    change: dict[str, Any],
    field: str,
    desk: dict[str, Any],
    users: dict[str, Any],
    customer: Customer,
    as_role: Api,
) -> None:
    line = _order(users, customer).lines.get()
    body = {"line_id": line.pk, "quantity": 1, "reason": "خراب"} | change
    before = _state()
    assert _errors(as_role("service").post("/returns", body)).keys() == {field}
    assert _state() == before


def test_a_ticket_of_another_customer_cannot_carry_the_return(
    ticket: Ticket, users: dict[str, Any], make_customer: Any, as_role: Api
) -> None:
    line = _order(users, make_customer()).lines.get()
    body = {"line_id": line.pk, "quantity": 1, "reason": "خراب", "ticket_id": ticket.pk}
    assert _errors(as_role("service").post("/returns", body)) == {
        "ticket_id": "This ticket belongs to another customer."
    }


# --- bad input and language -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "x" * 10_000}, "subject"),
        ({"subject": "  "}, "subject"),
        pytest.param({"body": "x" * 20_001}, "body"),
        pytest.param({"body": "a\x00b"}, "body"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"customer_id": 987_654}, "customer_id"),
        ({"priority": "asap"}, "priority"),
        ({"kind": "praise"}, "kind"),
        ({"channel": "survey"}, "channel"),
        ({"category_id": 987_654}, "category_id"),
        ({"order_id": "۹۸۷۶۵۴"}, "order_id"),
        ({"assignee_id": 2**64}, "assignee_id"),
    ],
)
def test_ticket_create_names_the_bad_field(
    change: dict[str, Any], field: str, desk: dict[str, Any], customer: Customer, as_role: Api
) -> None:
    body = {"customer_id": customer.pk, "subject": SUBJECT, "body": BODY} | change
    assert _errors(as_role("service").post("/tickets", body)).keys() == {field}
    assert Ticket.objects.count() == 0


def test_an_order_of_another_customer(
    desk: dict[str, Any],
    users: dict[str, Any],
    customer: Customer,
    make_customer: Any,
    as_role: Api,
) -> None:
    order = _order(users, make_customer())
    body = {"customer_id": customer.pk, "subject": SUBJECT, "body": BODY, "order_id": order.pk}
    assert _errors(as_role("service").post("/tickets", body)) == {
        "order_id": "This order belongs to another customer."
    }


def test_message_and_status_name_the_bad_field(ticket: Ticket, as_role: Api) -> None:
    service = as_role("service")
    path = f"/tickets/{ticket.pk}"
    before = _state()
    assert _errors(service.post(f"{path}/status", {"status": "lost"})).keys() == {"status"}
    assert _errors(service.post(f"{path}/messages", {"kind": "email", "body": "x"})).keys() == {
        "kind"
    }
    assert _errors(service.post(f"{path}/messages", {"kind": "reply", "body": " "})).keys() == {
        "body"
    }
    waiting_note = service.post(
        f"{path}/messages", {"kind": "note", "body": "x", "wait_for_customer": True}
    )
    assert _errors(waiting_note).keys() == {"__all__"}
    assert _state() == before


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"status": ["open", "lost"]}, "status[2]"),
        ({"assignee": "bob"}, "assignee"),
        ({"assignee": "0"}, "assignee"),
        ({"team": "abc"}, "team"),
        ({"kind": "praise"}, "kind"),
        ({"overdue": "perhaps"}, "overdue"),
        ({"q": "x" * 201}, "q"),
        ({"ordering": "-id"}, "ordering"),
        ({"assignee__username": "admin"}, "assignee__username"),
    ],
)
def test_list_refuses_unknown_filter_values(
    params: dict[str, Any], field: str, desk: dict[str, Any], as_role: Api
) -> None:
    errors = _errors(as_role("sales").get("/tickets", **params))
    assert any(key.startswith(field) for key in errors), errors


@pytest.mark.parametrize("path", ["/tickets/987654", "/returns/987654"])
def test_unknown_records_are_404(path: str, desk: dict[str, Any], as_role: Api) -> None:
    response = as_role("service").get(path)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_accept_language_picks_the_message_language(ticket: Ticket, as_role: Api) -> None:
    body = {"kind": "voucher", "amount": 1000, "reason": "x"}
    path = f"/tickets/{ticket.pk}/compensations"
    english = as_role("sales").post(path, body)
    persian = as_role("sales").post(path, body, headers={"Accept-Language": "fa"})
    assert english.json()["detail"] == "Your role may not do this."
    assert persian.json()["detail"] == "نقش شما اجازه این کار را ندارد."


def test_the_schema_choices_match_the_models() -> None:
    """The API's literals are spelt out for OpenAPI; they must not drift from the models."""
    assert set(get_args(schemas.TicketStatusValue)) == set(TicketStatus.values)
    assert set(get_args(schemas.TicketKindValue)) == set(TicketKind.values)
    assert set(get_args(schemas.PriorityValue)) == set(Priority.values)
    assert set(get_args(schemas.CompensationKindValue)) == set(CompensationKind.values)
    assert set(get_args(schemas.InspectionValue)) == set(InspectionResult.values)


def test_patch_confirms_who_wrote_once_and_never_unconfirms(
    customer: Customer, desk: dict[str, Any], as_role: Api
) -> None:
    typed = ticket_create(
        actor=None,
        customer=customer,
        subject="شکایت",
        body=BODY,
        channel="web",
        identity_confirmed=False,
    )
    service = as_role("service")
    assert service.get(f"/tickets/{typed.pk}").json()["identity_confirmed"] is False
    assert _errors(service.patch(f"/tickets/{typed.pk}", {"confirm_identity": False})).keys() == {
        "confirm_identity"
    }
    assert (
        as_role("sales").patch(f"/tickets/{typed.pk}", {"confirm_identity": True}).status_code
        == 403
    )
    confirmed = service.patch(f"/tickets/{typed.pk}", {"confirm_identity": True})
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["identity_confirmed"] is True
