"""Compensation: within a person's limit and the team's monthly (Jalali) budget, or approved.

The desk fixture's team has a 20,000,000 Rial budget; the migration's limits are service
5,000,000, manager 50,000,000 and admin 500,000,000 Rial per grant. Concurrent grants are in
test_service_race.py (PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone, translation
from persian_check import assert_persian

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.service import compensation, tickets
from mehvar.service.models import (
    ApprovalLimit,
    CompensationEntry,
    CompensationRequest,
    RequestStatus,
    Team,
    Ticket,
)

pytestmark = pytest.mark.django_db

MILLION = 1_000_000


@pytest.fixture
def ticket(make_ticket: Any) -> Ticket:
    made: Ticket = make_ticket()
    return made


def grant(actor: Any, ticket: Ticket, amount: int, kind: str = "voucher") -> Any:
    return compensation.compensation_grant(
        actor=actor, ticket=ticket, kind=kind, amount=amount, reason="کالا آسیب دیده بود"
    )


def entries() -> list[tuple[int, str, str | None]]:
    return [
        (entry.amount, entry.granted_by.username, entry.approved_by and entry.approved_by.username)
        for entry in CompensationEntry.objects.order_by("pk").select_related(
            "granted_by", "approved_by"
        )
    ]


# --- limits ----------------------------------------------------------------------------------


def test_the_limits_come_from_the_rows_and_fall_back_to_the_defaults(
    users: dict[str, Any],
) -> None:
    assert compensation.limit_of(users["service"]) == 5 * MILLION
    assert compensation.limit_of(users["manager"]) == 50 * MILLION
    assert compensation.limit_of(users["admin"]) == 500 * MILLION
    assert compensation.limit_of(users["sales"]) == 0
    ApprovalLimit.objects.filter(role="service").update(max_amount=MILLION)
    assert compensation.limit_of(users["service"]) == MILLION
    ApprovalLimit.objects.all().delete()
    assert compensation.limit_of(users["service"]) == compensation.DEFAULT_LIMITS["service"]
    assert compensation.limit_of(users["manager"]) == compensation.DEFAULT_LIMITS["manager"]
    assert compensation.limit_of(users["marketing"]) == 0


def test_a_grant_within_the_limit_is_written_to_the_ledger(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    entry = grant(desk["agent"], ticket, 5 * MILLION)
    assert isinstance(entry, CompensationEntry)
    assert (entry.amount, entry.kind, entry.granted_by, entry.approved_by) == (
        5 * MILLION,
        "voucher",
        desk["agent"],
        None,
    )
    assert (entry.team, entry.customer_id, entry.ticket_id) == (
        desk["team"],
        ticket.customer_id,
        ticket.pk,
    )
    assert entry.counts_to_budget
    assert entry.code.startswith("MV-")
    assert len(entry.code) == 11
    assert CompensationRequest.objects.count() == 0
    event = TimelineEvent.objects.get(customer=ticket.customer, kind=EventKind.COMPENSATION)
    assert event.data == {
        "ticket": ticket.pk,
        "amount": 5 * MILLION,
        "kind": "voucher",
        "code": entry.code,
    }
    assert event.actor == desk["agent"]
    assert compensation.budget_of(desk["team"]).spent == 5 * MILLION


def test_only_vouchers_get_a_code(ticket: Ticket, desk: dict[str, Any]) -> None:
    assert grant(desk["agent"], ticket, MILLION, kind="refund").code == ""


def test_a_grant_above_the_limit_waits_for_approval(ticket: Ticket, desk: dict[str, Any]) -> None:
    request = grant(desk["agent"], ticket, 5 * MILLION + 10)
    assert isinstance(request, CompensationRequest)
    assert (request.status, request.amount, request.requested_by) == (
        RequestStatus.PENDING,
        5 * MILLION + 10,
        desk["agent"],
    )
    assert CompensationEntry.objects.count() == 0
    assert compensation.budget_of(desk["team"]).spent == 0
    event = TimelineEvent.objects.get(customer=ticket.customer, kind=EventKind.COMPENSATION)
    assert event.data["pending"] is True


def test_an_approval_limit_row_overrides_the_default(ticket: Ticket, desk: dict[str, Any]) -> None:
    ApprovalLimit.objects.filter(role="service").update(max_amount=MILLION)
    assert isinstance(grant(desk["agent"], ticket, 2 * MILLION), CompensationRequest)
    ApprovalLimit.objects.filter(role="service").update(max_amount=10 * MILLION)
    assert isinstance(grant(desk["agent"], ticket, 8 * MILLION), CompensationEntry)


def test_a_manager_approves_within_their_limit(ticket: Ticket, desk: dict[str, Any]) -> None:
    request = grant(desk["agent"], ticket, 8 * MILLION)
    decided = compensation.compensation_decide(actor=desk["lead"], request=request, approve=True)
    assert decided.status == RequestStatus.APPROVED
    assert decided.decided_by == desk["lead"]
    assert decided.decided_at is not None
    assert decided.entry is not None
    assert entries() == [(8 * MILLION, "service", "manager")]
    request.refresh_from_db()
    assert request.entry_id == decided.entry.pk
    assert compensation.budget_of(desk["team"]).spent == 8 * MILLION


def test_a_manager_above_their_own_limit_is_refused(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any]
) -> None:
    Team.objects.filter(pk=desk["team"].pk).update(monthly_budget=100 * MILLION)
    request = grant(desk["agent"], ticket, 60 * MILLION)
    with translation.override("en"), pytest.raises(PermissionDenied) as caught:
        compensation.compensation_decide(actor=desk["lead"], request=request, approve=True)
    assert str(caught.value.message) == "This is above your approval limit of 5,000,000 Toman."
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert CompensationEntry.objects.count() == 0
    # The admin's limit covers it.
    compensation.compensation_decide(actor=users["admin"], request=request, approve=True)
    assert entries() == [(60 * MILLION, "service", "admin")]


@pytest.mark.parametrize("role", ["service", "sales", "marketing"])
def test_only_managers_decide(
    ticket: Ticket, desk: dict[str, Any], users: dict[str, Any], role: str
) -> None:
    request = grant(desk["agent"], ticket, 8 * MILLION)
    with pytest.raises(PermissionDenied):
        compensation.compensation_decide(actor=users[role], request=request, approve=True)
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert CompensationEntry.objects.count() == 0


def test_a_request_is_decided_once(ticket: Ticket, desk: dict[str, Any]) -> None:
    request = grant(desk["agent"], ticket, 8 * MILLION)
    compensation.compensation_decide(actor=desk["lead"], request=request, approve=True)
    for approve, note in ((True, ""), (False, "نه")):
        with pytest.raises(ServiceError) as caught:
            compensation.compensation_decide(
                actor=desk["lead"], request=request, approve=approve, note=note
            )
        assert caught.value.code == ErrorCode.CONFLICT
    assert CompensationEntry.objects.count() == 1


def test_a_rejection_needs_a_note(ticket: Ticket, desk: dict[str, Any]) -> None:
    request = grant(desk["agent"], ticket, 8 * MILLION)
    with translation.override("en"), pytest.raises(ValidationFailed) as caught:
        compensation.compensation_decide(
            actor=desk["lead"], request=request, approve=False, note="  "
        )
    assert set(caught.value.errors) == {"note"}
    with translation.override("en"):
        assert str(caught.value.errors["note"]) == "Say why the request is rejected."
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    rejected = compensation.compensation_decide(
        actor=desk["lead"], request=request, approve=False, note="  قبلا جبران شده  "
    )
    assert (rejected.status, rejected.decision_note, rejected.entry) == (
        RequestStatus.REJECTED,
        "قبلا جبران شده",
        None,
    )
    assert CompensationEntry.objects.count() == 0
    events = TimelineEvent.objects.filter(customer=ticket.customer, kind=EventKind.COMPENSATION)
    assert [event.data.get("rejected") for event in events.order_by("pk")] == [None, True]
    assert_persian(caught.value.errors["note"], "Say why the request is rejected.")


# --- the budget --------------------------------------------------------------------------------


def test_the_budget_cannot_be_exceeded(ticket: Ticket, desk: dict[str, Any]) -> None:
    # The team's lead grants: the budget, not the lead's own limit, is what stops them here.
    for _ in range(3):
        grant(desk["lead"], ticket, 5 * MILLION)
    grant(desk["lead"], ticket, 4 * MILLION)
    assert compensation.budget_of(desk["team"]).left == MILLION
    with translation.override("en"), pytest.raises(ServiceError) as caught:
        grant(desk["lead"], ticket, MILLION + 10)
    assert caught.value.code == ErrorCode.CONFLICT
    assert str(caught.value.message) == (
        "This would go over the team's budget for the month: 100,000 Toman is left of "
        "2,000,000 Toman."
    )
    assert CompensationEntry.objects.count() == 4
    exactly = grant(desk["lead"], ticket, MILLION)  # what is left may still be given
    assert isinstance(exactly, CompensationEntry)
    budget = compensation.budget_of(desk["team"])
    assert (budget.budget, budget.spent, budget.left) == (20 * MILLION, 20 * MILLION, 0)
    with pytest.raises(ServiceError):
        grant(desk["lead"], ticket, 10)


def test_the_budget_message_is_persian_on_persian_pages(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    desk["team"].monthly_budget = 0
    desk["team"].save(update_fields=["monthly_budget"])
    with translation.override("fa"), pytest.raises(ServiceError) as caught:
        grant(desk["agent"], ticket, 10)
    with translation.override("fa"):
        assert "۰ تومان" in caught.value.message
    assert_persian(
        str(caught.value.message).replace("تومان", ""),
        "This would go over the team's budget for the month: %(left)s is left of %(budget)s.",
    )


def test_an_approval_cannot_exceed_the_budget_either(ticket: Ticket, desk: dict[str, Any]) -> None:
    grant(desk["agent"], ticket, 5 * MILLION)
    request = grant(desk["agent"], ticket, 16 * MILLION)
    assert isinstance(request, CompensationRequest)
    with pytest.raises(ServiceError) as caught:
        compensation.compensation_decide(actor=desk["lead"], request=request, approve=True)
    assert caught.value.code == ErrorCode.CONFLICT
    request.refresh_from_db()
    assert request.status == RequestStatus.PENDING
    assert CompensationEntry.objects.count() == 1


def test_a_reversal_gives_the_budget_back(ticket: Ticket, desk: dict[str, Any]) -> None:
    first = grant(desk["lead"], ticket, 5 * MILLION)
    for _ in range(3):
        grant(desk["lead"], ticket, 5 * MILLION)
    with pytest.raises(ServiceError):
        grant(desk["lead"], ticket, MILLION)
    compensation.compensation_reverse(actor=desk["lead"], entry=first, reason="اشتباه")
    assert compensation.budget_of(desk["team"]).left == 5 * MILLION
    assert isinstance(grant(desk["lead"], ticket, 5 * MILLION), CompensationEntry)


def test_the_budget_is_per_jalali_month(ticket: Ticket, desk: dict[str, Any]) -> None:
    team = desk["team"]
    start = compensation.month_start(timezone.now())
    # The previous Jalali month spent the whole budget; this month has spent nothing.
    CompensationEntry.objects.create(
        ticket=ticket,
        customer_id=ticket.customer_id,
        team=team,
        kind="refund",
        amount=20 * MILLION,
        reason="ماه قبل",
        granted_by=desk["agent"],
        created_at=start - timedelta(seconds=1),
    )
    assert compensation.budget_of(team).spent == 0
    assert isinstance(grant(desk["lead"], ticket, 5 * MILLION), CompensationEntry)
    # The first second of the month belongs to it.
    CompensationEntry.objects.create(
        ticket=ticket,
        customer_id=ticket.customer_id,
        team=team,
        kind="refund",
        amount=3 * MILLION,
        reason="اول ماه",
        granted_by=desk["agent"],
        created_at=start,
    )
    assert compensation.budget_of(team).spent == 8 * MILLION
    # Looking back at the previous month sees only its own spending.
    assert compensation.spent_this_month(team, start - timedelta(days=2)) == 20 * MILLION


def test_a_jalali_month_starts_at_midnight_tehran_on_its_first_day() -> None:
    from datetime import datetime

    from mehvar.core.jalali import TEHRAN, to_jalali

    # 1403/10/26 (15 January 2025) → 1 Dey 1403 is 21 December 2024.
    start = compensation.month_start(datetime(2025, 1, 15, 12, tzinfo=TEHRAN))
    assert start == datetime(2024, 12, 21, tzinfo=TEHRAN)
    assert to_jalali(start) == (1403, 10, 1)
    assert to_jalali(start - timedelta(seconds=1)) == (1403, 9, 30)
    # Just after midnight Tehran is still the previous evening in UTC: the month is Tehran's.
    assert compensation.month_start(datetime(2024, 12, 20, 21, tzinfo=TEHRAN).astimezone()) == (
        datetime(2024, 11, 21, tzinfo=TEHRAN)
    )


def test_refunds_of_returns_are_outside_the_budget(ticket: Ticket, desk: dict[str, Any]) -> None:
    compensation.write_entry(
        ticket=ticket,
        kind="refund",
        amount=30 * MILLION,
        reason="بازگشت کالا",
        granted_by=desk["agent"],
        counts_to_budget=False,
    )
    assert compensation.budget_of(desk["team"]).spent == 0


def test_a_ticket_without_a_team_cannot_be_compensated(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(team=None)
    with pytest.raises(ServiceError) as caught:
        grant(desk["lead"], ticket, MILLION)
    assert caught.value.code == ErrorCode.CONFLICT
    assert CompensationEntry.objects.count() == 0


# --- who may grant -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["sales", "marketing"])
def test_sales_and_marketing_cannot_grant(ticket: Ticket, users: dict[str, Any], role: str) -> None:
    with pytest.raises(PermissionDenied):
        grant(users[role], ticket, 10)
    assert CompensationEntry.objects.count() == 0
    assert CompensationRequest.objects.count() == 0
    assert not TimelineEvent.objects.filter(kind=EventKind.COMPENSATION).exists()


def test_an_agent_of_another_team_cannot_grant_on_this_ticket(
    ticket: Ticket, desk: dict[str, Any], make_user: Any
) -> None:
    outsider = make_user("service", username="billing-agent")
    Team.objects.create(name="Billing").members.add(outsider)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=desk["agent2"])
    with pytest.raises(PermissionDenied):
        grant(outsider, ticket, 10)
    assert CompensationEntry.objects.count() == 0


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "english", "msgid"),
    [
        (0, "Enter an amount above zero.", "Enter an amount above zero."),
        (-5, "Enter an amount above zero.", "Enter an amount above zero."),
        (True, "Enter an amount above zero.", "Enter an amount above zero."),
        ("1000", "Enter an amount above zero.", "Enter an amount above zero."),
        (None, "Enter an amount above zero.", "Enter an amount above zero."),
        (10**13 + 1, "This amount is too large.", "This amount is too large."),
    ],
)
def test_a_bad_amount_is_refused_on_its_field(
    ticket: Ticket, desk: dict[str, Any], amount: Any, english: str, msgid: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        compensation.compensation_grant(
            actor=desk["lead"], ticket=ticket, kind="refund", amount=amount, reason="دلیل"
        )
    assert set(caught.value.errors) == {"amount"}
    with translation.override("en"):
        assert str(caught.value.errors["amount"]) == english
    assert CompensationEntry.objects.count() == 0
    assert CompensationRequest.objects.count() == 0
    assert_persian(caught.value.errors["amount"], msgid)


def test_unknown_kind_and_missing_or_long_reasons_are_refused_per_field(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        compensation.compensation_grant(
            actor=desk["agent"], ticket=ticket, kind="cash", amount=10, reason=" "
        )
    assert set(caught.value.errors) == {"kind", "reason"}
    with translation.override("en"):
        assert str(caught.value.errors["kind"]) == "Choose one of the listed options."
        assert str(caught.value.errors["reason"]) == "Say why the customer is compensated."
    with translation.override("en"), pytest.raises(ValidationFailed) as long:
        compensation.compensation_grant(
            actor=desk["agent"], ticket=ticket, kind="refund", amount=10, reason="x" * 501
        )
    assert {k: str(v) for k, v in long.value.errors.items()} == {
        "reason": "At most 500 characters."
    }
    assert CompensationEntry.objects.count() == 0
    assert_persian(caught.value.errors["reason"], "Say why the customer is compensated.")


def test_the_reason_is_normalised_and_kept(ticket: Ticket, desk: dict[str, Any]) -> None:
    entry = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="refund", amount=10, reason="  تاخیر   ارسال "
    )
    assert isinstance(entry, CompensationEntry)
    assert entry.reason == "تاخیر ارسال"


def test_rial_text_follows_the_language() -> None:
    with translation.override("en"):
        assert compensation.rial_text(12_345_670) == "1,234,567 Toman"
    with translation.override("fa"):
        assert compensation.rial_text(12_345_670) == "۱٬۲۳۴٬۵۶۷ تومان"


def test_a_limit_cannot_be_split_into_small_grants_on_one_ticket(
    ticket: Ticket, make_ticket: Any, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]  # 5,000,000 Rial a compensation
    assert isinstance(grant(agent, ticket, 3 * MILLION), CompensationEntry)
    second = grant(agent, ticket, 3 * MILLION)  # 6,000,000 together: above the limit
    assert isinstance(second, CompensationRequest)
    assert compensation.granted_alone(agent, ticket) == 3 * MILLION
    # Another ticket is another compensation; a reversal gives the room back.
    assert isinstance(grant(agent, make_ticket(), 4 * MILLION), CompensationEntry)
    first = CompensationEntry.objects.filter(ticket=ticket).get()
    compensation.compensation_reverse(actor=desk["lead"], entry=first, reason="اشتباه")
    assert isinstance(grant(agent, ticket, 5 * MILLION), CompensationEntry)


def test_only_the_teams_people_spend_its_budget(
    ticket: Ticket, desk: dict[str, Any], make_user: Any
) -> None:
    other = Team.objects.create(name="Sales desk", monthly_budget=50 * MILLION)
    stranger = make_user("service", username="stranger")
    ticket.assignee = stranger
    ticket.save(update_fields=["assignee"])
    # Working the ticket is not membership of the team that pays.
    with pytest.raises(PermissionDenied):
        grant(stranger, ticket, MILLION)
    # Nor can an agent move a ticket into another team's budget.
    with pytest.raises(PermissionDenied):
        tickets.ticket_update(actor=desk["agent"], ticket=ticket, team=other)
    ticket.refresh_from_db()
    assert ticket.team == desk["team"]
    assert not CompensationEntry.objects.exists()


def test_a_reversal_gives_back_to_the_month_of_its_grant(
    ticket: Ticket, desk: dict[str, Any]
) -> None:
    team = desk["team"]
    start = compensation.month_start(timezone.now())
    old = CompensationEntry.objects.create(
        ticket=ticket,
        customer_id=ticket.customer_id,
        team=team,
        kind="refund",
        amount=20 * MILLION,
        reason="ماه قبل",
        granted_by=desk["lead"],
        created_at=start - timedelta(days=3),
    )
    compensation.compensation_reverse(actor=desk["lead"], entry=old, reason="اشتباه")
    # Undoing last month's grant makes no room this month.
    assert compensation.budget_of(team).spent == 0
    assert compensation.budget_of(team).left == 20 * MILLION
    assert compensation.spent_this_month(team, start - timedelta(days=1)) == 0


def test_nobody_approves_their_own_request(
    ticket: Ticket, desk: dict[str, Any], make_user: Any
) -> None:
    manager = desk["lead"]
    ApprovalLimit.objects.update_or_create(role="manager", defaults={"max_amount": MILLION})
    request = grant(manager, ticket, 3 * MILLION)
    assert isinstance(request, CompensationRequest)
    ApprovalLimit.objects.filter(role="manager").update(max_amount=50 * MILLION)
    with pytest.raises(PermissionDenied):
        compensation.compensation_decide(actor=manager, request=request, approve=True)
    assert not CompensationEntry.objects.exists()
    second = make_user("manager", username="manager2")
    decided = compensation.compensation_decide(actor=second, request=request, approve=True)
    assert decided.entry is not None
