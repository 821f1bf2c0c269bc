"""The compensation ledger cannot be edited in place: not by the model, the ORM or raw SQL.

What was given stays written; a mistake is undone by a reversal, a new negative line that
brings the balance back to zero and names the line it reverses.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, models, transaction
from django.db.models import ProtectedError, Sum

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.service import compensation
from mehvar.service.models import CompensationEntry, CompensationRequest, Ticket

pytestmark = pytest.mark.django_db

APPEND_ONLY = "append-only"


@pytest.fixture
def ticket(make_ticket: Any) -> Ticket:
    made: Ticket = make_ticket()
    return made


@pytest.fixture
def entry(ticket: Ticket, desk: dict[str, Any]) -> CompensationEntry:
    granted = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="voucher", amount=1_000_000, reason="تاخیر ارسال"
    )
    assert isinstance(granted, CompensationEntry)
    return granted


def stored(entry: CompensationEntry) -> tuple[int, str, str]:
    row = CompensationEntry.objects.values_list("amount", "reason", "kind").get(pk=entry.pk)
    return row[0], row[1], row[2]


def test_the_model_refuses_to_save_a_written_line(entry: CompensationEntry) -> None:
    entry.amount = 1
    with pytest.raises(TypeError, match=APPEND_ONLY):
        entry.save()
    with pytest.raises(TypeError, match=APPEND_ONLY):
        entry.save(update_fields=["amount"])
    assert stored(entry) == (1_000_000, "تاخیر ارسال", "voucher")


def test_the_model_refuses_to_delete_a_line(entry: CompensationEntry) -> None:
    with pytest.raises(TypeError, match=APPEND_ONLY):
        entry.delete()
    assert CompensationEntry.objects.filter(pk=entry.pk).exists()


def test_querysets_refuse_update_and_delete(entry: CompensationEntry) -> None:
    with pytest.raises(TypeError, match=APPEND_ONLY):
        CompensationEntry.objects.filter(pk=entry.pk).update(amount=1)
    with pytest.raises(TypeError, match=APPEND_ONLY):
        CompensationEntry.objects.all().delete()
    assert stored(entry) == (1_000_000, "تاخیر ارسال", "voucher")


def test_the_database_refuses_an_update_that_goes_around_the_model(
    entry: CompensationEntry,
) -> None:
    entry.amount = 1
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        models.Model.save(entry, update_fields=["amount"])
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        models.QuerySet.update(CompensationEntry.objects.filter(pk=entry.pk), amount=1)
    assert stored(entry) == (1_000_000, "تاخیر ارسال", "voucher")


def test_the_database_refuses_a_delete_that_goes_around_the_model(
    entry: CompensationEntry,
) -> None:
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        models.QuerySet._raw_delete(CompensationEntry.objects.all(), using="default")
    with pytest.raises(DatabaseError, match=APPEND_ONLY), transaction.atomic():
        models.Model.delete(entry)
    assert CompensationEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE service_compensationentry SET amount = 1",
        "UPDATE service_compensationentry SET reason = 'edited'",
        "DELETE FROM service_compensationentry",
    ],
)
def test_raw_sql_cannot_edit_or_delete_the_ledger(entry: CompensationEntry, sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match=APPEND_ONLY),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert stored(entry) == (1_000_000, "تاخیر ارسال", "voucher")


def test_the_ticket_and_customer_of_a_ledger_line_cannot_be_deleted(
    entry: CompensationEntry,
) -> None:
    with pytest.raises(ProtectedError), transaction.atomic():
        entry.ticket.delete()
    assert CompensationEntry.objects.filter(pk=entry.pk).exists()


def test_a_grant_must_be_positive_and_a_reversal_negative_in_the_database(
    entry: CompensationEntry,
) -> None:
    base = {
        "ticket": entry.ticket,
        "customer_id": entry.customer_id,
        "team": entry.team,
        "kind": "refund",
        "reason": "x",
        "granted_by": entry.granted_by,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationEntry.objects.create(amount=-5, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationEntry.objects.create(amount=5, reverses=entry, **base)


def test_a_reversal_is_a_new_negative_line_that_balances_to_zero(
    entry: CompensationEntry, desk: dict[str, Any]
) -> None:
    team = desk["team"]
    assert compensation.budget_of(team).spent == 1_000_000
    reversal = compensation.compensation_reverse(
        actor=desk["lead"], entry=entry, reason="اشتباه ثبت شد"
    )
    assert reversal.pk != entry.pk
    assert reversal.amount == -1_000_000
    assert reversal.reverses_id == entry.pk
    assert reversal.granted_by == desk["lead"]
    assert (reversal.kind, reversal.team_id, reversal.customer_id) == (
        entry.kind,
        entry.team_id,
        entry.customer_id,
    )
    assert stored(entry) == (1_000_000, "تاخیر ارسال", "voucher")  # the original is untouched
    total = CompensationEntry.objects.filter(ticket=entry.ticket).aggregate(s=Sum("amount"))["s"]
    assert total == 0
    assert compensation.budget_of(team).spent == 0
    events = TimelineEvent.objects.filter(
        customer_id=entry.customer_id, kind=EventKind.COMPENSATION
    )
    assert [event.data.get("reverses") for event in events.order_by("pk")] == [None, entry.pk]


def test_reversing_twice_is_refused(entry: CompensationEntry, desk: dict[str, Any]) -> None:
    compensation.compensation_reverse(actor=desk["lead"], entry=entry, reason="اشتباه")
    with pytest.raises(ServiceError) as caught:
        compensation.compensation_reverse(actor=desk["lead"], entry=entry, reason="دوباره")
    assert caught.value.code == ErrorCode.CONFLICT
    assert CompensationEntry.objects.filter(reverses=entry).count() == 1


def test_a_reversal_cannot_be_reversed(entry: CompensationEntry, desk: dict[str, Any]) -> None:
    reversal = compensation.compensation_reverse(actor=desk["lead"], entry=entry, reason="اشتباه")
    with pytest.raises(ServiceError) as caught:
        compensation.compensation_reverse(actor=desk["lead"], entry=reversal, reason="برگشت")
    assert caught.value.code == ErrorCode.CONFLICT
    assert CompensationEntry.objects.count() == 2


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_reversal_needs_a_reason_of_sensible_length(
    entry: CompensationEntry, desk: dict[str, Any], reason: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        compensation.compensation_reverse(actor=desk["lead"], entry=entry, reason=reason)
    assert set(caught.value.errors) == {"reason"}
    assert CompensationEntry.objects.count() == 1


@pytest.mark.parametrize("role", ["service", "sales", "marketing"])
def test_only_managers_reverse(entry: CompensationEntry, users: dict[str, Any], role: str) -> None:
    with pytest.raises(PermissionDenied):
        compensation.compensation_reverse(actor=users[role], entry=entry, reason="اشتباه")
    assert CompensationEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_committed_lines_are_refused_too_and_the_test_database_still_empties(
    make_ticket: Any, desk: dict[str, Any]
) -> None:
    """Real commits (no test transaction around them); the teardown must still empty the table.

    The conftest's ``_empty_ledger_before_flush`` lifts the triggers for the flush on SQLite;
    without it this test's teardown fails on the ledger's own DELETE trigger.
    """
    ticket = make_ticket()
    entry = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="refund", amount=2_000_000, reason="آسیب کالا"
    )
    assert isinstance(entry, CompensationEntry)
    with pytest.raises(DatabaseError, match=APPEND_ONLY), connection.cursor() as cursor:
        cursor.execute("DELETE FROM service_compensationentry")
    compensation.compensation_reverse(actor=desk["lead"], entry=entry, reason="اشتباه")
    assert CompensationEntry.objects.aggregate(s=Sum("amount"))["s"] == 0
    # A line other rows point at (an approved request) must not stop the emptying either.
    request = compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="refund", amount=6_000_000, reason="آسیب کالا"
    )
    assert isinstance(request, CompensationRequest)
    approved = compensation.compensation_decide(actor=desk["lead"], request=request, approve=True)
    assert approved.entry is not None
    assert CompensationEntry.objects.aggregate(s=Sum("amount"))["s"] == 6_000_000
