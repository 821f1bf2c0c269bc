"""The feedback API: surveys (build, replace, open, copy, delete), invitations, responses, rules."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mehvar.core.models import User
from mehvar.customers.merge import customer_merge
from mehvar.customers.models import Customer
from mehvar.customers.services import consent_set
from mehvar.feedback.models import Invitation, Question, Response, Survey, TriggerRule
from mehvar.feedback.responding import answers_save, invitation_create, response_for_invitation
from mehvar.feedback.surveys import survey_save, survey_set_status

pytestmark = pytest.mark.django_db

Api = Callable[[str], Any]


def _question(key: str, kind: str, text_fa: str, **extra: Any) -> dict[str, Any]:
    """A question as the API returns it: every field present, defaults filled."""
    return {
        "key": key,
        "kind": kind,
        "text_fa": text_fa,
        "text_en": "",
        "alt_text_fa": "",
        "alt_text_en": "",
        "feature_fa": "",
        "feature_en": "",
        "choices": [],
        "required": True,
        "show_if": {},
    } | extra


EVERY_TYPE: dict[str, Any] = {
    "title_fa": "نظرسنجی پس از خرید",
    "title_en": "After your purchase",
    "intro_fa": "چند پرسش کوتاه",
    "intro_en": "A few short questions",
    "thanks_fa": "سپاس از وقتی که گذاشتید",
    "thanks_en": "Thank you",
    "touchpoint": "delivery",
    "department": "sales",
    "product_id": None,
    "public_enabled": True,
    "link_days": 7,
    "questions": [
        _question("nps", "nps", "چقدر ما را به دوستانتان پیشنهاد می‌کنید؟", text_en="Recommend?"),
        _question(
            "why",
            "text",
            "چه چیزی را بهتر کنیم؟",
            required=False,
            show_if={"key": "nps", "op": "lte", "value": 6},
        ),
        _question("csat", "csat", "از خرید راضی بودید؟"),
        _question("ces", "ces", "کارتان چقدر آسان انجام شد؟", required=False),
        _question(
            "delivery",
            "kano",
            "اگر ارسال رایگان باشد چه حسی دارید؟",
            alt_text_fa="اگر ارسال رایگان نباشد چه حسی دارید؟",
            feature_fa="ارسال رایگان",
            feature_en="Free delivery",
        ),
        _question("quality", "quality", "کیفیت ما را در هر بعد ارزیابی کنید"),
        _question(
            "channel",
            "single",
            "از کجا خرید کردید؟",
            choices=[
                {"value": "shop", "fa": "فروشگاه", "en": "Shop"},
                {"value": "web", "fa": "سایت", "en": ""},
            ],
        ),
        _question(
            "liked",
            "multiple",
            "چه چیزهایی را پسندیدید؟",
            required=False,
            choices=[
                {"value": "price", "fa": "قیمت", "en": "Price"},
                {"value": "staff", "fa": "برخورد کارکنان", "en": "Staff"},
                {"value": "speed", "fa": "سرعت", "en": "Speed"},
            ],
            show_if={"key": "channel", "op": "in", "value": ["shop"]},
        ),
    ],
}

SIMPLE: dict[str, Any] = {
    "title_fa": "رضایت مشتری",
    "questions": [
        {"key": "nps", "kind": "nps", "text_fa": "پیشنهاد می‌کنید؟"},
        {"key": "csat", "kind": "csat", "text_fa": "راضی بودید؟", "required": False},
    ],
}


def _without_ids(survey: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(survey)
    for name in ("id", "status", "created_at", "public_url"):
        body.pop(name)
    for position, question in enumerate(body["questions"]):
        assert question.pop("position") == position
        question.pop("id")
    return body


def _make_survey(actor: User, data: dict[str, Any] = SIMPLE, *, active: bool = True) -> Survey:
    survey = survey_save(actor=actor, data=data)
    if active:
        survey = survey_set_status(actor=actor, survey=survey, status="active")
    return survey


def _answer(survey: Survey, customer: Customer, raw: dict[str, Any], *, submit: bool) -> Response:
    invitation = invitation_create(actor=None, survey=survey, customer=customer, channel="link")
    response, errors = answers_save(
        response=response_for_invitation(invitation), raw=raw, submit=submit
    )
    assert errors == {}
    return response


@pytest.fixture
def survey(users: dict[str, User]) -> Survey:
    return _make_survey(users["manager"])


# --- building -------------------------------------------------------------------------------
def test_a_survey_of_every_question_type_round_trips(as_role: Api) -> None:
    created = as_role("marketing").post("/surveys", EVERY_TYPE)
    assert created.status_code == 201, created.content
    survey = Survey.objects.get()
    assert created.json()["id"] == survey.pk
    assert created.json()["status"] == "draft"

    fetched = as_role("sales").get(f"/surveys/{survey.pk}").json()

    assert fetched == created.json()
    assert fetched["public_url"] == f"{settings.PUBLIC_URL}/q/{survey.public_slug}/"
    expected = copy.deepcopy(EVERY_TYPE)
    assert _without_ids(fetched) == expected
    assert [q["kind"] for q in fetched["questions"]] == [
        "nps", "text", "csat", "ces", "kano", "quality", "single", "multiple",
    ]  # fmt: skip
    # What was read can be sent back as it is (``"show_if": {}`` means no condition).
    replaced = as_role("marketing").request("PUT", f"/surveys/{survey.pk}", _without_ids(fetched))
    assert replaced.status_code == 200, replaced.content
    assert replaced.json() == fetched | {"created_at": replaced.json()["created_at"]}


def test_texts_are_normalised_and_the_public_link_is_shown_only_when_enabled(
    as_role: Api,
) -> None:
    body = {
        "title_fa": "  نظر  شما\u200c ",
        "questions": [{"key": "q1", "kind": "nps", "text_fa": "پيشنهاد مي‌كنيد؟ ۱۰"}],
    }
    created = as_role("manager").post("/surveys", body).json()
    assert created["title_fa"] == "نظر شما"
    assert created["questions"][0]["text_fa"] == "پیشنهاد می‌کنید؟ 10"
    assert created["public_url"] is None


def test_a_kano_pair_needs_its_dysfunctional_question(as_role: Api) -> None:
    body = {
        "title_fa": "کانو",
        "questions": [
            {"key": "nps", "kind": "nps", "text_fa": "پیشنهاد؟"},
            {"key": "gift", "kind": "kano", "text_fa": "اگر هدیه بدهیم؟", "feature_fa": "هدیه"},
        ],
    }
    response = as_role("admin").post("/surveys", body)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["questions[2].alt_text_fa"]
    assert "dysfunctional" in response.json()["errors"]["questions[2].alt_text_fa"]
    assert not Survey.objects.exists()


def test_two_questions_may_not_share_a_key(as_role: Api) -> None:
    body = {
        "title_fa": "تکراری",
        "questions": [
            {"key": "q1", "kind": "nps", "text_fa": "یک"},
            {"key": "q2", "kind": "csat", "text_fa": "دو"},
            {"key": "q1", "kind": "ces", "text_fa": "سه"},
        ],
    }
    response = as_role("admin").post("/surveys", body)
    assert response.status_code == 422
    assert response.json()["errors"] == {
        "questions[3].key": "Two questions have the same key.",
    }
    assert not Survey.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"questions": [{"key": "Q 1", "kind": "nps", "text_fa": "یک"}]}, "questions[1].key"),
        ({"questions": [{"key": "q1", "kind": "stars", "text_fa": "یک"}]}, "questions[1].kind"),
        ({"link_days": 0}, "link_days"),
        ({"title_fa": ""}, "title_fa"),
        ({"status": "active"}, "status"),  # a new survey is a draft; status has its own call
        ({"created_by": 1}, "created_by"),
        ({"product_id": 2**70}, "product_id"),
    ],
)
def test_malformed_bodies_are_refused_per_field(
    change: dict[str, Any], field: str, as_role: Api
) -> None:
    response = as_role("admin").post("/surveys", SIMPLE | change)
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Survey.objects.exists()


def test_an_unknown_product_or_department_is_a_field_error(as_role: Api) -> None:
    response = as_role("admin").post(
        "/surveys", SIMPLE | {"product_id": 999_999, "department": "sky"}
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"product_id", "department"}


def test_control_characters_are_refused_where_they_are(as_role: Api) -> None:
    body = copy.deepcopy(SIMPLE)
    body["intro_fa"] = "سلام\x00"
    body["questions"][1]["show_if"] = {"key": "nps", "op": "eq", "value": "a\x00"}
    response = as_role("admin").post("/surveys", body)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"intro_fa", "questions[2].show_if.value"}
    assert not Survey.objects.exists()


def test_list_summarises_each_survey(
    survey: Survey, users: dict[str, User], make_customer: Callable[..., Customer], as_role: Api
) -> None:
    draft = _make_survey(users["manager"], SIMPLE | {"title_fa": "پیش‌نویس"}, active=False)
    _answer(survey, make_customer(), {"nps": 9}, submit=True)
    _answer(survey, make_customer(), {"nps": 4}, submit=False)  # unfinished: not counted

    body = as_role("sales").get("/surveys").json()

    assert body["count"] == 2
    assert [(s["id"], s["status"], s["questions"], s["responses"]) for s in body["items"]] == [
        (draft.pk, "draft", 2, 0),
        (survey.pk, "active", 2, 1),
    ]
    active = as_role("sales").get("/surveys", status="active").json()
    assert [s["id"] for s in active["items"]] == [survey.pk]
    assert as_role("sales").get("/surveys", sort="title").status_code == 422


def test_an_unknown_survey_is_404(as_role: Api) -> None:
    response = as_role("manager").get("/surveys/4242")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert as_role("manager").request("PUT", "/surveys/4242", SIMPLE).status_code == 404


def test_put_replaces_settings_and_questions(survey: Survey, as_role: Api) -> None:
    body = {
        "title_fa": "رضایت مشتری (ویرایش)",
        "link_days": 30,
        "questions": [
            {"key": "ces", "kind": "ces", "text_fa": "آسان بود؟"},
            {"key": "nps", "kind": "nps", "text_fa": "پیشنهاد می‌کنید؟ (نو)"},
        ],
    }
    response = as_role("marketing").request("PUT", f"/surveys/{survey.pk}", body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["title_fa"], data["link_days"], data["status"]) == (
        "رضایت مشتری (ویرایش)",
        30,
        "active",
    )
    assert [(q["key"], q["position"], q["text_fa"]) for q in data["questions"]] == [
        ("ces", 0, "آسان بود؟"),
        ("nps", 1, "پیشنهاد می‌کنید؟ (نو)"),
    ]
    assert list(Question.objects.filter(survey=survey).values_list("key", flat=True)) == [
        "ces",
        "nps",
    ]


def test_put_refuses_to_drop_or_retype_an_answered_question(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    _answer(survey, make_customer(), {"nps": 9, "csat": 5}, submit=True)
    dropped = SIMPLE | {"questions": [SIMPLE["questions"][0]]}

    response = as_role("manager").request("PUT", f"/surveys/{survey.pk}", dropped)

    assert response.status_code == 422
    message = response.json()["errors"]["questions"]
    assert "csat" in message
    assert "cannot be removed" in message
    retyped = copy.deepcopy(SIMPLE)
    retyped["questions"][1]["kind"] = "ces"
    response = as_role("manager").request("PUT", f"/surveys/{survey.pk}", retyped)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["questions[2].kind"]
    assert list(survey.questions.values_list("key", "kind")) == [("nps", "nps"), ("csat", "csat")]


def test_sales_may_read_but_not_build_surveys(survey: Survey, as_role: Api) -> None:
    assert as_role("sales").get(f"/surveys/{survey.pk}").status_code == 200
    response = as_role("sales").post("/surveys", SIMPLE)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    put = as_role("sales").request("PUT", f"/surveys/{survey.pk}", SIMPLE | {"title_fa": "x"})
    assert put.status_code == 403
    assert as_role("service").delete(f"/surveys/{survey.pk}").status_code == 403
    assert Survey.objects.get().title_fa == "رضایت مشتری"


def test_status_opens_and_closes_a_survey(users: dict[str, User], as_role: Api) -> None:
    survey = _make_survey(users["manager"], active=False)
    opened = as_role("marketing").post(f"/surveys/{survey.pk}/status", {"status": "active"})
    assert opened.status_code == 200
    assert opened.json()["status"] == "active"
    closed = as_role("marketing").post(f"/surveys/{survey.pk}/status", {"status": "closed"})
    assert closed.json()["status"] == "closed"
    survey.refresh_from_db()
    assert survey.status == "closed"
    bad = as_role("marketing").post(f"/surveys/{survey.pk}/status", {"status": "open"})
    assert bad.status_code == 422
    assert list(bad.json()["errors"]) == ["status"]


def test_a_survey_without_questions_cannot_be_opened(users: dict[str, User], as_role: Api) -> None:
    survey = _make_survey(users["manager"], {"title_fa": "خالی"}, active=False)
    response = as_role("manager").post(f"/surveys/{survey.pk}/status", {"status": "active"})
    assert response.status_code == 409  # the survey's state, not the input
    assert "question" in response.json()["detail"]
    survey.refresh_from_db()
    assert survey.status == "draft"


def test_copy_makes_a_draft_with_the_same_questions(survey: Survey, as_role: Api) -> None:
    response = as_role("manager").post(f"/surveys/{survey.pk}/copy")
    assert response.status_code == 201
    data = response.json()
    assert data["id"] != survey.pk
    assert data["status"] == "draft"
    assert data["title_fa"] == "رضایت مشتری (۲)"
    assert [q["key"] for q in data["questions"]] == ["nps", "csat"]
    assert Survey.objects.count() == 2


def test_delete_removes_an_unanswered_survey_and_refuses_an_answered_one(
    survey: Survey, users: dict[str, User], make_customer: Callable[..., Customer], as_role: Api
) -> None:
    spare = _make_survey(users["manager"], active=False)
    assert as_role("manager").delete(f"/surveys/{spare.pk}").status_code == 204
    assert not Survey.objects.filter(pk=spare.pk).exists()

    _answer(survey, make_customer(), {"nps": 10}, submit=True)
    response = as_role("manager").delete(f"/surveys/{survey.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Survey.objects.filter(pk=survey.pk).exists()


# --- invitations ----------------------------------------------------------------------------
def test_sales_invites_a_customer_with_a_personal_link(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    customer = make_customer()
    before = timezone.now()

    response = as_role("sales").post(
        f"/surveys/{survey.pk}/invitations", {"customer_id": customer.pk, "channel": "sms"}
    )

    assert response.status_code == 201, response.content
    invitation = Invitation.objects.get()
    data = response.json()
    assert (data["id"], data["customer_id"], data["channel"]) == (invitation.pk, customer.pk, "sms")
    assert data["url"].startswith(f"{settings.PUBLIC_URL}/s/")
    assert invitation.created_by.username == "sales"
    expires = invitation.expires_at
    assert before + timedelta(days=14) <= expires <= timezone.now() + timedelta(days=14)
    assert customer.timeline_events.filter(kind="survey_invited").count() == 1


def test_customer_id_may_be_written_in_persian_digits(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    customer = make_customer()
    persian = str(customer.pk).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = as_role("sales").post(
        f"/surveys/{survey.pk}/invitations", {"customer_id": persian, "channel": "link"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["customer_id"] == customer.pk


def test_the_same_idempotency_key_invites_once(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    customer = make_customer()
    client = as_role("sales")
    key = {"Idempotency-Key": "invite-once-1"}
    body = {"customer_id": customer.pk, "channel": "sms"}

    first = client.post(f"/surveys/{survey.pk}/invitations", body, headers=key)
    second = client.post(f"/surveys/{survey.pk}/invitations", body, headers=key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert Invitation.objects.count() == 1
    third = client.post(f"/surveys/{survey.pk}/invitations", body)
    assert third.status_code == 201
    assert Invitation.objects.count() == 2


def test_invitation_refusals(
    survey: Survey,
    users: dict[str, User],
    make_customer: Callable[..., Customer],
    as_role: Api,
) -> None:
    client = as_role("sales")
    url = f"/surveys/{survey.pk}/invitations"
    no_email = make_customer()
    missing = client.post(url, {"customer_id": no_email.pk, "channel": "email"})
    assert missing.status_code == 422
    assert list(missing.json()["errors"]) == ["channel"]

    withdrawn = make_customer()
    consent_set(
        actor=users["admin"], customer=withdrawn, channel="sms", status="withdrawn", source="staff"
    )
    locked = client.post(url, {"customer_id": withdrawn.pk, "channel": "sms"})
    assert locked.status_code == 409
    assert locked.json()["code"] == "consent_locked"

    assert client.post(url, {"customer_id": 987654, "channel": "sms"}).status_code == 404
    source, target = make_customer(), make_customer()
    customer_merge(actor=users["admin"], source=source, target=target)
    merged = client.post(url, {"customer_id": source.pk, "channel": "link"})
    assert merged.status_code == 404
    assert f"#{target.pk}" in merged.json()["detail"]

    draft = _make_survey(users["manager"], active=False)
    closed = client.post(
        f"/surveys/{draft.pk}/invitations", {"customer_id": target.pk, "channel": "sms"}
    )
    assert closed.status_code == 409
    assert closed.json()["code"] == "conflict"
    assert not Invitation.objects.exists()


def test_invitations_are_listed_per_survey_without_their_links(
    survey: Survey, users: dict[str, User], make_customer: Callable[..., Customer], as_role: Api
) -> None:
    other = _make_survey(users["manager"])
    mine = [
        invitation_create(
            actor=users["sales"], survey=survey, customer=make_customer(), channel="sms"
        )
        for _ in range(3)
    ]
    invitation_create(actor=users["sales"], survey=other, customer=make_customer(), channel="sms")

    body = as_role("service").get(f"/surveys/{survey.pk}/invitations", page_size=2).json()

    assert body["count"] == 3
    assert [i["id"] for i in body["items"]] == [mine[2].pk, mine[1].pk]
    assert "url" not in body["items"][0]
    assert body["items"][0]["opened_at"] is None


# --- responses ------------------------------------------------------------------------------
def test_responses_list_answers_by_key_and_filter_by_submission(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    alice, bob = make_customer(), make_customer()
    done = _answer(survey, alice, {"nps": "۹", "csat": 4}, submit=True)
    partial = _answer(survey, bob, {"nps": 3}, submit=False)

    body = as_role("sales").get(f"/surveys/{survey.pk}/responses").json()

    assert body["count"] == 2
    by_id = {r["id"]: r for r in body["items"]}
    assert by_id[done.pk]["answers"] == {"nps": 9, "csat": 4}
    assert (by_id[done.pk]["nps"], by_id[done.pk]["csat"], by_id[done.pk]["ces"]) == (9, 4, None)
    assert by_id[done.pk]["customer_id"] == alice.pk
    assert by_id[done.pk]["submitted_at"] is not None
    assert by_id[partial.pk]["answers"] == {"nps": 3}
    assert by_id[partial.pk]["submitted_at"] is None
    assert by_id[partial.pk]["nps"] is None

    submitted = as_role("sales").get(f"/surveys/{survey.pk}/responses", submitted="true").json()
    assert [r["id"] for r in submitted["items"]] == [done.pk]
    unfinished = as_role("sales").get(f"/surveys/{survey.pk}/responses", submitted="false")
    assert [r["id"] for r in unfinished.json()["items"]] == [partial.pk]
    assert as_role("sales").get(f"/surveys/{survey.pk}/responses", q="x").status_code == 422


def test_listing_responses_reads_their_answers_in_a_fixed_number_of_queries(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    client = as_role("sales")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/surveys/{survey.pk}/responses").status_code == 200
        return len(captured)

    _answer(survey, make_customer(), {"nps": 9, "csat": 5}, submit=True)
    queries()  # the token's first use is recorded once
    few = queries()
    for score in range(5):
        _answer(survey, make_customer(), {"nps": score, "csat": 2}, submit=True)
    assert queries() == few


def test_response_detail(
    survey: Survey, make_customer: Callable[..., Customer], as_role: Api
) -> None:
    response = _answer(survey, make_customer(), {"nps": 10}, submit=True)
    body = as_role("marketing").get(f"/responses/{response.pk}").json()
    assert body["id"] == response.pk
    assert body["survey_id"] == survey.pk
    assert body["answers"] == {"nps": 10}
    assert body["invitation_id"] == response.invitation_id
    assert as_role("marketing").get("/responses/999999").status_code == 404


# --- sending rules --------------------------------------------------------------------------
def test_rules_are_added_listed_and_deleted(survey: Survey, as_role: Api) -> None:
    created = as_role("marketing").post(
        f"/surveys/{survey.pk}/rules", {"delay_days": 3, "channel": "email"}
    )
    assert created.status_code == 201, created.content
    rule = TriggerRule.objects.get()
    assert created.json() == {
        "id": rule.pk,
        "survey_id": survey.pk,
        "event": "order_delivered",
        "delay_days": 3,
        "channel": "email",
        "is_active": True,
        "created_at": created.json()["created_at"],
    }
    listed = as_role("sales").get(f"/surveys/{survey.pk}/rules").json()
    assert [r["id"] for r in listed] == [rule.pk]

    assert as_role("sales").delete(f"/rules/{rule.pk}").status_code == 403
    assert as_role("marketing").delete(f"/rules/{rule.pk}").status_code == 204
    assert not TriggerRule.objects.exists()
    assert as_role("marketing").delete(f"/rules/{rule.pk}").status_code == 404


def test_a_rule_cannot_send_a_link_by_hand_or_be_added_by_sales(
    survey: Survey, as_role: Api
) -> None:
    link = as_role("manager").post(f"/surveys/{survey.pk}/rules", {"channel": "link"})
    assert link.status_code == 422
    assert list(link.json()["errors"]) == ["channel"]
    denied = as_role("sales").post(f"/surveys/{survey.pk}/rules", {})
    assert denied.status_code == 403
    assert not TriggerRule.objects.exists()
