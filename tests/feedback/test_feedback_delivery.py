"""Sending invitations: a retried background task that sends once and never fails the page."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.customers.models import Order
from mehvar.customers.orders import LineInput, order_create, order_set_status
from mehvar.feedback import responding, surveys, tasks, triggers
from mehvar.feedback.models import Invitation, TriggerRule

pytestmark = pytest.mark.django_db

QUESTIONS = [{"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟"}]


@pytest.fixture
def survey(users: dict[str, Any]) -> Any:
    made = surveys.survey_save(
        actor=users["manager"], data={"title_fa": "پس از خرید", "questions": QUESTIONS}
    )
    return surveys.survey_set_status(actor=users["manager"], survey=made, status="active")


@pytest.fixture
def refusing(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The mail server refuses the addresses put in the returned set."""
    refused: set[str] = set()
    real = EmailBackend.send_messages

    def send_messages(self: EmailBackend, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            if refused & set(message.to):
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"no such user")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", send_messages)
    return refused


def test_an_email_invitation_is_sent_once_even_when_the_task_runs_twice(
    users: dict[str, Any],
    survey: Any,
    make_customer: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    customer = make_customer(email="reza@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = responding.invitation_create(
            actor=users["sales"], survey=survey, customer=customer, channel="email"
        )
        assert invitation.sent_at is None  # nothing goes out before the commit
        assert mail.outbox == []
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert [m.to for m in mail.outbox] == [["reza@example.com"]]
    assert responding.invitation_url(invitation) in mail.outbox[0].body

    tasks.deliver_invitation(invitation.pk)  # a retried or doubled task
    assert responding.invitation_deliver(invitation.pk) is False
    assert len(mail.outbox) == 1


def test_a_link_needs_no_sending_and_sms_goes_to_the_log(
    users: dict[str, Any],
    survey: Any,
    make_customer: Any,
    django_capture_on_commit_callbacks: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    customer = make_customer()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        link = responding.invitation_create(
            actor=users["sales"], survey=survey, customer=customer, channel="link"
        )
    assert link.sent_at is not None
    assert callbacks == []
    with (
        caplog.at_level("INFO", logger="mehvar.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sms = responding.invitation_create(
            actor=users["sales"], survey=survey, customer=customer, channel="sms"
        )
    sms.refresh_from_db()
    assert sms.sent_at is not None
    logged = [r.getMessage() for r in caplog.records if r.name == "mehvar.sms"]
    assert len(logged) == 1
    assert logged[0].startswith(f"SMS to {customer.mobile}: ")
    assert logged[0].endswith(responding.invitation_url(sms))


def test_a_refusing_mail_server_does_not_fail_the_invite_page(
    users: dict[str, Any],
    survey: Any,
    make_customer: Any,
    client: Client,
    refusing: set[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    first = make_customer(email="first@example.com")
    second = make_customer(email="second@example.com")
    refusing.add("first@example.com")
    client.force_login(users["sales"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("feedback:survey_invite", args=[survey.pk]),
            {"customer": [first.pk, second.pk], "channel": "email"},
        )
    assert response.status_code == 302  # the page says "sent"; the queue keeps trying
    failed = Invitation.objects.get(customer=first)
    assert failed.sent_at is None
    assert "SMTPRecipientsRefused" in failed.last_error
    done = Invitation.objects.get(customer=second)
    assert done.sent_at is not None
    assert done.last_error == ""
    assert [m.to for m in mail.outbox] == [["second@example.com"]]
    client.cookies["django_language"] = "en"
    page = client.get(response["Location"]).content.decode()
    assert page.count("Not delivered yet; it is tried again") == 1  # the first customer only

    # A retry while the server still refuses raises, for the queue to retry again.
    with pytest.raises(responding.DeliveryFailed):
        responding.invitation_deliver(failed.pk)
    # The server accepts the address again: the (retried) task sends it, once.
    refusing.clear()
    tasks.deliver_invitation(failed.pk)
    tasks.deliver_invitation(failed.pk)
    failed.refresh_from_db()
    assert (failed.sent_at is not None, failed.last_error) == (True, "")
    assert [m.to for m in mail.outbox] == [["second@example.com"], ["first@example.com"]]


def test_a_refusing_mail_server_does_not_stop_a_trigger_run(
    users: dict[str, Any],
    survey: Any,
    make_customer: Any,
    refusing: set[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    rule = surveys.trigger_rule_save(
        actor=users["manager"], survey=survey, data={"delay_days": 2, "channel": "email"}
    )
    TriggerRule.objects.filter(pk=rule.pk).update(created_at=timezone.now() - timedelta(days=30))
    customers = [make_customer(email=f"c{i}@example.com") for i in range(3)]
    for number, customer in enumerate(customers):
        order = order_create(
            actor=users["admin"],
            customer=customer,
            number=f"D-{number}",
            lines=[LineInput(description="کالا", quantity=1, unit_price=1000)],
        )
        order_set_status(actor=users["admin"], order=order, status="delivered")
        Order.objects.filter(pk=order.pk).update(
            delivered_at=timezone.now() - timedelta(days=2.5 - number * 0.1)
        )
    refusing.add("c0@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        report = triggers.triggers_run()
    assert report.invited == 3
    sent = dict(Invitation.objects.values_list("customer", "sent_at"))
    assert sent[customers[0].pk] is None
    assert sent[customers[1].pk] is not None
    assert sent[customers[2].pk] is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["c1@example.com", "c2@example.com"]


def test_invitations_that_never_left_are_sent_by_the_sweep(
    users: dict[str, Any],
    survey: Any,
    make_customer: Any,
    refusing: set[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    refusing.add("late@example.com")
    customer = make_customer(email="late@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        invitation = responding.invitation_create(
            actor=users["sales"], survey=survey, customer=customer, channel="email"
        )
    invitation.refresh_from_db()
    assert invitation.sent_at is None
    assert "SMTPRecipientsRefused" in invitation.last_error
    assert responding.undelivered_invitations() == []  # too fresh: its own retries come first

    later = timezone.now() + timedelta(minutes=20)
    assert responding.undelivered_invitations(now=later) == [invitation.pk]
    # After two days it is not worth sending any more.
    assert responding.undelivered_invitations(now=later + timedelta(days=3)) == []
    refusing.clear()  # the mail server is back
    Invitation.objects.filter(pk=invitation.pk).update(
        created_at=timezone.now() - timedelta(minutes=20)
    )
    tasks.redeliver_invitations.call_local()
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert [m.to for m in mail.outbox] == [["late@example.com"]]
    assert responding.undelivered_invitations(now=later) == []
