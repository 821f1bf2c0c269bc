"""The survey staff pages: who may see and do what, sending links, the QR code, sending rules,
and responses shown in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import responding, surveys
from mehvar.feedback.models import Invitation, Survey, SurveyStatus, TriggerRule

pytestmark = pytest.mark.django_db

ALL_ROLES = ["admin", "manager", "sales", "marketing", "service"]
MANAGERS = {"admin", "manager", "marketing"}


def login(client: Client, user: Any) -> Client:
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


QUESTIONS = [
    {"key": "q1", "kind": "nps", "text_fa": "ما را پیشنهاد می‌کنید؟"},
    {"key": "sat", "kind": "csat", "text_fa": "راضی بودید؟"},
    {
        "key": "feature",
        "kind": "kano",
        "text_fa": "اگر باشد؟",
        "text_en": "If it is there?",
        "alt_text_fa": "اگر نباشد؟",
        "alt_text_en": "If it is not?",
        "feature_fa": "ارسال رایگان",
        "feature_en": "Free delivery",
    },
    {"key": "grid", "kind": "quality", "text_fa": "کیفیت", "required": False},
    {
        "key": "branch",
        "kind": "single",
        "text_fa": "کدام شعبه؟",
        "choices": [{"value": "n", "fa": "شمال", "en": "North"}, {"value": "s", "fa": "جنوب"}],
    },
    {
        "key": "likes",
        "kind": "multiple",
        "text_fa": "چه چیزهایی؟",
        "required": False,
        "choices": [
            {"value": "p", "fa": "قیمت", "en": "Price"},
            {"value": "q", "fa": "سرعت تحویل"},
        ],
    },
]


@pytest.fixture
def survey(users: dict[str, Any]) -> Survey:
    made = surveys.survey_save(
        actor=users["marketing"],
        data={"title_fa": "نظرسنجی خرید", "title_en": "Purchase", "questions": QUESTIONS},
    )
    return surveys.survey_set_status(actor=users["marketing"], survey=made, status="active")


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_role_sees_the_list_the_survey_and_the_invite_page(
    role: str, users: dict[str, Any], client: Client, survey: Survey
) -> None:
    login(client, users[role])
    listing = client.get(reverse("feedback:survey_list"))
    detail = client.get(reverse("feedback:survey_detail", args=[survey.pk]))
    invite = client.get(reverse("feedback:survey_invite", args=[survey.pk]))

    assert (listing.status_code, detail.status_code, invite.status_code) == (200, 200, 200)
    assert "نظرسنجی خرید" in body(listing)
    edit_link = reverse("feedback:survey_edit", args=[survey.pk])
    assert (edit_link in body(detail)) is (role in MANAGERS)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_managers_and_marketing_build_surveys(
    role: str, users: dict[str, Any], client: Client, survey: Survey
) -> None:
    login(client, users[role])
    pages = [
        client.get(reverse("feedback:survey_new")),
        client.get(reverse("feedback:survey_edit", args=[survey.pk])),
        client.get(reverse("feedback:survey_rules", args=[survey.pk])),
    ]
    assert [page.status_code for page in pages] == [200 if role in MANAGERS else 403] * 3


def test_sales_cannot_change_a_survey_and_nothing_changes(
    users: dict[str, Any], client: Client, survey: Survey
) -> None:
    login(client, users["sales"])
    data = {"title_fa": "دزدیده", "link_days": "14", "questions-0-key": "q1"}
    answers = [
        client.post(reverse("feedback:survey_new"), data),
        client.post(reverse("feedback:survey_edit", args=[survey.pk]), data),
        client.post(reverse("feedback:survey_status", args=[survey.pk]), {"status": "closed"}),
        client.post(reverse("feedback:survey_copy", args=[survey.pk])),
        client.post(
            reverse("feedback:survey_rules", args=[survey.pk]),
            {"action": "add", "event": "order_delivered", "delay_days": "2", "channel": "sms"},
        ),
    ]

    assert [a.status_code for a in answers] == [403] * 5
    survey.refresh_from_db()
    assert (survey.title_fa, survey.status) == ("نظرسنجی خرید", SurveyStatus.ACTIVE)
    assert Survey.objects.count() == 1
    assert not TriggerRule.objects.exists()


def test_pages_need_a_login(client: Client, survey: Survey) -> None:
    response = client.get(reverse("feedback:survey_detail", args=[survey.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_missing_survey_is_404(users: dict[str, Any], client: Client) -> None:
    login(client, users["admin"])
    assert client.get(reverse("feedback:survey_detail", args=[999])).status_code == 404
    assert client.get(reverse("feedback:survey_invite", args=[999])).status_code == 404


def test_status_copy_and_refusal(users: dict[str, Any], client: Client) -> None:
    login(client, users["marketing"])
    empty = surveys.survey_save(actor=users["marketing"], data={"title_fa": "خالی"})
    refused = client.post(
        reverse("feedback:survey_status", args=[empty.pk]), {"status": "active"}, follow=True
    )
    empty.refresh_from_db()
    assert empty.status == SurveyStatus.DRAFT
    assert "Add at least one question before opening the survey." in body(refused)

    full = surveys.survey_save(
        actor=users["marketing"], data={"title_fa": "پر", "questions": QUESTIONS}
    )
    client.post(reverse("feedback:survey_status", args=[full.pk]), {"status": "active"})
    full.refresh_from_db()
    assert full.status == SurveyStatus.ACTIVE

    copied = client.post(reverse("feedback:survey_copy", args=[full.pk]))
    copy = Survey.objects.exclude(pk__in=[empty.pk, full.pk]).get()
    assert copied["Location"] == reverse("feedback:survey_edit", args=[copy.pk])
    assert (copy.status, copy.questions.count()) == (SurveyStatus.DRAFT, len(QUESTIONS))


def test_sales_invites_a_customer_and_sees_the_link(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(first_name="مریم", last_name="کریمی")
    login(client, users["sales"])
    form = client.get(
        reverse("feedback:survey_invite", args=[survey.pk]) + f"?customer={customer.pk}"
    )
    assert f'value="{customer.pk}" id="customer-{customer.pk}" checked' in body(form)

    response = client.post(
        reverse("feedback:survey_invite", args=[survey.pk]),
        {"customer": [customer.pk], "channel": "link"},
        follow=True,
    )

    invitation = Invitation.objects.get()
    url = responding.invitation_url(invitation)
    assert (invitation.customer, invitation.survey, invitation.channel) == (
        customer,
        survey,
        "link",
    )
    assert invitation.created_by == users["sales"]
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.SURVEY_INVITED)
    assert event.data["url"] == url
    assert response.status_code == 200
    assert f'value="{url}"' in body(response)


def test_customers_are_found_by_search(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    make_customer(first_name="ساناز", last_name="یگانه")
    make_customer(first_name="بهرام", last_name="نوری")
    login(client, users["service"])
    page = body(client.get(reverse("feedback:survey_invite", args=[survey.pk]) + "?q=ساناز"))
    assert "ساناز یگانه" in page
    assert "بهرام" not in page


def test_refused_invitations_are_listed_and_nothing_is_sent(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer()  # no email address
    login(client, users["sales"])
    response = client.post(
        reverse("feedback:survey_invite", args=[survey.pk]),
        {"customer": [customer.pk], "channel": "email"},
    )
    assert response.status_code == 422
    assert "This customer has no email address." in body(response)
    assert not Invitation.objects.exists()

    nobody = client.post(reverse("feedback:survey_invite", args=[survey.pk]), {"channel": "sms"})
    assert nobody.status_code == 422
    assert "Pick at least one customer." in body(nobody)


def test_a_closed_survey_is_not_sent(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    surveys.survey_set_status(actor=users["admin"], survey=survey, status="closed")
    customer = make_customer()
    login(client, users["sales"])
    response = client.post(
        reverse("feedback:survey_invite", args=[survey.pk]),
        {"customer": [customer.pk], "channel": "link"},
    )
    assert response.status_code == 422
    assert "Open the survey before sending it." in body(response)
    assert not Invitation.objects.exists()


def test_the_qr_code_is_svg_of_the_public_link(
    users: dict[str, Any], client: Client, survey: Survey
) -> None:
    login(client, users["sales"])
    url = reverse("feedback:survey_qr", args=[survey.pk])
    assert client.get(url).status_code == 404  # the public link is off

    Survey.objects.filter(pk=survey.pk).update(public_enabled=True)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")
    assert "max-age=3600" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    detail = body(client.get(reverse("feedback:survey_detail", args=[survey.pk])))
    survey.refresh_from_db()
    assert responding.public_url(survey) in detail
    assert f'src="{url}"' in detail


def test_rules_are_added_paused_and_deleted(
    users: dict[str, Any], client: Client, survey: Survey
) -> None:
    login(client, users["marketing"])
    url = reverse("feedback:survey_rules", args=[survey.pk])
    added = client.post(
        url,
        {
            "action": "add",
            "event": "order_delivered",
            "delay_days": "۳",
            "channel": "sms",
            "is_active": "on",
        },
    )
    rule = TriggerRule.objects.get()
    assert added.status_code == 302
    assert (rule.survey, rule.delay_days, rule.channel, rule.is_active) == (survey, 3, "sms", True)
    assert "3 days after" in body(client.get(url))

    client.post(url, {"action": "toggle", "rule": rule.pk})
    rule.refresh_from_db()
    assert rule.is_active is False

    bad = client.post(url, {"action": "add", "event": "order_delivered", "delay_days": "x"})
    assert bad.status_code == 422
    assert TriggerRule.objects.count() == 1

    other = surveys.survey_save(actor=users["marketing"], data={"title_fa": "دیگر"})
    wrong = client.post(
        reverse("feedback:survey_rules", args=[other.pk]), {"action": "delete", "rule": rule.pk}
    )
    assert wrong.status_code == 404
    client.post(url, {"action": "delete", "rule": rule.pk})
    assert not TriggerRule.objects.exists()


def _answered(survey: Survey, customer: Any, actor: Any, raw: dict[str, Any]) -> Any:
    invitation = responding.invitation_create(
        actor=actor, survey=survey, customer=customer, channel="link"
    )
    response = responding.response_for_invitation(invitation)
    return responding.answers_save(response=response, raw=raw, submit=True)[0]


def test_a_response_reads_in_words(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(first_name="نگار", last_name="امینی")
    response = _answered(
        survey,
        customer,
        users["sales"],
        {
            "q1": 9,
            "sat": 4,
            "feature": {"functional": "like", "dysfunctional": "dislike"},
            "grid": {"product": 5, "service": 3},
            "branch": "n",
            "likes": ["p", "q"],
        },
    )
    partial = responding.response_for_invitation(
        responding.invitation_create(
            actor=users["sales"], survey=survey, customer=make_customer(), channel="link"
        )
    )
    login(client, users["service"])

    listing = body(client.get(reverse("feedback:response_list", args=[survey.pk])))
    detail_url = reverse("feedback:response_detail", args=[response.pk])
    assert detail_url in listing
    assert reverse("feedback:response_detail", args=[partial.pk]) not in listing
    partial_list = body(
        client.get(reverse("feedback:response_list", args=[survey.pk]) + "?state=partial")
    )
    assert reverse("feedback:response_detail", args=[partial.pk]) in partial_list
    assert detail_url not in partial_list

    page = body(client.get(detail_url))
    assert reverse("customers:detail", args=[customer.pk]) in page
    assert "9 / 10" in page
    assert "4 / 5" in page
    assert "I like it" in page
    assert "I dislike it" in page
    assert "If it is not?" in page
    assert "Product quality" in page
    assert "5 / 5" in page
    assert "Service quality" in page
    assert "3 / 5" in page
    assert "North" in page
    assert "Price" in page
    assert "سرعت تحویل" in page


def test_a_detractor_response_links_its_follow_up(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    response = _answered(
        survey,
        make_customer(owner=users["sales"]),
        users["sales"],
        {
            "q1": 2,
            "sat": 1,
            "feature": {"functional": "like", "dysfunctional": "dislike"},
            "branch": "s",
        },
    )
    login(client, users["marketing"])
    page = body(client.get(reverse("feedback:response_detail", args=[response.pk])))
    assert reverse("feedback:follow_up", args=[response.follow_up.pk]) in page


def test_the_customer_page_offers_to_send_a_survey(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    customer = make_customer()
    login(client, users["sales"])
    page = body(client.get(reverse("customers:detail", args=[customer.pk])))
    link = reverse("feedback:survey_list") + f"?customer={customer.pk}"
    assert link in page

    listing = body(client.get(link))
    invite = reverse("feedback:survey_invite", args=[survey.pk]) + f"?customer={customer.pk}"
    assert invite in listing


def test_the_pages_render_in_persian(
    users: dict[str, Any], client: Client, survey: Survey, make_customer: Callable[..., Any]
) -> None:
    response = _answered(
        survey,
        make_customer(owner=users["sales"]),
        users["sales"],
        {
            "q1": 1,
            "sat": 2,
            "branch": "n",
            "feature": {"functional": "like", "dysfunctional": "must_be"},
        },
    )
    Survey.objects.filter(pk=survey.pk).update(public_enabled=True)
    client.cookies["django_language"] = "fa"
    client.force_login(users["manager"])
    urls = [
        reverse("feedback:survey_list"),
        reverse("feedback:survey_new"),
        reverse("feedback:survey_detail", args=[survey.pk]),
        reverse("feedback:survey_edit", args=[survey.pk]),
        reverse("feedback:survey_invite", args=[survey.pk]),
        reverse("feedback:survey_rules", args=[survey.pk]),
        reverse("feedback:response_list", args=[survey.pk]),
        reverse("feedback:response_detail", args=[response.pk]),
        reverse("feedback:follow_up_list") + "?scope=all",
        reverse("feedback:follow_up", args=[response.follow_up.pk]),
        reverse("feedback:wall"),
    ]
    pages = {url: client.get(url) for url in urls}
    assert {url: page.status_code for url, page in pages.items()} == dict.fromkeys(urls, 200)
    assert "۱ / ۱۰" in body(pages[reverse("feedback:response_detail", args=[response.pk])])
    assert 'dir="rtl"' in body(pages[reverse("feedback:survey_list")])
