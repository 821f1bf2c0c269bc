"""The loop end to end: a customer answers on a phone, and the company sees it.

The customer opens their SMS link on a 390 px phone, gives a low score, says why and sends.
A manager then finds the answer on the customer's timeline (with the follow-up it opened), on
the feedback dashboard's NPS card and on the feedback wall, read as negative.
"""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.models import Comment, FollowUp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
COMPLAINT = "پیک دو ساعت دیر رسید و غذا کاملا سرد بود، خیلی بد بود"


def test_an_answer_from_a_phone_reaches_the_timeline_dashboard_and_wall(
    live_server: Any, browser: Any, users: dict[str, Any], make_customer: Any, shot: Any
) -> None:
    survey = surveys.survey_save(
        actor=users["manager"],
        data={
            "title_fa": "نظرسنجی پس از خرید",
            "touchpoint": "تحویل سفارش",
            "questions": [
                {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟"},
                {
                    "key": "why",
                    "kind": "text",
                    "text_fa": "چه چیزی باعث ناراحتی شما شد؟",
                    "show_if": {"key": "nps", "op": "lte", "value": 6},
                },
            ],
        },
    )
    survey = surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    customer = make_customer(first_name="نگار", last_name="احمدی", owner=users["sales"])
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="sms"
    )

    phone = browser.new_context(
        locale="fa-IR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/s/{tokens.token_for(invitation)}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # Each answer is saved as it is given; wait for those saves before sending, because the
    # tests' in-memory SQLite is one connection that two requests at once would share.
    with page.expect_response(lambda r: r.url.endswith("/save/")):
        page.click("label[for=q-nps-3]")
    page.locator("#q-why").wait_for(state="visible")
    with page.expect_response(lambda r: r.url.endswith("/save/")):
        page.fill("#q-why", COMPLAINT)
    page.click("button[type=submit]")
    page.wait_for_selector("#message-heading")
    shot(page, "feedback-journey-phone-thanks")
    phone.close()

    follow_up = FollowUp.objects.get()
    assert follow_up.assignee == users["sales"]  # the customer's owner calls back
    assert sorted(follow_up.reasons) == ["detractor", "negative_comment"]
    assert Comment.objects.get().sentiment == "negative"

    desk = browser.new_page(locale="fa-IR", viewport={"width": 1366, "height": 900})
    desk.goto(f"{live_server.url}/login/")
    desk.fill("#id_username", "manager")
    desk.fill("#id_password", "pass-12345-word")
    desk.click("button[type=submit]")
    desk.wait_for_url(f"{live_server.url}/")

    desk.goto(f"{live_server.url}/customers/{customer.pk}/")
    timeline = desk.locator("#timeline")
    assert "نظرسنجی پس از خرید" in timeline.inner_text()
    assert "NPS ۳" in timeline.inner_text()
    shot(desk, "feedback-journey-timeline")

    desk.goto(f"{live_server.url}/feedback/")
    value = desk.locator("#kpi-nps [data-value]").inner_text()
    # One detractor: NPS −100, in Persian digits, the minus kept left of the number in RTL.
    assert value.strip("\u2066\u2067\u2068\u2069 ").replace("-", "\u2212") == "\u2212۱۰۰"
    shot(desk, "feedback-journey-dashboard")

    desk.goto(f"{live_server.url}/feedback/wall/")
    card = desk.locator(".comment-card").first
    assert COMPLAINT in card.inner_text()
    assert card.get_attribute("data-sentiment") == "negative"
