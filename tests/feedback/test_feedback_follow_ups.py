"""Follow-up pages: the lists (mine, open, overdue, all), and working one through the page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.core.jalali import format_jalali
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import responding, surveys
from mehvar.feedback.models import FollowUp, FollowUpStatus

pytestmark = pytest.mark.django_db


def login(client: Client, user: Any, language: str = "en") -> Client:
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def detractor(users: dict[str, Any], make_customer: Callable[..., Any]) -> FollowUp:
    """An NPS 3 from a customer owned by ``sales``: the follow-up is theirs."""
    survey = surveys.survey_save(
        actor=users["marketing"],
        data={"title_fa": "پیشنهاد", "questions": [{"key": "q1", "kind": "nps", "text_fa": "؟"}]},
    )
    survey = surveys.survey_set_status(actor=users["marketing"], survey=survey, status="active")
    customer = make_customer(owner=users["sales"], first_name="رضا", last_name="نادری")
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="link"
    )
    response = responding.response_for_invitation(invitation)
    responding.answers_save(response=response, raw={"q1": "۳"}, submit=True)
    return FollowUp.objects.get(response=response)


def test_the_assignee_sees_it_in_mine(
    users: dict[str, Any], client: Client, detractor: FollowUp
) -> None:
    assert detractor.assignee == users["sales"]
    login(client, users["sales"])
    mine = body(client.get(reverse("feedback:follow_up_list")))
    assert reverse("feedback:follow_up", args=[detractor.pk]) in mine
    assert "رضا نادری" in mine
    assert "Detractor (NPS 0–6)" in mine

    login(client, users["sales2"])
    theirs = body(client.get(reverse("feedback:follow_up_list")))
    assert reverse("feedback:follow_up", args=[detractor.pk]) not in theirs
    everyone = body(client.get(reverse("feedback:follow_up_list") + "?scope=open"))
    assert reverse("feedback:follow_up", args=[detractor.pk]) in everyone


def test_overdue_ones_are_highlighted_with_a_jalali_due_time(
    users: dict[str, Any], client: Client, detractor: FollowUp
) -> None:
    due = timezone.now() - timedelta(hours=3)
    FollowUp.objects.filter(pk=detractor.pk).update(due_at=due)
    login(client, users["sales"], language="fa")
    page = body(client.get(reverse("feedback:follow_up_list") + "?scope=overdue"))
    assert 'class="table-danger" data-overdue' in page
    assert format_jalali(timezone.localtime(due), with_time=True, persian_digits=True) in page

    FollowUp.objects.filter(pk=detractor.pk).update(due_at=timezone.now() + timedelta(hours=3))
    later = body(client.get(reverse("feedback:follow_up_list") + "?scope=overdue"))
    assert reverse("feedback:follow_up", args=[detractor.pk]) not in later


def test_all_is_for_leads_only(users: dict[str, Any], client: Client, detractor: FollowUp) -> None:
    FollowUp.objects.filter(pk=detractor.pk).update(
        status=FollowUpStatus.RESOLVED, resolution="done"
    )
    login(client, users["manager"])
    page = body(client.get(reverse("feedback:follow_up_list") + "?scope=all"))
    assert reverse("feedback:follow_up", args=[detractor.pk]) in page
    assert 'href="?scope=all"' in page

    login(client, users["sales"])
    sales = body(client.get(reverse("feedback:follow_up_list") + "?scope=all"))
    # Sales has no "all": it falls back to their open ones, and a resolved one is not there.
    assert reverse("feedback:follow_up", args=[detractor.pk]) not in sales
    assert 'href="?scope=all"' not in sales


def test_the_loop_is_closed_through_the_page(
    users: dict[str, Any], client: Client, detractor: FollowUp
) -> None:
    url = reverse("feedback:follow_up", args=[detractor.pk])
    login(client, users["sales"])
    page = body(client.get(url))
    assert 'id="follow-up-form"' in page
    assert reverse("customers:detail", args=[detractor.customer_id]) in page
    assert "3 / 10" in page

    contacted = client.post(url, {"status": "contacted", "resolution": ""})
    detractor.refresh_from_db()
    assert contacted.status_code == 302
    assert detractor.status == FollowUpStatus.CONTACTED
    assert detractor.contacted_at is not None

    refused = client.post(url, {"status": "resolved", "resolution": ""})
    detractor.refresh_from_db()
    assert refused.status_code == 422
    assert "Say what was done before resolving." in body(refused)
    assert detractor.status == FollowUpStatus.CONTACTED

    resolved = client.post(url, {"status": "resolved", "resolution": "تماس گرفتم و بازپرداخت شد"})
    detractor.refresh_from_db()
    assert resolved.status_code == 302
    assert detractor.status == FollowUpStatus.RESOLVED
    assert detractor.resolution == "تماس گرفتم و بازپرداخت شد"
    assert detractor.resolved_at is not None
    kinds = list(
        TimelineEvent.objects.filter(
            customer=detractor.customer, kind=EventKind.FOLLOW_UP_UPDATED
        ).values_list("data__status", flat=True)
    )
    assert sorted(kinds) == ["contacted", "resolved"]

    reopened = client.post(url, {"status": "open", "resolution": detractor.resolution})
    detractor.refresh_from_db()
    assert reopened.status_code == 302
    assert detractor.status == FollowUpStatus.OPEN


def test_another_sales_person_may_read_but_not_work_it(
    users: dict[str, Any], client: Client, detractor: FollowUp
) -> None:
    url = reverse("feedback:follow_up", args=[detractor.pk])
    login(client, users["sales2"])
    page = client.get(url)
    assert page.status_code == 200
    assert 'id="follow-up-form"' not in body(page)

    refused = client.post(url, {"status": "contacted", "resolution": "not mine"})
    detractor.refresh_from_db()
    assert refused.status_code == 403
    assert (detractor.status, detractor.resolution) == (FollowUpStatus.OPEN, "")


def test_the_service_team_reassigns(
    users: dict[str, Any], client: Client, detractor: FollowUp
) -> None:
    url = reverse("feedback:follow_up", args=[detractor.pk])
    login(client, users["service"])
    page = body(client.get(url))
    assert 'name="assignee"' in page
    response = client.post(url, {"status": "", "resolution": "", "assignee": users["sales2"].pk})
    detractor.refresh_from_db()
    assert response.status_code == 302
    assert detractor.assignee == users["sales2"]

    # The assignee cannot hand it on: the field is not even on their form.
    login(client, users["sales2"])
    assert 'name="assignee"' not in body(client.get(url))
    client.post(url, {"assignee": users["sales"].pk})
    detractor.refresh_from_db()
    assert detractor.assignee == users["sales2"]


def test_a_missing_follow_up_is_404(users: dict[str, Any], client: Client) -> None:
    login(client, users["sales"])
    assert client.get(reverse("feedback:follow_up", args=[404])).status_code == 404
