"""CSAT after resolution: one invitation per resolution, through the feedback app's surveys."""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.services import consent_set
from mehvar.feedback import surveys
from mehvar.feedback.models import Invitation, Survey
from mehvar.service import satisfaction, tickets
from mehvar.service.models import DeskSettings, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(users: dict[str, Any]) -> Survey:
    made = surveys.survey_save(
        actor=users["manager"],
        data={
            "title_fa": "رضایت از پشتیبانی",
            "questions": [{"key": "csat", "kind": "csat", "text_fa": "چقدر راضی بودید؟"}],
        },
    )
    active: Survey = surveys.survey_set_status(actor=users["manager"], survey=made, status="active")
    return active


@pytest.fixture
def csat(survey: Survey, desk: dict[str, Any]) -> Survey:
    settings = DeskSettings.current()
    settings.csat_survey = survey
    settings.save(update_fields=["csat_survey"])
    return survey


def resolve(ticket: Ticket, agent: Any, capture: Any) -> None:
    with capture(execute=True):
        tickets.ticket_transition(
            actor=agent, ticket=ticket, status="resolved", resolution="تعویض شد"
        )


def test_resolving_sends_one_invitation_with_its_trigger_key(
    csat: Survey, make_ticket: Any, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = make_ticket()
    resolve(ticket, desk["agent"], django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    assert invitation.trigger_key == f"ticket:{ticket.pk}:resolved:0"
    assert (invitation.survey, invitation.customer, invitation.channel) == (
        csat,
        ticket.customer,
        "sms",
    )
    assert invitation.created_by is None
    assert (
        TimelineEvent.objects.filter(
            customer=ticket.customer, kind=EventKind.SURVEY_INVITED
        ).count()
        == 1
    )
    # The task retried (or run twice) finds the same invitation.
    assert satisfaction.satisfaction_invite(ticket.pk) == invitation
    assert Invitation.objects.count() == 1


def test_a_reopened_and_resolved_again_ticket_is_asked_again(
    csat: Survey, make_ticket: Any, desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = make_ticket()
    resolve(ticket, desk["agent"], django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.message_add(actor=None, ticket=ticket, kind="customer", body="باز خراب شد")
    resolve(ticket, desk["agent"], django_capture_on_commit_callbacks)
    keys = sorted(Invitation.objects.values_list("trigger_key", flat=True))
    assert keys == [f"ticket:{ticket.pk}:resolved:0", f"ticket:{ticket.pk}:resolved:1"]


def test_a_ticket_reopened_before_the_task_ran_is_not_asked(
    csat: Survey, make_ticket: Any, desk: dict[str, Any]
) -> None:
    ticket = make_ticket()
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="resolved", resolution="x")
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="open")
    assert satisfaction.satisfaction_invite(ticket.pk) is None
    assert Invitation.objects.count() == 0


def test_no_consent_no_survey(
    csat: Survey, make_ticket: Any, make_customer: Any, desk: dict[str, Any]
) -> None:
    customer = make_customer()
    consent_set(
        actor=None, customer=customer, channel="sms", status="withdrawn", source="customer_link"
    )
    ticket = make_ticket(customer=customer)
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="resolved", resolution="x")
    assert satisfaction.satisfaction_invite(ticket.pk) is None
    assert Invitation.objects.count() == 0


def test_a_customer_who_refused_sms_is_asked_by_email(
    csat: Survey, make_ticket: Any, make_customer: Any, desk: dict[str, Any]
) -> None:
    customer = make_customer(email="ali@example.com")
    consent_set(
        actor=None, customer=customer, channel="sms", status="withdrawn", source="customer_link"
    )
    ticket = make_ticket(customer=customer)
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="resolved", resolution="x")
    invitation = satisfaction.satisfaction_invite(ticket.pk)
    assert invitation is not None
    assert invitation.channel == "email"


def test_without_an_active_survey_nothing_is_sent(
    survey: Survey,
    make_ticket: Any,
    desk: dict[str, Any],
    users: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    ticket = make_ticket()
    resolve(ticket, desk["agent"], django_capture_on_commit_callbacks)  # no survey chosen
    assert Invitation.objects.count() == 0
    surveys.survey_set_status(actor=users["manager"], survey=survey, status="closed")
    DeskSettings.objects.filter(pk=1).update(csat_survey=survey)
    assert satisfaction.satisfaction_invite(ticket.pk) is None
    assert Invitation.objects.count() == 0


def test_a_ticket_closed_before_the_task_ran_is_still_asked(
    csat: Survey, make_ticket: Any, desk: dict[str, Any]
) -> None:
    ticket = make_ticket()
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="resolved", resolution="x")
    tickets.ticket_transition(actor=desk["agent"], ticket=ticket, status="closed")
    invitation = satisfaction.satisfaction_invite(ticket.pk)
    assert invitation is not None
    assert invitation.trigger_key == f"ticket:{ticket.pk}:resolved:0"
