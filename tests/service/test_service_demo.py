"""The demo service desk: settings, a year of tickets that went through the services, the
ledger within budgets, CSAT from the desk's own survey, and a dashboard that renders on it."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from mehvar.core.models import EventKind, TimelineEvent, User
from mehvar.customers.demo import generate
from mehvar.feedback.models import Response, SurveyStatus
from mehvar.service import sla
from mehvar.service.compensation import limit_of, month_start
from mehvar.service.demo import service_demo
from mehvar.service.models import (
    CannedReply,
    Category,
    CompensationEntry,
    CompensationRequest,
    DeskSettings,
    Holiday,
    SlaPolicy,
    Team,
    Ticket,
    TicketMessage,
    WorkingDay,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def company() -> None:
    generate(customers=80, seed=7, years=1)


def test_the_demo_fills_the_desk(company: None) -> None:
    started = timezone.now()
    report = service_demo(tickets_count=40, seed=5)
    assert report.tickets == Ticket.objects.count() == 40
    assert (report.teams, report.categories) == (2, 7)
    assert Team.objects.filter(monthly_budget__gt=0, lead__username="manager").count() == 2
    assert Category.objects.filter(team__isnull=False).count() == 7
    assert SlaPolicy.objects.filter(category__isnull=True).count() == 4
    assert SlaPolicy.objects.filter(category__isnull=False).exists()
    assert WorkingDay.objects.count() == 6  # Friday off
    assert Holiday.objects.count() == 30  # ten fixed holidays a year, three years
    assert CannedReply.objects.filter(body_fa__contains="{first_name}").exists()
    desk = DeskSettings.current()
    assert desk.default_team is not None
    assert desk.csat_survey is not None
    assert desk.csat_survey.status == SurveyStatus.ACTIVE

    # Spread over the past year, every ticket opened with its timeline event at that time.
    tickets = list(Ticket.objects.all())
    assert min(t.created_at for t in tickets) < started - timedelta(days=120)
    assert max(t.created_at for t in tickets) < started
    opened = dict(
        TimelineEvent.objects.filter(kind=EventKind.TICKET_OPENED).values_list(
            "ref_id", "occurred_at"
        )
    )
    assert all(opened[str(t.pk)] == t.created_at for t in tickets)
    assert not TimelineEvent.objects.filter(occurred_at__gt=started).exists()

    # The SLA figures are the clock's: the first reply's business seconds, recomputed here.
    week = sla.work_week(around=started)
    answered = [t for t in tickets if t.first_responded_at is not None]
    assert answered
    for ticket in answered:
        ticket.paused_seconds, ticket.paused_since = 0, None
        assert ticket.response_seconds == sla.elapsed_seconds(
            ticket, ticket.first_responded_at, week
        )
    assert (
        Ticket.objects.filter(resolved_at__isnull=False, resolution_seconds__isnull=True).count()
        == 0
    )
    assert Ticket.objects.filter(status__in=["resolved", "closed"]).count() > 25
    # Replies of the past count as delivered: nothing waits to be sent.
    assert not TicketMessage.objects.filter(kind="reply", sent_at__isnull=True).exists()

    # Each team's month stays within its budget; grants stay within the agents' limits.
    spent: dict[tuple[int, Any], int] = defaultdict(int)
    for entry in CompensationEntry.objects.filter(counts_to_budget=True):
        spent[(entry.team_id, month_start(entry.created_at))] += entry.amount
    budgets = dict(Team.objects.values_list("pk", "monthly_budget"))
    assert all(total <= budgets[team] for (team, _month), total in spent.items())
    own = CompensationEntry.objects.filter(approved_by__isnull=True, reverses__isnull=True)
    assert all(entry.amount <= limit_of(entry.granted_by) for entry in own)
    assert CompensationEntry.objects.filter(counts_to_budget=False).exists()  # refunds
    assert CompensationEntry.objects.filter(reverses__isnull=False).count() <= 1

    # CSAT answers arrive through the desk's survey, after the resolution.
    answers = Response.objects.filter(
        invitation__trigger_key__startswith="ticket:", submitted_at__isnull=False
    )
    assert answers.count() == report.csat_answers > 0
    assert all(r.submitted_at < started for r in answers)


def test_the_command_runs_once_with_if_empty_and_the_dashboard_renders(
    company: None, client: Client
) -> None:
    out = StringIO()
    call_command("service_demo", "--tickets", "25", stdout=out)
    assert "25 tickets" in out.getvalue()
    counts = (
        Ticket.objects.count(),
        CompensationEntry.objects.count(),
        CompensationRequest.objects.count(),
        Team.objects.count(),
        Category.objects.count(),
    )
    call_command("service_demo", "--if-empty", stdout=out)
    call_command("service_demo", "--if-empty", stdout=out)
    assert "nothing to do" in out.getvalue()
    assert counts == (
        Ticket.objects.count(),
        CompensationEntry.objects.count(),
        CompensationRequest.objects.count(),
        Team.objects.count(),
        Category.objects.count(),
    )
    client.cookies["django_language"] = "en"
    client.force_login(User.objects.get(username="manager"))
    for period in ("90", "365"):
        response = client.get("/service/", {"period": period})
        assert response.status_code == 200
        assert 'id="service-dashboard"' in response.content.decode()
    html = response.content.decode()
    assert 'id="effect-table"' in html


def test_the_demo_needs_the_company(db: Any) -> None:
    assert service_demo(tickets_count=5).tickets == 0
    assert not Ticket.objects.exists()
    assert not Team.objects.exists()
