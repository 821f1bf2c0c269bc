"""The public answer page: every question type round-trips, links are single-use, floods stop.

Pages are posted as a browser would (form fields named as in ``public_forms``), then the stored
answers are read back from the database and from the page itself. Link states: an invalid link
is 404, an expired or closed one 410, an answered one 200 ("thank you"); a flood is 429.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from django.core import signing
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.models import Answer, Invitation, Response, Survey

pytestmark = pytest.mark.django_db

QUESTIONS: list[dict[str, Any]] = [
    {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟", "text_en": "Recommend?"},
    {
        "key": "why",
        "kind": "text",
        "text_fa": "چرا این نمره؟",
        "text_en": "Why that score?",
        "required": False,
        "show_if": {"key": "nps", "op": "lte", "value": 6},
    },
    {"key": "csat", "kind": "csat", "text_fa": "چقدر راضی بودید؟", "text_en": "Satisfied?"},
    {"key": "ces", "kind": "ces", "text_fa": "کارتان آسان انجام شد؟", "text_en": "Easy?"},
    {
        "key": "wrap",
        "kind": "kano",
        "text_fa": "اگر کادوپیچی رایگان باشد؟",
        "text_en": "If gift wrapping were free?",
        "alt_text_fa": "اگر کادوپیچی رایگان نباشد؟",
        "alt_text_en": "If it were not?",
        "feature_fa": "کادوپیچی رایگان",
        "feature_en": "Free gift wrapping",
        "required": False,
    },
    {"key": "quality", "kind": "quality", "text_fa": "کیفیت را نمره دهید", "text_en": "Rate us"},
    {
        "key": "branch",
        "kind": "single",
        "text_fa": "کدام شعبه؟",
        "text_en": "Which branch?",
        "choices": [
            {"value": "north", "fa": "شعبه شمال", "en": "North"},
            {"value": "south", "fa": "شعبه جنوب", "en": "South"},
        ],
        "required": False,
    },
    {
        "key": "heard",
        "kind": "multiple",
        "text_fa": "از کجا شنیدید؟",
        "text_en": "Where did you hear of us?",
        "choices": [
            {"value": "sms", "fa": "پیامک", "en": "SMS"},
            {"value": "friend", "fa": "دوستان", "en": "Friends"},
            {"value": "web", "fa": "وب", "en": "Web"},
        ],
        "required": False,
    },
]
DIMENSIONS = ("product", "service", "after_sales", "flexibility", "competence", "reliability")

# A full answer as a browser posts it: Persian and Arabic digits where people type them.
FORM: dict[str, Any] = {
    "q-nps": "۳",
    "q-why": "  تحویل دیر بود  ",
    "q-csat": "٤",
    "q-ces": "6",
    "q-wrap-functional": "like",
    "q-wrap-dysfunctional": "dislike",
    **{f"q-quality-{code}": str(n) for n, code in enumerate(DIMENSIONS, start=1) if n <= 5},
    "q-quality-reliability": "۵",
    "q-branch": "north",
    "q-heard": ["web", "sms"],
}
STORED: dict[str, Any] = {
    "nps": 3,
    "why": "تحویل دیر بود",
    "csat": 4,
    "ces": 6,
    "wrap": {"functional": "like", "dysfunctional": "dislike"},
    "quality": {
        "product": 1,
        "service": 2,
        "after_sales": 3,
        "flexibility": 4,
        "competence": 5,
        "reliability": 5,
    },
    "branch": "north",
    "heard": ["sms", "web"],  # in the question's order, not the order clicked
}


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> None:
    """django-ratelimit counts in a cache: every test starts with a clean slate."""
    caches["ratelimit"].clear()


def make_survey(actor: Any, questions: list[dict[str, Any]] | None = None, **extra: Any) -> Survey:
    data = {
        "title_fa": "نظرسنجی پس از خرید",
        "title_en": "After your purchase",
        "thanks_fa": "سپاس از وقتی که گذاشتید",
        "questions": questions or QUESTIONS,
        **extra,
    }
    survey = surveys.survey_save(actor=actor, data=data)
    return surveys.survey_set_status(actor=actor, survey=survey, status="active")


@pytest.fixture
def survey(users: dict[str, Any]) -> Survey:
    return make_survey(users["manager"])


@pytest.fixture
def customer(make_customer: Any) -> Any:
    return make_customer()


@pytest.fixture
def invitation(survey: Survey, customer: Any, users: dict[str, Any]) -> Invitation:
    return responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="sms"
    )


def link(invitation: Invitation, *, save: bool = False) -> str:
    name = "feedback:answer_save" if save else "feedback:answer"
    return reverse(name, args=[tokens.token_for(invitation)])


def stored(response: Response) -> dict[str, Any]:
    return dict(Answer.objects.filter(response=response).values_list("question__key", "value"))


def checked(html: str, name: str) -> list[str]:
    """The values of the checked inputs named ``name`` on the page."""
    inputs = re.findall(r"<input[^>]*>", html)
    return [
        re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
        for tag in inputs
        if f'name="{name}"' in tag and re.search(r"\schecked(\s|>)", tag)
    ]


def fieldset(html: str, key: str) -> str:
    match = re.search(rf'<fieldset class="fq[^"]*" id="fq-{key}"[^>]*>', html)
    assert match, f"no question {key} on the page"
    return match.group(0)


# --- Every question type round-trips ----------------------------------------------------------


def test_every_type_is_stored_as_posted_and_the_answer_is_sent(
    client: Client, invitation: Invitation, customer: Any
) -> None:
    page = client.post(link(invitation), FORM)

    assert page.status_code == 200, page.content.decode()[:2000]
    assert "سپاس از وقتی که گذاشتید" in page.content.decode()
    response = Response.objects.get(invitation=invitation)
    assert stored(response) == STORED
    assert response.submitted_at is not None
    assert (response.nps, response.csat, response.ces) == (3, 4, 6)
    invitation.refresh_from_db()
    assert invitation.completed_at == response.submitted_at
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.SURVEY_ANSWERED)
    assert event.data["nps"] == 3
    assert event.data["survey"] == invitation.survey_id


def test_what_autosave_kept_is_shown_checked_on_the_next_visit(
    client: Client, invitation: Invitation
) -> None:
    assert client.get(link(invitation)).status_code == 200
    for key in STORED:
        fields = {name: value for name, value in FORM.items() if name.startswith(f"q-{key}")}
        saved = client.post(link(invitation, save=True), {"keys": key, **fields})
        assert saved.status_code == 200, saved.content
        assert saved.json() == {"saved": [key], "errors": {}}

    response = Response.objects.get(invitation=invitation)
    assert stored(response) == STORED
    assert response.submitted_at is None  # autosave keeps a partial answer, it does not send

    html = client.get(link(invitation)).content.decode()
    assert checked(html, "q-nps") == ["3"]
    assert checked(html, "q-csat") == ["4"]
    assert checked(html, "q-ces") == ["6"]
    assert checked(html, "q-wrap-functional") == ["like"]
    assert checked(html, "q-wrap-dysfunctional") == ["dislike"]
    for code, value in STORED["quality"].items():
        assert checked(html, f"q-quality-{code}") == [str(value)]
    assert checked(html, "q-branch") == ["north"]
    assert checked(html, "q-heard") == ["sms", "web"]
    assert ">تحویل دیر بود</textarea>" in html


def test_autosave_of_one_question_leaves_the_others_alone(
    client: Client, invitation: Invitation
) -> None:
    client.post(link(invitation, save=True), {"keys": "csat", "q-csat": "5"})
    # No "keys": the questions are found by their fields; an unchecked set clears only itself.
    client.post(link(invitation, save=True), {"q-nps": "8"})
    emptied = client.post(link(invitation, save=True), {"keys": "heard"})

    assert emptied.json() == {"saved": ["heard"], "errors": {}}
    assert stored(Response.objects.get(invitation=invitation)) == {"csat": 5, "nps": 8}


def test_a_refused_answer_is_explained_and_the_valid_ones_are_kept(
    client: Client, invitation: Invitation
) -> None:
    page = client.post(link(invitation), {**FORM, "q-csat": "9", "q-branch": "east"})

    assert page.status_code == 422
    html = page.content.decode()
    assert 'id="q-csat-error"' in html
    assert 'aria-describedby="q-csat-ends q-csat-error"' in html
    assert "has-error" in fieldset(html, "csat")
    assert "has-error" in fieldset(html, "branch")
    assert "has-error" not in fieldset(html, "nps")
    assert checked(html, "q-nps") == ["3"]  # typed as "۳"
    response = Response.objects.get(invitation=invitation)
    assert response.submitted_at is None
    kept = stored(response)
    assert kept["nps"] == 3
    assert kept["quality"] == STORED["quality"]
    assert "csat" not in kept
    assert "branch" not in kept


def test_autosave_reports_a_refused_answer_as_json(client: Client, invitation: Invitation) -> None:
    saved = client.post(link(invitation, save=True) + "?lang=en", {"keys": "nps", "q-nps": "11"})

    assert saved.status_code == 422
    assert saved.json() == {"saved": [], "errors": {"nps": "Choose a number from 0 to 10."}}


# --- Branching ---------------------------------------------------------------------------------


def test_the_why_question_is_shown_only_after_a_low_score(
    client: Client, invitation: Invitation
) -> None:
    html = client.get(link(invitation)).content.decode()
    assert " hidden" in fieldset(html, "why")
    rule = re.search(r'data-show-if="([^"]+)"', fieldset(html, "why")).group(1)  # type: ignore[union-attr]
    assert json.loads(unescape(rule)) == {"key": "nps", "op": "lte", "value": 6}

    client.post(link(invitation, save=True), {"keys": "nps", "q-nps": "9"})
    assert " hidden" in fieldset(client.get(link(invitation)).content.decode(), "why")

    client.post(link(invitation, save=True), {"keys": "nps", "q-nps": "۲"})
    assert " hidden" not in fieldset(client.get(link(invitation)).content.decode(), "why")


def test_a_required_follow_up_is_required_only_when_asked(
    users: dict[str, Any], make_customer: Any
) -> None:
    questions = [QUESTIONS[0], {**QUESTIONS[1], "required": True}]
    survey = make_survey(users["manager"], questions)
    unhappy, happy = (
        responding.invitation_create(
            actor=users["sales"], survey=survey, customer=make_customer(), channel="sms"
        )
        for _ in range(2)
    )
    client = Client()

    refused = client.post(link(unhappy), {"q-nps": "3"})
    assert refused.status_code == 422
    assert "has-error" in fieldset(refused.content.decode(), "why")
    assert " hidden" not in fieldset(refused.content.decode(), "why")
    # The score survives the refusal, so the second try needs only the missing answer.
    assert stored(Response.objects.get(invitation=unhappy)) == {"nps": 3}
    assert client.post(link(unhappy), {"q-nps": "3", "q-why": "دیر"}).status_code == 200

    # A happy customer is not asked why, and a "why" sent anyway is not kept.
    sent = client.post(link(happy), {"q-nps": "10", "q-why": "ignored"})
    assert sent.status_code == 200
    assert stored(Response.objects.get(invitation=happy)) == {"nps": 10}


# --- Single use --------------------------------------------------------------------------------


def test_an_answered_link_changes_nothing_and_says_thank_you(
    client: Client, invitation: Invitation, customer: Any
) -> None:
    assert client.post(link(invitation), FORM).status_code == 200
    response = Response.objects.get(invitation=invitation)
    submitted_at = response.submitted_at

    again = client.post(link(invitation) + "?lang=en", {**FORM, "q-nps": "10", "q-csat": "1"})
    assert again.status_code == 200
    assert "You have already answered" in again.content.decode()
    autosave = client.post(link(invitation, save=True), {"keys": "nps", "q-nps": "10"})
    assert autosave.status_code == 410
    page = client.get(link(invitation) + "?lang=en")
    assert page.status_code == 200
    assert "You have already answered" in page.content.decode()
    assert 'name="q-nps"' not in page.content.decode()

    response.refresh_from_db()
    assert response.submitted_at == submitted_at
    assert stored(response) == STORED
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert (
        TimelineEvent.objects.filter(customer=customer, kind=EventKind.SURVEY_ANSWERED).count() == 1
    )


def test_forged_and_unknown_tokens_get_the_same_page(
    client: Client, invitation: Invitation, survey: Survey
) -> None:
    token = tokens.token_for(invitation)
    changed = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    other_salt = signing.dumps([invitation.pk, invitation.nonce], salt="another.purpose")
    other_nonce = signing.dumps([invitation.pk, "0" * 32], salt=tokens.SALT)
    missing = signing.dumps([invitation.pk + 1000, invitation.nonce], salt=tokens.SALT)

    bodies = set()
    for forged in (changed, other_salt, other_nonce, missing, "nonsense"):
        page = client.get(reverse("feedback:answer", args=[forged]))
        assert page.status_code == 404
        assert survey.title_fa not in page.content.decode()
        bodies.add(re.sub(r"csrfmiddlewaretoken[^>]*", "", page.content.decode()))
        save = client.post(reverse("feedback:answer_save", args=[forged]), {"q-nps": "1"})
        assert save.status_code == 404
        assert client.post(reverse("feedback:answer", args=[forged]), FORM).status_code == 404
    assert len(bodies) == 1  # nothing tells a forged token from a missing invitation
    assert not Answer.objects.exists()


def test_an_expired_link_is_refused_politely(client: Client, invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    page = client.get(link(invitation) + "?lang=en")
    assert page.status_code == 410
    assert "This link has expired" in page.content.decode()
    assert "contact us" in page.content.decode()
    assert client.post(link(invitation), FORM).status_code == 410
    assert client.post(link(invitation, save=True), {"q-nps": "1"}).status_code == 410
    assert not Answer.objects.exists()


def test_a_closed_survey_takes_no_answers(
    client: Client, invitation: Invitation, survey: Survey, users: dict[str, Any]
) -> None:
    surveys.survey_set_status(actor=users["manager"], survey=survey, status="closed")

    page = client.get(link(invitation) + "?lang=en")
    assert page.status_code == 410
    assert "This survey is closed" in page.content.decode()
    assert client.post(link(invitation), FORM).status_code == 410
    assert not Answer.objects.exists()


# --- Spam, floods, CSRF ------------------------------------------------------------------------


@override_settings(FEEDBACK_RATE_LIMIT={"open": "100/h", "save": "3/h", "submit": "2/h"})
def test_a_flood_of_saves_from_one_address_is_refused(
    client: Client, invitation: Invitation
) -> None:
    url = link(invitation, save=True)
    for n in range(3):
        ok = client.post(url, {"keys": "nps", "q-nps": str(n)}, REMOTE_ADDR="203.0.113.7")
        assert ok.status_code == 200
    refused = client.post(url, {"keys": "nps", "q-nps": "9"}, REMOTE_ADDR="203.0.113.7")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "detail" in refused.json()
    assert stored(Response.objects.get(invitation=invitation)) == {"nps": 2}
    # Another address is not held back by the first one's flood.
    other = client.post(url, {"keys": "nps", "q-nps": "7"}, REMOTE_ADDR="198.51.100.4")
    assert other.status_code == 200


@override_settings(
    FEEDBACK_RATE_LIMIT={"open": "100/h", "save": "2/h", "submit": "2/h"},
    CLIENT_IP_HEADER="X-Real-IP",
)
def test_behind_a_proxy_the_configured_header_names_the_client(
    client: Client, invitation: Invitation
) -> None:
    url = link(invitation, save=True)
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    for n in range(2):
        sent = client.post(
            url, {"keys": "nps", "q-nps": str(n)}, HTTP_X_REAL_IP="203.0.113.7", **proxy
        )
        assert sent.status_code == 200
    flooded = client.post(url, {"keys": "nps", "q-nps": "9"}, HTTP_X_REAL_IP="203.0.113.7", **proxy)
    assert flooded.status_code == 429
    # Another customer behind the same proxy keeps their own allowance.
    other = client.post(url, {"keys": "nps", "q-nps": "7"}, HTTP_X_REAL_IP="198.51.100.4", **proxy)
    assert other.status_code == 200
    # Without the setting, a header the client sent itself is not believed: a new made-up
    # address per request does not buy a new allowance.
    with override_settings(CLIENT_IP_HEADER=""):
        codes = [
            client.post(
                url, {"keys": "nps", "q-nps": "8"}, HTTP_X_REAL_IP=f"192.0.2.{n}", **proxy
            ).status_code
            for n in range(3)
        ]
    assert codes == [200, 200, 429]


@override_settings(FEEDBACK_RATE_LIMIT={"open": "100/h", "save": "100/h", "submit": "2/h"})
def test_a_flood_of_submits_gets_a_polite_429_page(client: Client, invitation: Invitation) -> None:
    for _ in range(2):
        refused = client.post(link(invitation), {"q-nps": "99"}, REMOTE_ADDR="203.0.113.9")
        assert refused.status_code == 422
    flood = client.post(link(invitation) + "?lang=en", FORM, REMOTE_ADDR="203.0.113.9")

    assert flood.status_code == 429
    assert "Too many attempts" in flood.content.decode()
    assert not Response.objects.filter(submitted_at__isnull=False).exists()


@override_settings(FEEDBACK_RATE_LIMIT={"open": "2/h", "save": "100/h", "submit": "100/h"})
def test_a_flood_of_views_of_the_public_link_is_refused(
    client: Client, users: dict[str, Any]
) -> None:
    survey = make_survey(users["manager"], public_enabled=True)
    url = reverse("feedback:public", args=[survey.public_slug])

    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(url, REMOTE_ADDR="198.51.100.5").status_code == 200
    assert not Response.objects.exists()  # looking creates nothing


def test_a_filled_honeypot_pretends_success_and_stores_nothing(
    client: Client, invitation: Invitation, users: dict[str, Any]
) -> None:
    bot = client.post(link(invitation), {**FORM, "website": "http://spam.example"})
    assert bot.status_code == 200
    assert "سپاس از وقتی که گذاشتید" in bot.content.decode()
    saved = client.post(link(invitation, save=True), {"q-nps": "1", "website": "x"})
    assert saved.status_code == 200
    assert saved.json()["saved"] == ["nps"]

    assert not Answer.objects.exists()
    assert not Response.objects.filter(submitted_at__isnull=False).exists()
    invitation.refresh_from_db()
    assert invitation.completed_at is None

    public = make_survey(users["manager"], public_enabled=True)
    url = reverse("feedback:public", args=[public.public_slug])
    assert client.post(url, {**FORM, "website": "x"}).status_code == 200
    assert not Response.objects.filter(survey=public).exists()


def test_csrf_protection_stays_on(invitation: Invitation) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(link(invitation), FORM).status_code == 403
    assert browser.post(link(invitation, save=True), {"q-nps": "5"}).status_code == 403
    assert not Answer.objects.exists()

    html = browser.get(link(invitation)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    # The script sends the form's token in the X-CSRFToken header.
    saved = browser.post(link(invitation, save=True), {"q-nps": "5"}, HTTP_X_CSRFTOKEN=token)
    assert saved.status_code == 200
    assert browser.post(link(invitation), {**FORM, "csrfmiddlewaretoken": token}).status_code == 200


# --- The public link (QR code) -----------------------------------------------------------------


def test_each_browser_keeps_its_own_public_response_until_it_sends_it(
    users: dict[str, Any],
) -> None:
    survey = make_survey(users["manager"], public_enabled=True)
    url = reverse("feedback:public", args=[survey.public_slug])
    save = reverse("feedback:public_save", args=[survey.public_slug])
    first, second = Client(), Client()

    opened = first.get(url)
    cookie = opened.cookies["mehvar_answer"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == url
    second.get(url)
    assert first.post(save, {"keys": "nps", "q-nps": "9"}).status_code == 200
    assert second.post(save, {"keys": "nps", "q-nps": "4"}).status_code == 200
    assert first.post(save, {"keys": "csat", "q-csat": "5"}).status_code == 200

    responses = Response.objects.filter(survey=survey)
    assert responses.count() == 2
    assert sorted(stored(r)["nps"] for r in responses) == [4, 9]
    assert all(r.customer_id is None and r.public_key for r in responses)
    assert checked(first.get(url).content.decode(), "q-nps") == ["9"]
    assert checked(second.get(url).content.decode(), "q-nps") == ["4"]

    sent = first.post(url, FORM)
    assert sent.status_code == 200
    assert sent.cookies["mehvar_answer"]["max-age"] == 0  # forgotten: the next person starts afresh
    assert 'href="' + url + '"' in sent.content.decode()  # "answer again"
    mine = Response.objects.get(survey=survey, submitted_at__isnull=False)
    assert stored(mine) == STORED

    fresh = first.get(url).content.decode()
    assert checked(fresh, "q-nps") == []
    first.post(save, {"keys": "nps", "q-nps": "1"})
    assert Response.objects.filter(survey=survey).count() == 3
    mine.refresh_from_db()
    assert mine.nps == 3  # the sent response was not touched


def test_the_next_person_at_a_shop_tablet_can_start_over(users: dict[str, Any]) -> None:
    survey = make_survey(users["manager"], public_enabled=True)
    url = reverse("feedback:public", args=[survey.public_slug])
    save = reverse("feedback:public_save", args=[survey.public_slug])
    tablet = Client()
    assert 'id="start-over"' not in tablet.get(url).content.decode()  # nothing to drop yet
    tablet.post(save, {"keys": "nps", "q-nps": "2"})  # someone walked away half-way

    page = tablet.get(url).content.decode()
    assert checked(page, "q-nps") == ["2"]
    assert f'href="{url}?fresh=1"' in page
    fresh = tablet.get(url + "?fresh=1")
    assert checked(fresh.content.decode(), "q-nps") == []
    tablet.post(save, {"keys": "nps", "q-nps": "10"})
    answers = sorted(stored(r)["nps"] for r in Response.objects.filter(survey=survey))
    assert answers == [2, 10]  # the abandoned half-answer stays apart, as a partial response


def test_a_tampered_public_cookie_starts_afresh(users: dict[str, Any]) -> None:
    survey = make_survey(users["manager"], public_enabled=True)
    url = reverse("feedback:public", args=[survey.public_slug])
    save = reverse("feedback:public_save", args=[survey.public_slug])
    first = Client()
    first.post(save, {"keys": "nps", "q-nps": "9"})
    key = str(Response.objects.get(survey=survey).public_key)

    intruder = Client()
    intruder.cookies["mehvar_answer"] = key  # the raw key without a valid signature
    assert checked(intruder.get(url).content.decode(), "q-nps") == []
    intruder.post(save, {"keys": "nps", "q-nps": "0"})
    assert stored(Response.objects.get(public_key=key)) == {"nps": 9}


def test_a_public_link_answers_only_while_enabled_and_open(users: dict[str, Any]) -> None:
    client = Client()
    hidden = make_survey(users["manager"], public_enabled=False)
    closed = make_survey(users["manager"], public_enabled=True)
    surveys.survey_set_status(actor=users["manager"], survey=closed, status="closed")

    not_public = client.get(reverse("feedback:public", args=[hidden.public_slug]) + "?lang=en")
    assert not_public.status_code == 404
    assert hidden.title_fa not in not_public.content.decode()
    page = client.get(reverse("feedback:public", args=[closed.public_slug]) + "?lang=en")
    assert page.status_code == 410
    assert "This survey is closed" in page.content.decode()
    save = client.post(reverse("feedback:public_save", args=[closed.public_slug]), {"q-nps": "1"})
    assert save.status_code == 410
    assert client.get(reverse("feedback:public", args=["no-such-survey"])).status_code == 404
    assert not Response.objects.exists()


# --- Language, accessibility, weight, headers --------------------------------------------------


def test_persian_by_default_and_english_on_request(client: Client, invitation: Invitation) -> None:
    persian = client.get(link(invitation)).content.decode()
    assert '<html lang="fa" dir="rtl">' in persian
    assert "چقدر ما را توصیه می‌کنید؟" in persian
    assert '<label for="q-nps-10">۱۰</label>' in persian  # Persian digits on the buttons

    english = client.get(link(invitation) + "?lang=en").content.decode()
    assert '<html lang="en" dir="ltr">' in english
    assert "Recommend?" in english
    assert "Free gift wrapping" in english
    assert '<label for="q-nps-10">10</label>' in english
    assert "I can live with it" in english
    assert "After-sales quality" in english
    assert 'action="' + link(invitation) + '?lang=en"' in english


def test_english_is_offered_only_for_a_survey_written_in_english(
    client: Client, users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"], [{**QUESTIONS[0], "text_en": ""}])
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=make_customer(), channel="sms"
    )
    page = client.get(link(invitation) + "?lang=en").content.decode()
    assert '<html lang="fa" dir="rtl">' in page
    assert 'hreflang="en"' not in page


def test_every_input_has_a_label_and_every_question_a_legend(
    client: Client, invitation: Invitation
) -> None:
    html = client.get(link(invitation)).content.decode()
    ids = re.findall(r'<input type="(?:radio|checkbox)"[^>]*id="([^"]+)"', html)
    assert len(ids) == 11 + 5 + 7 + 2 * 5 + 6 * 5 + 2 + 3
    for input_id in ids:
        assert f'<label for="{input_id}">' in html
    assert html.count("<legend id=") == len(QUESTIONS)
    assert 'aria-labelledby="q-why-legend"' in html


def test_the_page_is_light_and_safe(client: Client, invitation: Invitation) -> None:
    page = client.get(link(invitation))
    html = page.content.decode()

    assert page["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "no-store" in page["Cache-Control"]
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [re.search(r'<script src="[^"]+feedback-answer\.js" defer>', html).group(0)]  # type: ignore[union-attr]
    assert not re.search(r"\son[a-z]+=", html)  # no inline handlers
    assert "style=" not in html
    for heavy in ("bootstrap", "htmx", "chart"):
        assert heavy not in html.lower()
    assert len(page.content) < 40_000


def test_question_texts_are_escaped(
    client: Client, users: dict[str, Any], make_customer: Any
) -> None:
    payload = '<img src=x onerror="alert(1)">'
    survey = make_survey(
        users["manager"],
        [
            {
                "key": "pick",
                "kind": "single",
                "text_fa": payload,
                "choices": [{"value": "a", "fa": payload}, {"value": "b", "fa": "ب"}],
            }
        ],
    )
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=make_customer(), channel="sms"
    )
    html = client.get(link(invitation)).content.decode()
    assert payload not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
