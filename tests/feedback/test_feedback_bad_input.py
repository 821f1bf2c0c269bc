"""Odd input gets a clear answer, never a 500: other scripts' digits, NUL, huge numbers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mehvar.core.errors import ValidationFailed
from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.answers import AnswerError, clean_answer
from mehvar.feedback.models import Question, Response, Survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"key": "nps", "kind": "nps", "text_fa": "توصیه؟"},
    {"key": "why", "kind": "text", "text_fa": "چرا؟", "required": False},
]


def _survey(users: dict[str, Any]) -> Survey:
    survey = surveys.survey_save(
        actor=users["manager"],
        data={"title_fa": "نظرسنجی", "public_enabled": True, "questions": QUESTIONS},
    )
    return surveys.survey_set_status(actor=users["manager"], survey=survey, status="active")


@pytest.mark.parametrize("raw", ["²", "--5", "1" * 5000, "٥٥٥٥٥", "5.0"])
def test_numbers_that_are_not_small_integers_are_refused(raw: str) -> None:
    with pytest.raises(AnswerError):
        clean_answer(Question(key="q", kind="nps", text_fa="?"), raw)


def test_control_characters_leave_a_comment_but_not_its_words() -> None:
    text = clean_answer(Question(key="q", kind="text", text_fa="?"), "دیر\x00 رسید\x07\tواقعا")
    assert text == "دیر  رسید \tواقعا"


@pytest.mark.parametrize("token", ["1.abc.سلام", "a" * 500, "1.2.3", "۱.abc.def"])
def test_tokens_of_any_shape_get_the_not_valid_page(client: Client, token: str) -> None:
    assert tokens.invitation_for(token) == (tokens.LinkState.INVALID, None)
    assert client.get(f"/s/{token}/").status_code == 404


def test_a_nul_in_a_public_answer_is_stored_without_it(
    users: dict[str, Any], client: Client
) -> None:
    survey = _survey(users)
    url = reverse("feedback:public", args=[survey.public_slug])
    client.get(url)
    answered = client.post(url, {"q-nps": "۳", "q-why": "بد\x00بود"})
    assert answered.status_code == 200
    response = Response.objects.get()
    assert response.submitted_at is not None
    assert response.answers.get(question__key="why").value == "بد بود"


def test_a_nul_in_a_survey_is_a_field_error(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        surveys.survey_save(
            actor=users["manager"],
            data={"title_fa": "نظر\x00سنجی", "questions": QUESTIONS},
        )
    assert "title_fa" in caught.value.errors


@pytest.mark.parametrize("value", ["²", "9" * 30, "abc"])
def test_odd_ids_in_query_strings_are_ignored(
    users: dict[str, Any], client: Client, value: str
) -> None:
    survey = _survey(users)
    client.force_login(users["manager"])
    assert client.get(reverse("feedback:survey_list") + f"?customer={value}").status_code == 200
    invite = reverse("feedback:survey_invite", args=[survey.pk]) + f"?sent={value}"
    assert client.get(invite).status_code == 200
    assert client.get(reverse("feedback:dashboard") + f"?survey={value}").status_code == 200
    rules = reverse("feedback:survey_rules", args=[survey.pk])
    assert client.post(rules, {"action": "delete", "rule": value}).status_code == 404
    assert responding.public_url(survey).endswith(f"/q/{survey.public_slug}/")
