"""The demo company's feedback: answers over a year, comments, follow-ups in every state."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.demo import generate
from mehvar.feedback.demo import feedback_demo
from mehvar.feedback.models import Comment, FollowUp, Invitation, Response, Survey

pytestmark = pytest.mark.django_db


def test_the_demo_listens_to_the_demo_company(caplog: pytest.LogCaptureFixture) -> None:
    generate(customers=80, seed=7, years=1)
    with caplog.at_level(logging.INFO, logger="mehvar.sms"):
        report = feedback_demo(responses=60, seed=3)
    # The invitations were "sent" long ago: their delivery tasks send nothing now.
    assert [r for r in caplog.records if r.name == "mehvar.sms"] == []

    assert (report.surveys, report.responses) == (3, 60)
    assert Survey.objects.filter(status="active").count() == 3
    assert Response.objects.filter(submitted_at__isnull=False).count() == 60
    # Back-dated over the year, and every invitation counts as sent long ago (the delivery
    # tasks queued for them stay quiet when the worker starts).
    spread = Response.objects.dates("submitted_at", "month")
    assert len(spread) >= 6
    assert not Invitation.objects.filter(sent_at__isnull=True).exists()
    assert TimelineEvent.objects.filter(kind=EventKind.SURVEY_ANSWERED).count() == 60
    # Unhappy answers were followed up, in every state, and nobody is alerted again.
    states = dict(FollowUp.objects.values_list("status").annotate(n=Count("id")))
    assert set(states) <= {"open", "contacted", "resolved"}
    assert states.get("resolved", 0) > 0
    assert not FollowUp.objects.filter(alerted_at__isnull=True).exists()
    assert Comment.objects.filter(source="survey").exists()


def test_the_command_keeps_existing_surveys_with_if_empty() -> None:
    generate(customers=40, seed=7, years=1)
    out = StringIO()
    call_command("feedback_demo", "--responses", "5", stdout=out)
    assert "5 answers" in out.getvalue()
    call_command("feedback_demo", "--if-empty", stdout=out)
    assert Survey.objects.count() == 3
    assert Response.objects.count() == 5
