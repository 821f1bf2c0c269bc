"""The survey builder page: every question type round-trips through the form fields, errors keep
what was typed, starters fill the form without saving, answered questions stay put."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mehvar.feedback import responding, surveys
from mehvar.feedback.models import Question, Survey, SurveyStatus

pytestmark = pytest.mark.django_db


def login(client: Client, user: Any) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


SETTINGS = {
    "title_fa": "نظرسنجی پس از خرید",
    "title_en": "After your purchase",
    "intro_fa": "چند پرسش کوتاه",
    "intro_en": "A few short questions",
    "thanks_fa": "سپاس",
    "thanks_en": "Thanks",
    "touchpoint": "خرید",
    "department": "sales",
    "product_id": "",
    "public_enabled": "on",
    "link_days": "10",
}

# One question of every type, as the builder's fields (the numbers only order them).
QUESTIONS: list[dict[str, Any]] = [
    {"key": "q1", "kind": "nps", "text_fa": "ما را پیشنهاد می‌کنید؟", "text_en": "Recommend us?"},
    {
        "key": "why",
        "kind": "text",
        "text_fa": "چرا؟",
        "text_en": "Why?",
        "required": False,
        "show_if": {"key": "q1", "op": "lte", "value": 6},
    },
    {"key": "sat", "kind": "csat", "text_fa": "چقدر راضی بودید؟", "text_en": "Satisfied?"},
    {"key": "effort", "kind": "ces", "text_fa": "چقدر آسان بود؟", "text_en": ""},
    {
        "key": "kano_delivery",
        "kind": "kano",
        "text_fa": "اگر ارسال رایگان باشد؟",
        "text_en": "If delivery is free?",
        "alt_text_fa": "اگر ارسال رایگان نباشد؟",
        "alt_text_en": "If delivery is not free?",
        "feature_fa": "ارسال رایگان",
        "feature_en": "Free delivery",
    },
    {"key": "quality", "kind": "quality", "text_fa": "کیفیت ما", "text_en": "Our quality"},
    {
        "key": "pick",
        "kind": "single",
        "text_fa": "کدام شعبه؟",
        "text_en": "Which branch?",
        "choices": [
            {"value": "north", "fa": "شمال", "en": "North"},
            {"value": "south", "fa": "جنوب", "en": ""},
        ],
    },
    {
        "key": "many",
        "kind": "multiple",
        "text_fa": "چه چیزهایی؟",
        "text_en": "What else?",
        "required": False,
        "choices": [
            {"value": "price", "fa": "قیمت", "en": "Price"},
            {"value": "speed", "fa": "سرعت", "en": "Speed"},
            {"value": "staff", "fa": "کارکنان", "en": "Staff"},
        ],
        "show_if": {"key": "pick", "op": "in", "value": ["north", "south"]},
    },
]


def question_fields(questions: list[dict[str, Any]], start: int = 0) -> dict[str, Any]:
    """The POST fields of the builder for ``questions``, numbered from ``start``."""
    data: dict[str, Any] = {}
    for n, question in enumerate(questions, start=start):
        prefix = f"questions-{n}-"
        for name in ("key", "kind", "text_fa", "text_en", "alt_text_fa", "alt_text_en"):
            data[prefix + name] = question.get(name, "")
        data[prefix + "feature_fa"] = question.get("feature_fa", "")
        data[prefix + "feature_en"] = question.get("feature_en", "")
        if question.get("required", True):
            data[prefix + "required"] = "1"
        for m, choice in enumerate(question.get("choices", [])):
            for part in ("value", "fa", "en"):
                data[f"{prefix}choices-{m}-{part}"] = choice[part]
        show_if = question.get("show_if")
        if show_if:
            value = show_if["value"]
            data[prefix + "show_if_key"] = show_if["key"]
            data[prefix + "show_if_op"] = show_if["op"]
            data[prefix + "show_if_value"] = (
                ", ".join(value) if isinstance(value, list) else str(value)
            )
    return data


def spare_block(n: int) -> dict[str, Any]:
    """The empty block the page always offers at the end (left blank, it is ignored)."""
    return {
        f"questions-{n}-key": f"q{n + 1}",
        f"questions-{n}-kind": "nps",
        f"questions-{n}-required": "1",
        f"questions-{n}-choices-0-value": "",
    }


def saved(question: Question) -> dict[str, Any]:
    return {
        "key": question.key,
        "kind": question.kind,
        "text_fa": question.text_fa,
        "text_en": question.text_en,
        "alt_text_fa": question.alt_text_fa,
        "alt_text_en": question.alt_text_en,
        "feature_fa": question.feature_fa,
        "feature_en": question.feature_en,
        "required": question.required,
        "choices": question.choices,
        "show_if": question.show_if,
    }


def expected(question: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": question["key"],
        "kind": question["kind"],
        **{
            name: question.get(name, "")
            for name in (
                "text_fa",
                "text_en",
                "alt_text_fa",
                "alt_text_en",
                "feature_fa",
                "feature_en",
            )
        },
        "required": question.get("required", True),
        "choices": question.get("choices", []),
        "show_if": question.get("show_if") or {},
    }


@pytest.fixture
def marketing(users: dict[str, Any], client: Client) -> Client:
    return login(client, users["marketing"])


def test_every_question_type_round_trips_through_the_page(marketing: Client) -> None:
    data = {**SETTINGS, **question_fields(QUESTIONS), **spare_block(len(QUESTIONS))}
    response = marketing.post(reverse("feedback:survey_new"), data)

    survey = Survey.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:survey_detail", args=[survey.pk])
    assert [saved(q) for q in survey.questions.order_by("position")] == [
        expected(q) for q in QUESTIONS
    ]
    assert (survey.title_fa, survey.title_en, survey.touchpoint) == (
        "نظرسنجی پس از خرید",
        "After your purchase",
        "خرید",
    )
    assert (survey.department, survey.public_enabled, survey.link_days) == ("sales", True, 10)
    assert survey.status == SurveyStatus.DRAFT

    page = body(marketing.get(reverse("feedback:survey_edit", args=[survey.pk])))
    for n, question in enumerate(QUESTIONS):
        assert f'name="questions-{n}-key" value="{question["key"]}"' in page
        assert f'value="{question["text_fa"]}"' in page
    assert re.search(r'<option value="kano" selected>', page)
    assert 'name="questions-4-alt_text_en" value="If delivery is not free?"' in page
    assert 'name="questions-6-choices-1-value" value="south"' in page
    assert 'name="questions-7-show_if_value" value="north, south"' in page
    assert '<option value="q1" selected>q1</option>' in page
    # A fresh empty block waits after the eight questions, with a suggested key.
    assert 'name="questions-8-key" value="q9"' in page


def test_saving_again_reorders_and_removes_questions(marketing: Client) -> None:
    marketing.post(reverse("feedback:survey_new"), {**SETTINGS, **question_fields(QUESTIONS[:3])})
    survey = Survey.objects.get()
    # The blocks come back in the order of their numbers, whatever the order of the fields;
    # "why" is ticked for removal (its branching rule went with it).
    fields = {
        **question_fields([QUESTIONS[2]], start=0),
        **question_fields([QUESTIONS[0]], start=5),
        **question_fields([QUESTIONS[1]], start=9),
        "questions-9-remove": "1",
    }
    response = marketing.post(
        reverse("feedback:survey_edit", args=[survey.pk]), {**SETTINGS, **fields}
    )

    assert response.status_code == 302
    assert list(survey.questions.order_by("position").values_list("key", flat=True)) == [
        "sat",
        "q1",
    ]


def test_errors_keep_what_was_typed(marketing: Client) -> None:
    kano = {**QUESTIONS[4], "alt_text_fa": ""}
    data = {
        **SETTINGS,
        "title_en": "Typed English title",
        **question_fields([QUESTIONS[0], kano]),
    }
    response = marketing.post(reverse("feedback:survey_new"), data)

    page = body(response)
    assert response.status_code == 422
    assert not Survey.objects.exists()
    assert 'value="Typed English title"' in page
    assert 'value="نظرسنجی پس از خرید"' in page
    assert 'value="اگر ارسال رایگان باشد؟"' in page
    assert 'value="Free delivery"' in page
    # The service's "questions[2].alt_text_fa" lands next to the second block's field.
    assert re.search(
        r'id="q1-alt_text_fa-error">A Kano pair needs the dysfunctional question', page
    )


def test_a_missing_title_and_a_bad_condition_are_shown(marketing: Client) -> None:
    why = {**QUESTIONS[1], "show_if": {"key": "q1", "op": "lte", "value": "low"}}
    data = {**SETTINGS, "title_fa": "", **question_fields([QUESTIONS[0], why])}
    response = marketing.post(reverse("feedback:survey_new"), data)

    page = body(response)
    assert response.status_code == 422
    assert "This field is required." in page
    assert 'id="q1-show_if-error">Compare with a number.' in page
    assert 'value="ما را پیشنهاد می‌کنید؟"' in page
    assert not Survey.objects.exists()


def test_a_condition_on_a_later_question_is_refused_by_the_service(marketing: Client) -> None:
    first = {**QUESTIONS[0], "show_if": {"key": "sat", "op": "gte", "value": 3}}
    data = {**SETTINGS, **question_fields([first, QUESTIONS[2]])}
    response = marketing.post(reverse("feedback:survey_new"), data)

    assert response.status_code == 422
    assert 'id="q0-show_if-error">A condition can only refer to an earlier question.' in body(
        response
    )


def test_a_starter_fills_the_form_without_saving(marketing: Client) -> None:
    response = marketing.get(reverse("feedback:survey_new") + "?start=nps_why")

    page = body(response)
    assert response.status_code == 200
    assert "چقدر احتمال دارد ما را به دوستان یا همکاران خود پیشنهاد کنید؟" in page
    assert 'name="questions-1-show_if_value" value="6"' in page
    assert not Survey.objects.exists()
    empty = body(marketing.get(reverse("feedback:survey_new") + "?start=nonsense"))
    assert 'name="questions-0-key" value="q1"' in empty
    assert "چقدر احتمال دارد" not in empty


def test_every_starter_saves_as_it_is(marketing: Client, users: dict[str, Any]) -> None:
    from mehvar.feedback.starters import STARTERS

    for _label, data in STARTERS.values():
        survey = surveys.survey_save(actor=users["marketing"], data=data)
        assert survey.questions.count() == len(data["questions"])


def test_answered_questions_cannot_be_removed(
    marketing: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    survey = surveys.survey_save(
        actor=users["marketing"],
        data={"title_fa": "نظرسنجی", "questions": [QUESTIONS[0], QUESTIONS[2]]},
    )
    survey = surveys.survey_set_status(actor=users["marketing"], survey=survey, status="active")
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=make_customer(), channel="link"
    )
    response = responding.response_for_invitation(invitation)
    responding.answers_save(response=response, raw={"q1": 9})

    page = body(marketing.get(reverse("feedback:survey_edit", args=[survey.pk])))
    assert "Has answers: its key and type stay" in page
    assert '<select class="form-select form-select-sm" id="q0-kind" disabled' in page

    refused = marketing.post(
        reverse("feedback:survey_edit", args=[survey.pk]),
        {**SETTINGS, **question_fields([QUESTIONS[2]])},
    )
    assert refused.status_code == 422
    assert "has answers and cannot be removed" in body(refused)
    assert survey.questions.count() == 2

    # Rewording it is fine.
    reworded = {**QUESTIONS[0], "text_en": "Would you recommend us?"}
    ok = marketing.post(
        reverse("feedback:survey_edit", args=[survey.pk]),
        {**SETTINGS, **question_fields([reworded, QUESTIONS[2]]), "questions-0-locked": "1"},
    )
    assert ok.status_code == 302
    assert survey.questions.get(key="q1").text_en == "Would you recommend us?"


def test_the_builder_page_loads_its_script_and_works_without_it(marketing: Client) -> None:
    page = body(marketing.get(reverse("feedback:survey_new")))
    assert "mehvar/feedback-builder.js" in page
    assert '<template id="question-template">' in page
    assert 'name="questions-__N__-key"' in page
    assert 'name="questions-0-remove"' in page  # without script, a tick removes a question
