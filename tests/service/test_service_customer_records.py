"""The desk's rows and the customer record: merges, deletion, and who wrote a ticket."""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.core.errors import ServiceError
from mehvar.customers.merge import customer_merge
from mehvar.customers.models import Customer
from mehvar.customers.services import customer_delete
from mehvar.service import compensation, profile, tickets
from mehvar.service.models import Ticket

pytestmark = pytest.mark.django_db


def test_a_merge_takes_the_tickets_and_their_compensation_to_the_surviving_record(
    make_customer: Any, make_ticket: Any, desk: dict[str, Any], users: dict[str, Any]
) -> None:
    duplicate, survivor = make_customer(), make_customer()
    for _ in range(4):
        ticket = make_ticket(customer=duplicate)
    compensation.compensation_grant(
        actor=desk["agent"], ticket=ticket, kind="voucher", amount=1_000_000, reason="تاخیر"
    )
    customer_merge(actor=users["manager"], source=duplicate, target=survivor)
    assert Ticket.objects.filter(customer=survivor).count() == 4
    figures = profile.service_profile(survivor.pk)
    assert (figures.complaints, figures.compensation, figures.flagged) == (4, 1_000_000, True)
    assert profile.service_profile(duplicate.pk).tickets == 0


def test_a_customer_with_tickets_cannot_be_deleted_and_is_told_why(
    make_customer: Any, make_ticket: Any, users: dict[str, Any]
) -> None:
    customer = make_customer()
    make_ticket(customer=customer)
    with pytest.raises(ServiceError) as refused:
        customer_delete(actor=users["admin"], customer=customer)
    assert refused.value.status == 409
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_an_unconfirmed_writer_does_not_count_until_staff_confirm(
    make_customer: Any, make_ticket: Any, desk: dict[str, Any]
) -> None:
    customer = make_customer()
    typed = [make_ticket(customer=customer, identity_confirmed=False) for _ in range(4)]
    assert profile.service_profile(customer.pk).complaints == 0
    for ticket in typed:
        tickets.ticket_update(actor=desk["agent"], ticket=ticket, confirm_identity=True)
    figures = profile.service_profile(customer.pk)
    assert (figures.complaints, figures.flagged) == (4, True)


def test_compensation_on_an_unconfirmed_ticket_does_not_count_either(
    make_customer: Any, make_ticket: Any, desk: dict[str, Any]
) -> None:
    customer = make_customer()
    typed = make_ticket(customer=customer, identity_confirmed=False)
    compensation.compensation_grant(
        actor=desk["agent"], ticket=typed, kind="voucher", amount=3_000_000, reason="تاخیر"
    )
    figures = profile.service_profile(customer.pk)
    assert (figures.compensation, figures.open_tickets) == (0, 0)
