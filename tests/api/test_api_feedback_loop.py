"""The feedback API's closed loop and wall: follow-ups (who sees and works which) and comments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import count
from typing import Any

import pytest
from django.utils import timezone

from mehvar.core.models import User
from mehvar.customers.models import Customer
from mehvar.feedback.models import Comment, FollowUp, Survey
from mehvar.feedback.responding import answers_save, invitation_create, response_for_invitation
from mehvar.feedback.surveys import survey_save, survey_set_status

pytestmark = pytest.mark.django_db

Api = Callable[[str], Any]
_refs = count(1)


@pytest.fixture
def survey(users: dict[str, User]) -> Survey:
    survey = survey_save(
        actor=users["manager"],
        data={"title_fa": "رضایت", "questions": [{"key": "nps", "kind": "nps", "text_fa": "؟"}]},
    )
    return survey_set_status(actor=users["manager"], survey=survey, status="active")


@pytest.fixture
def unhappy(
    survey: Survey, make_customer: Callable[..., Customer]
) -> Callable[[User | None], FollowUp]:
    """A detractor's follow-up, assigned to the customer's owner (or to nobody)."""

    def make(owner: User | None) -> FollowUp:
        customer = make_customer(owner=owner)
        invitation = invitation_create(actor=None, survey=survey, customer=customer, channel="link")
        response = response_for_invitation(invitation)
        answers_save(response=response, raw={"nps": 2}, submit=True)
        follow_up = FollowUp.objects.get(response=response)
        if owner is None:
            FollowUp.objects.filter(pk=follow_up.pk).update(assignee=None)
            follow_up.refresh_from_db()
        assert follow_up.assignee == owner
        return follow_up

    return make


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- follow-ups -----------------------------------------------------------------------------
def test_sales_sees_its_own_and_unassigned_follow_ups_only(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    own = unhappy(users["sales"])
    colleagues = unhappy(users["sales2"])
    nobodys = unhappy(None)

    assert sorted(_ids(as_role("sales").get("/follow-ups"))) == sorted([own.pk, nobodys.pk])
    assert _ids(as_role("sales").get("/follow-ups", mine="true")) == [own.pk]
    every = [own.pk, colleagues.pk, nobodys.pk]
    for lead in ("service", "manager", "admin"):
        assert sorted(_ids(as_role(lead).get("/follow-ups"))) == sorted(every)


def test_a_colleagues_follow_up_is_refused_to_sales(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    colleagues = unhappy(users["sales2"])

    detail = as_role("sales").get(f"/follow-ups/{colleagues.pk}")
    patch = as_role("sales").patch(f"/follow-ups/{colleagues.pk}", {"status": "contacted"})

    assert (detail.status_code, patch.status_code) == (403, 403)
    assert detail.json()["code"] == patch.json()["code"] == "permission_denied"
    assert "customer" not in detail.content.decode()
    colleagues.refresh_from_db()
    assert (colleagues.status, colleagues.contacted_at) == ("open", None)
    assert as_role("sales2").get(f"/follow-ups/{colleagues.pk}").status_code == 200
    assert as_role("sales").get("/follow-ups/424242").status_code == 404


def test_service_works_a_follow_up_assigned_to_someone_else(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    follow_up = unhappy(users["sales2"])

    contacted = as_role("service").patch(f"/follow-ups/{follow_up.pk}", {"status": "contacted"})

    assert contacted.status_code == 200, contacted.content
    assert contacted.json()["status"] == "contacted"
    assert contacted.json()["contacted_at"] is not None
    assert contacted.json()["assignee_id"] == users["sales2"].pk
    follow_up.refresh_from_db()
    assert follow_up.status == "contacted"
    assert follow_up.customer.timeline_events.filter(kind="follow_up_updated").count() == 1


def test_resolving_needs_a_resolution(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    follow_up = unhappy(users["sales"])
    client = as_role("sales")

    bare = client.patch(f"/follow-ups/{follow_up.pk}", {"status": "resolved"})
    assert bare.status_code == 422
    assert list(bare.json()["errors"]) == ["resolution"]

    done = client.patch(
        f"/follow-ups/{follow_up.pk}", {"status": "resolved", "resolution": "تماس گرفتم، حل شد"}
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["resolution"]) == ("resolved", "تماس گرفتم، حل شد")
    assert done.json()["resolved_at"] is not None
    assert done.json()["overdue"] is False


def test_only_leads_and_service_reassign(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    follow_up = unhappy(users["sales"])
    url = f"/follow-ups/{follow_up.pk}"

    refused = as_role("sales").patch(url, {"assignee_id": users["sales2"].pk})
    assert refused.status_code == 403
    users["marketing"].is_active = False
    users["marketing"].save(update_fields=["is_active"])
    inactive = as_role("manager").patch(url, {"assignee_id": users["marketing"].pk})
    assert inactive.status_code == 422
    assert list(inactive.json()["errors"]) == ["assignee_id"]
    moved = as_role("manager").patch(url, {"assignee_id": users["sales2"].pk})
    assert moved.status_code == 200
    assert moved.json()["assignee_id"] == users["sales2"].pk
    # Now it is a colleague's: sales no longer sees it.
    assert as_role("sales").get(url).status_code == 403


def test_follow_up_body_is_strict(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    follow_up = unhappy(users["sales"])
    url = f"/follow-ups/{follow_up.pk}"
    for body, field in (
        ({"status": "closed"}, "status"),
        ({"due_at": "2030-01-01T00:00:00Z"}, "due_at"),
        ({"resolution": "x\x00"}, "resolution"),
    ):
        response = as_role("sales").patch(url, body)
        assert response.status_code == 422, body
        assert list(response.json()["errors"]) == [field]
    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.resolution) == ("open", "")


def test_follow_ups_filter_by_status_and_overdue(
    users: dict[str, User], unhappy: Callable[[User | None], FollowUp], as_role: Api
) -> None:
    late, fresh, done = (unhappy(users["sales"]) for _ in range(3))
    FollowUp.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=1))
    FollowUp.objects.filter(pk=done.pk).update(
        status="resolved", resolution="done", due_at=timezone.now() - timedelta(hours=2)
    )
    client = as_role("sales")

    assert _ids(client.get("/follow-ups", overdue="true")) == [late.pk]
    assert sorted(_ids(client.get("/follow-ups", status="open"))) == sorted([late.pk, fresh.pk])
    assert _ids(client.get("/follow-ups", status="resolved")) == [done.pk]
    detail = client.get(f"/follow-ups/{late.pk}").json()
    assert detail["overdue"] is True
    assert detail["reasons"] == ["detractor"]
    assert detail["response_id"] == late.response_id
    assert client.get("/follow-ups", status="lost").status_code == 422
    assert client.get("/follow-ups", assignee="1").status_code == 422


# --- comments -------------------------------------------------------------------------------
def _comment(
    text: str,
    sentiment: str,
    *,
    minutes_ago: int,
    customer: Customer | None = None,
    survey: Survey | None = None,
    source: str = "survey",
) -> Comment:
    return Comment.objects.create(
        customer=customer,
        survey=survey,
        source=source,
        ref_type="test",
        ref_id=str(next(_refs)),
        text=text,
        sentiment=sentiment,
        score=0.9,
        keywords=["ارسال"],
        occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_the_wall_lists_newest_first_and_filters(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    reza = make_customer()
    old = _comment("ارسال دیر بود", "negative", minutes_ago=30, customer=reza, survey=survey)
    new = _comment("عالی بود", "positive", minutes_ago=1, source="note")
    mid = _comment("معمولی", "neutral", minutes_ago=10, customer=reza)
    client = as_role("sales")

    assert _ids(client.get("/comments")) == [new.pk, mid.pk, old.pk]
    assert _ids(client.get("/comments", source="note")) == [new.pk]
    assert _ids(client.get("/comments", customer_id=str(reza.pk))) == [mid.pk, old.pk]
    persian_id = str(reza.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert _ids(client.get("/comments", customer_id=persian_id)) == [mid.pk, old.pk]
    assert _ids(client.get("/comments", survey_id=survey.pk)) == [old.pk]
    item = client.get("/comments", sentiment="negative").json()["items"]
    assert [(c["id"], c["label"], c["keywords"]) for c in item] == [(old.pk, "negative", ["ارسال"])]
    assert client.get("/comments", sentiment="angry").status_code == 422
    assert client.get("/comments", q="x").status_code == 422


def test_the_sentiment_filter_reads_the_corrected_label(as_role: Api) -> None:
    misread = _comment("دیگر هرگز نمی‌خرم", "positive", minutes_ago=5, source="note")
    right = _comment("خیلی خوب", "positive", minutes_ago=1)
    client = as_role("sales")

    corrected = client.post(f"/comments/{misread.pk}/sentiment", {"label": "negative"})

    assert corrected.status_code == 200, corrected.content
    body = corrected.json()
    assert (body["label"], body["sentiment"], body["corrected"]) == (
        "negative",
        "positive",
        "negative",
    )
    assert body["corrected_by_id"] is not None
    assert _ids(client.get("/comments", sentiment="negative")) == [misread.pk]
    assert _ids(client.get("/comments", sentiment="positive")) == [right.pk]
    bad = client.post(f"/comments/{misread.pk}/sentiment", {"label": "angry"})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["label"]
    assert client.post("/comments/999999/sentiment", {"label": "neutral"}).status_code == 404
