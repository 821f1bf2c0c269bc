"""A customer answers a survey on a 360 px phone: branching, autosave, then sending; and the
same page without JavaScript still shows every question and sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.models import Answer, Response

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 360, "height": 740}
QUESTIONS = [
    {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را به دوستانتان توصیه می‌کنید؟"},
    {
        "key": "why",
        "kind": "text",
        "text_fa": "چه چیزی را بهتر کنیم؟",
        "required": False,
        "show_if": {"key": "nps", "op": "lte", "value": 6},
    },
    {"key": "ces", "kind": "ces", "text_fa": "کارتان چقدر آسان انجام شد؟", "required": False},
    {"key": "quality", "kind": "quality", "text_fa": "کیفیت را نمره دهید", "required": False},
]


def saving(page: Any, act: Callable[[], None]) -> dict[str, Any]:
    """Do ``act`` and wait for the autosave it sends; return the server's JSON answer.

    (The test reads the database only between requests: the in-memory SQLite of the tests
    does not take a reader and the live server's writer at once.)
    """
    with page.expect_response(lambda r: r.url.endswith("/save/")) as answer:
        act()
    result: dict[str, Any] = answer.value.json()
    return result


def _link(users: dict[str, Any], make_customer: Any) -> tuple[str, Any]:
    survey = surveys.survey_save(
        actor=users["manager"], data={"title_fa": "نظرسنجی خرید", "questions": QUESTIONS}
    )
    survey = surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=make_customer(), channel="sms"
    )
    return f"/s/{tokens.token_for(invitation)}/", invitation


def _answers(invitation: Any) -> dict[str, Any]:
    return dict(
        Answer.objects.filter(response__invitation=invitation).values_list("question__key", "value")
    )


def test_branching_and_autosave_on_a_phone(
    live_server: Any, browser: Any, users: dict[str, Any], make_customer: Any, shot: Any
) -> None:
    path, invitation = _link(users, make_customer)
    page = browser.new_page(locale="fa-IR", viewport=PHONE)
    page.goto(live_server.url + path)

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#fq-why").is_hidden()
    # Eleven NPS buttons fit the screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    assert saving(page, lambda: page.click("label[for=q-nps-3]"))["saved"] == ["nps"]
    assert page.locator("#fq-why").is_visible()
    assert saving(page, lambda: page.fill("#q-why", "تحویل دیر بود"))["saved"] == ["why"]
    # An optional grid saves row by row.
    assert saving(page, lambda: page.click("label[for=q-quality-product-4]"))["saved"] == [
        "quality"
    ]
    assert _answers(invitation) == {"nps": 3, "why": "تحویل دیر بود", "quality": {"product": 5}}
    shot(page, "feedback-answer-phone")

    page.reload()  # a partial answer is kept and shown again
    assert page.locator("#q-nps-3").is_checked()
    assert page.locator("#fq-why").is_visible()
    assert page.locator("#q-why").input_value() == "تحویل دیر بود"

    page.click("label[for=q-nps-9]")
    assert page.locator("#fq-why").is_hidden()
    page.click("button[type=submit]")
    page.wait_for_selector("#message-heading")
    response = Response.objects.get(invitation=invitation)
    assert response.submitted_at is not None
    assert _answers(invitation) == {"nps": 9, "quality": {"product": 5}}  # "why" was not asked


def test_the_page_works_without_javascript(
    live_server: Any, browser: Any, users: dict[str, Any], make_customer: Any
) -> None:
    path, invitation = _link(users, make_customer)
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(live_server.url + path)

    assert page.locator("#fq-why").is_visible()  # nothing could reveal it later
    page.click("label[for=q-nps-2]")
    page.fill("#q-why", "گران بود")
    page.click("button[type=submit]")
    page.wait_for_selector("#message-heading")
    assert _answers(invitation) == {"nps": 2, "why": "گران بود"}
    context.close()
