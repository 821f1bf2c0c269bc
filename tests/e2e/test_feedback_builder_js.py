"""The survey builder's script: add a question, pick its type, move it, branch on it, save."""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.feedback.models import Survey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_build_a_survey_with_the_script(
    live_server: Any, browser: Any, users: dict[str, Any], shot: Any
) -> None:
    page = browser.new_page(locale="en-US", viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "marketing")
    page.fill("#id_password", "pass-12345-word")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/feedback/surveys/new/?start=nps_why")
    blocks = page.locator("[data-question-block]")
    # The starter's three questions and the empty one at the end; the no-script hints hidden.
    assert blocks.count() == 4
    assert not page.locator("#q0-remove").is_visible()
    page.fill("#id_title_fa", "نظرسنجی آزمایشی")

    # The empty block becomes a single-choice question: its choice editor shows, Kano's hides.
    page.select_option("#q3-kind", "single")
    assert page.locator("#q3-feature_fa").is_hidden()
    page.fill("#q3-text_fa", "کدام شعبه؟")
    page.fill("[name=questions-3-choices-0-value]", "n")
    page.fill("[name=questions-3-choices-0-fa]", "شمال")
    page.fill("[name=questions-3-choices-1-value]", "s")
    page.fill("[name=questions-3-choices-1-fa]", "جنوب")
    page.locator("[data-question-block]").nth(3).locator("[data-add-choice]").click()
    page.fill("[name=questions-3-choices-2-value]", "w")
    page.fill("[name=questions-3-choices-2-fa]", "غرب")

    # A new Kano block, moved up to second place; the blocks after it are renumbered.
    page.click("#add-question")
    assert blocks.count() == 5
    assert page.input_value("#q4-key") == "q5"
    page.select_option("#q4-kind", "kano")
    assert page.locator("#q4-feature_fa").is_visible()
    page.fill("#q4-text_fa", "اگر ارسال رایگان باشد؟")
    page.fill("#q4-alt_text_fa", "اگر ارسال رایگان نباشد؟")
    page.fill("#q4-feature_fa", "ارسال رایگان")
    for _ in range(3):
        page.locator("[data-question-block]").nth(4 - _).locator('[data-move="up"]').click()
    assert page.input_value("#q1-key") == "q5"
    assert page.input_value("#q2-key") == "q2"
    # "why?" (now third) may still branch on q1, and now also on the Kano question before it.
    options = page.locator("#q2-show_if_key option").all_inner_texts()
    assert options[1:] == ["q1", "q5"]

    # The third starter question ("what did you like?") is removed.
    page.locator("[data-question-block]").nth(3).locator("[data-remove]").click()
    assert blocks.count() == 4
    shot(page, "feedback-builder")
    page.click("#survey-builder button[type=submit]")
    page.wait_for_url("**/feedback/surveys/*/")

    survey = Survey.objects.get()
    questions = list(survey.questions.order_by("position"))
    assert [(q.key, q.kind) for q in questions] == [
        ("q1", "nps"),
        ("q5", "kano"),
        ("q2", "text"),
        ("q4", "single"),
    ]
    assert questions[2].show_if == {"key": "q1", "op": "lte", "value": 6}
    assert [c["value"] for c in questions[3].choices] == ["n", "s", "w"]
    assert errors == []
