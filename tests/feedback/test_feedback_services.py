"""The feedback services: answers per type, branching, building, tokens, submitting, the loop."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail, signing
from django.utils import timezone

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.feedback import responding, surveys, tokens
from mehvar.feedback.answers import AnswerError, clean_answer
from mehvar.feedback.branching import is_asked
from mehvar.feedback.models import (
    FollowUp,
    FollowUpStatus,
    Invitation,
    Question,
    QuestionKind,
    Response,
)

pytestmark = pytest.mark.django_db

EVERY_TYPE: list[dict[str, Any]] = [
    {"key": "nps", "kind": "nps", "text_fa": "چقدر ما را توصیه می‌کنید؟", "text_en": "Recommend?"},
    {
        "key": "why",
        "kind": "text",
        "text_fa": "چرا؟",
        "required": False,
        "show_if": {"key": "nps", "op": "lte", "value": 6},
    },
    {"key": "csat", "kind": "csat", "text_fa": "چقدر راضی بودید؟"},
    {"key": "ces", "kind": "ces", "text_fa": "کارتان چقدر آسان انجام شد؟", "required": False},
    {
        "key": "wrap",
        "kind": "kano",
        "text_fa": "اگر کادوپیچی رایگان باشد؟",
        "alt_text_fa": "اگر کادوپیچی رایگان نباشد؟",
        "feature_fa": "کادوپیچی رایگان",
        "required": False,
    },
    {"key": "quality", "kind": "quality", "text_fa": "کیفیت را نمره دهید", "required": False},
    {
        "key": "branch",
        "kind": "single",
        "text_fa": "کدام شعبه؟",
        "choices": [{"value": "north", "fa": "شمال"}, {"value": "south", "fa": "جنوب"}],
        "required": False,
    },
    {
        "key": "heard",
        "kind": "multiple",
        "text_fa": "از کجا شنیدید؟",
        "choices": [
            {"value": "sms", "fa": "پیامک"},
            {"value": "friend", "fa": "دوستان"},
            {"value": "web", "fa": "وب"},
        ],
        "required": False,
    },
]


def make_survey(actor: Any, questions: list[dict[str, Any]] | None = None, **extra: Any) -> Any:
    data = {"title_fa": "نظرسنجی پس از خرید", "questions": questions or EVERY_TYPE, **extra}
    survey = surveys.survey_save(actor=actor, data=data)
    return surveys.survey_set_status(actor=actor, survey=survey, status="active")


def invite(survey: Any, customer: Any, actor: Any) -> Invitation:
    return responding.invitation_create(
        actor=actor, survey=survey, customer=customer, channel="sms"
    )


def question(kind: str, **extra: Any) -> Question:
    return Question(key="q", kind=kind, text_fa="?", **extra)


# --- answers ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "raw", "stored"),
    [
        ("nps", "۹", 9),
        ("nps", "٠", 0),
        ("nps", 10, 10),
        ("csat", "5", 5),
        ("ces", "۷", 7),
        ("text", "  خیلی خوب بود  ", "خیلی خوب بود"),
        (
            "kano",
            {"functional": "like", "dysfunctional": "dislike"},
            {"functional": "like", "dysfunctional": "dislike"},
        ),
    ],
)
def test_valid_answers_are_stored_in_their_types_shape(kind: str, raw: Any, stored: Any) -> None:
    assert clean_answer(question(kind), raw) == stored


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        ("nps", "11"),
        ("nps", "-1"),
        ("nps", True),
        ("csat", "0"),
        ("ces", "8"),
        ("nps", "نه"),
        ("kano", {"functional": "like"}),
        ("kano", {"functional": "love", "dysfunctional": "dislike"}),
        ("text", "x" * 2001),
    ],
)
def test_invalid_answers_are_refused_with_a_message(kind: str, raw: Any) -> None:
    with pytest.raises(AnswerError) as caught:
        clean_answer(question(kind), raw)
    assert str(caught.value.message)


def test_choice_answers_keep_the_questions_order_and_refuse_strangers() -> None:
    q = question("multiple", choices=[{"value": v, "fa": v} for v in ("a", "b", "c")])
    assert clean_answer(q, ["c", "a"]) == ["a", "c"]
    with pytest.raises(AnswerError):
        clean_answer(q, ["a", "z"])
    single = question("single", choices=[{"value": "1", "fa": "یک"}, {"value": "2", "fa": "دو"}])
    assert clean_answer(single, "۲") == "2"
    with pytest.raises(AnswerError):
        clean_answer(single, "3")


def test_the_quality_grid_needs_every_dimension_when_required() -> None:
    full = {"product": "5", "service": "4", "after_sales": "3", "flexibility": "2"}
    full |= {"competence": "1", "reliability": "۵"}
    assert clean_answer(question("quality", required=True), full)["reliability"] == 5
    with pytest.raises(AnswerError):
        clean_answer(question("quality", required=True), {"product": "5"})
    assert clean_answer(question("quality", required=False), {"product": "5"}) == {"product": 5}
    with pytest.raises(AnswerError):
        clean_answer(question("quality", required=False), {"product": "6"})


def test_empty_input_is_no_answer() -> None:
    assert clean_answer(question("nps"), "  ") is None
    assert clean_answer(question("multiple", choices=[]), []) is None


# --- branching ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "answers", "asked"),
    [
        ({"key": "nps", "op": "lte", "value": 6}, {"nps": 6}, True),
        ({"key": "nps", "op": "lte", "value": 6}, {"nps": 7}, False),
        ({"key": "nps", "op": "lte", "value": 6}, {}, False),
        ({"key": "nps", "op": "gte", "value": 9}, {"nps": 10}, True),
        ({"key": "b", "op": "eq", "value": "north"}, {"b": "south"}, False),
        ({"key": "h", "op": "in", "value": ["sms"]}, {"h": ["web", "sms"]}, True),
        ({"key": "h", "op": "answered"}, {"h": "x"}, True),
        ({}, {}, True),
    ],
)
def test_branching_rules(rule: dict[str, Any], answers: dict[str, Any], asked: bool) -> None:
    assert is_asked(rule, answers) is asked


# --- building -----------------------------------------------------------------------------------
def test_a_survey_with_every_type_round_trips(users: dict[str, Any]) -> None:
    survey = make_survey(users["marketing"])
    saved = list(survey.questions.values("key", "kind", "show_if", "choices", "required"))
    assert [q["key"] for q in saved] == [q["key"] for q in EVERY_TYPE]
    assert {q["kind"] for q in saved} == set(QuestionKind.values)
    assert saved[1]["show_if"] == {"key": "nps", "op": "lte", "value": 6}
    assert saved[6]["choices"][1] == {"value": "south", "fa": "جنوب", "en": ""}


@pytest.mark.parametrize(
    ("questions", "field"),
    [
        (
            [{"key": "k", "kind": "kano", "text_fa": "?", "feature_fa": "f"}],
            "questions[1].alt_text_fa",
        ),
        (
            [
                {"key": "a", "kind": "nps", "text_fa": "?"},
                {"key": "a", "kind": "csat", "text_fa": "?"},
            ],
            "questions[2].key",
        ),
        (
            [
                {
                    "key": "s",
                    "kind": "single",
                    "text_fa": "?",
                    "choices": [{"value": "1", "fa": "۱"}],
                }
            ],
            "questions[1].choices",
        ),
        (
            [
                {
                    "key": "w",
                    "kind": "text",
                    "text_fa": "?",
                    "show_if": {"key": "later", "op": "answered"},
                }
            ],
            "questions[1].show_if",
        ),
        ([{"key": "Bad Key", "kind": "nps", "text_fa": "?"}], "questions[1].key"),
        ([{"key": "x", "kind": "nope", "text_fa": "?"}], "questions[1].kind"),
    ],
)
def test_building_errors_name_the_field(
    users: dict[str, Any], questions: list[dict[str, Any]], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        surveys.survey_save(actor=users["manager"], data={"title_fa": "ن", "questions": questions})
    assert field in caught.value.errors


def test_only_survey_managers_build(users: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        surveys.survey_save(actor=users["sales"], data={"title_fa": "ن"})


def test_answered_questions_cannot_be_dropped_or_retyped(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"])
    response = responding.response_for_invitation(invite(survey, make_customer(), users["sales"]))
    responding.answers_save(response=response, raw={"nps": "8"})
    without_nps = [q for q in EVERY_TYPE if q["key"] not in ("nps", "why")]
    with pytest.raises(ValidationFailed):
        surveys.survey_save(
            actor=users["manager"], survey=survey, data={"title_fa": "ن", "questions": without_nps}
        )
    retyped = [{**q, "kind": "csat"} if q["key"] == "nps" else q for q in EVERY_TYPE]
    with pytest.raises(ValidationFailed) as caught:
        surveys.survey_save(
            actor=users["manager"], survey=survey, data={"title_fa": "ن", "questions": retyped}
        )
    assert "questions[1].kind" in caught.value.errors
    reworded = [{**q, "text_fa": "تغییر"} if q["key"] == "nps" else q for q in EVERY_TYPE]
    surveys.survey_save(
        actor=users["manager"], survey=survey, data={"title_fa": "ن", "questions": reworded}
    )
    assert survey.questions.get(key="nps").text_fa == "تغییر"
    assert response.answers.get().value == 8


# --- tokens -------------------------------------------------------------------------------------
def test_a_token_opens_its_invitation_once(users: dict[str, Any], make_customer: Any) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    invitation = invite(survey, make_customer(), users["sales"])
    token = tokens.token_for(invitation)
    assert tokens.invitation_for(token) == (tokens.LinkState.VALID, invitation)
    response = responding.response_for_invitation(invitation)
    responding.answers_save(response=response, raw={"nps": "9"}, submit=True)
    assert tokens.invitation_for(token)[0] == tokens.LinkState.USED


def test_forged_and_foreign_tokens_are_invalid(users: dict[str, Any], make_customer: Any) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    invitation = invite(survey, make_customer(), users["sales"])
    token = tokens.token_for(invitation)
    assert len(token) <= 40  # it travels in an SMS
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    pk36, nonce, signature = token.split(".")
    other_pk = f"{int(pk36, 36) + 1:x}.{nonce}.{signature}"
    django_signed = signing.dumps([invitation.pk, invitation.nonce], salt=tokens.SALT)
    for bad in (tampered, other_pk, django_signed, f"{pk36}.{nonce}", "", "x", "a.b.c.d"):
        assert tokens.invitation_for(bad) == (tokens.LinkState.INVALID, None)


def test_expired_and_closed_links(users: dict[str, Any], make_customer: Any) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    invitation = invite(survey, make_customer(), users["sales"])
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert tokens.invitation_for(tokens.token_for(invitation))[0] == tokens.LinkState.EXPIRED
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() + timedelta(days=1)
    )
    surveys.survey_set_status(actor=users["manager"], survey=survey, status="closed")
    assert tokens.invitation_for(tokens.token_for(invitation))[0] == tokens.LinkState.CLOSED


# --- inviting -----------------------------------------------------------------------------------
def test_an_invitation_is_on_the_timeline_with_its_link(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    customer = make_customer()
    invitation = invite(survey, customer, users["sales"])
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.SURVEY_INVITED)
    assert event.data["url"] == responding.invitation_url(invitation)
    assert event.data["url"].endswith(f"/s/{tokens.token_for(invitation)}/")
    assert event.actor == users["sales"]


def test_no_invitation_without_consent_or_address(
    users: dict[str, Any], make_customer: Any
) -> None:
    from mehvar.customers.services import consent_set

    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    customer = make_customer()
    consent_set(
        actor=users["admin"], customer=customer, channel="sms", status="withdrawn", source="staff"
    )
    with pytest.raises(ServiceError) as caught:
        invite(survey, customer, users["sales"])
    assert caught.value.code == ErrorCode.CONSENT_LOCKED
    with pytest.raises(ValidationFailed):
        responding.invitation_create(
            actor=users["sales"], survey=survey, customer=customer, channel="email"
        )
    assert not Invitation.objects.exists()


# --- submitting ---------------------------------------------------------------------------------
def answer(
    survey: Any, customer: Any, actor: Any, raw: dict[str, Any], submit: bool = True
) -> Response:
    response = responding.response_for_invitation(invite(survey, customer, actor))
    response, errors = responding.answers_save(response=response, raw=raw, submit=submit)
    assert errors == {}
    return response


def test_submit_copies_scores_and_writes_the_timeline(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"])
    customer = make_customer()
    response = answer(survey, customer, users["sales"], {"nps": "10", "csat": "4", "ces": "2"})
    response.refresh_from_db()
    assert (response.nps, response.csat, response.ces) == (10, 4, 2)
    assert response.invitation is not None
    assert response.invitation.completed_at == response.submitted_at
    event = TimelineEvent.objects.get(customer=customer, kind=EventKind.SURVEY_ANSWERED)
    assert event.data == {"nps": 10, "csat": 4, "ces": 2, "survey": survey.pk}
    assert not FollowUp.objects.exists()  # a promoter needs no call back


def test_required_questions_are_only_those_branching_asks(
    users: dict[str, Any], make_customer: Any
) -> None:
    why_required = [EVERY_TYPE[0], {**EVERY_TYPE[1], "required": True}]
    survey = make_survey(users["manager"], why_required)
    response = responding.response_for_invitation(invite(survey, make_customer(), users["sales"]))
    responding.answers_save(response=response, raw={"nps": "3"})
    with pytest.raises(ValidationFailed) as caught:
        responding.response_submit(response=response)
    assert set(caught.value.errors) == {"why"}
    # Changing the score to a promoter's drops the question, and its earlier answer with it.
    responding.answers_save(response=response, raw={"why": "دیر رسید"})
    responding.answers_save(response=response, raw={"nps": "9"}, submit=True)
    assert list(response.answers.values_list("question__key", flat=True)) == ["nps"]


def test_partial_answers_are_kept_and_invalid_ones_reported(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"])
    response = responding.response_for_invitation(invite(survey, make_customer(), users["sales"]))
    response, errors = responding.answers_save(
        response=response, raw={"nps": "۸", "csat": "9", "ces": "3"}, submit=True
    )
    assert set(errors) == {"csat"}
    assert response.submitted_at is None
    assert dict(response.answers.values_list("question__key", "value")) == {"nps": 8, "ces": 3}


def test_a_detractor_opens_exactly_one_follow_up_even_when_sent_twice(
    users: dict[str, Any], make_customer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0], EVERY_TYPE[2]])
    customer = make_customer(owner=users["sales2"])
    response = responding.response_for_invitation(invite(survey, customer, users["sales"]))
    with django_capture_on_commit_callbacks(execute=True):
        responding.answers_save(response=response, raw={"nps": "2", "csat": "1"}, submit=True)
    with pytest.raises(ServiceError) as caught:
        responding.answers_save(response=response, raw={"nps": "2", "csat": "1"}, submit=True)
    assert caught.value.code == ErrorCode.CONFLICT
    with pytest.raises(ServiceError):
        responding.response_submit(response=response)
    follow_up = FollowUp.objects.get()
    assert follow_up.reasons == ["detractor", "low_csat"]
    assert follow_up.assignee == users["sales2"]  # the customer's owner
    assert follow_up.status == FollowUpStatus.OPEN
    assert follow_up.due_at > timezone.now()
    assert follow_up.alerted_at is not None
    assert (
        TimelineEvent.objects.filter(customer=customer, kind=EventKind.FOLLOW_UP_OPENED).count()
        == 1
    )


def test_an_unowned_customers_follow_up_goes_to_the_service_team(
    users: dict[str, Any], make_customer: Any, make_user: Any
) -> None:
    make_user("service", username="service2", email="s2@example.com")
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    first = answer(survey, make_customer(), users["admin"], {"nps": "0"})
    second = answer(survey, make_customer(), users["admin"], {"nps": "1"})
    assignees = {first.follow_up.assignee.username, second.follow_up.assignee.username}
    assert assignees == {"service", "service2"}  # the one with fewer open follow-ups first


def test_the_assignee_is_alerted_once(
    users: dict[str, Any], make_customer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from mehvar.feedback.loop import follow_up_alert

    users["service"].email = "service@example.com"
    users["service"].save()
    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    with django_capture_on_commit_callbacks(execute=True):
        follow_up = answer(survey, make_customer(), users["admin"], {"nps": "4"}).follow_up
    assert [m.to for m in mail.outbox] == [["service@example.com"]]
    assert f"/feedback/follow-ups/{follow_up.pk}/" in mail.outbox[0].body
    assert follow_up_alert(follow_up.pk) is False
    assert len(mail.outbox) == 1


def test_the_loop_moves_to_contacted_and_resolved(
    users: dict[str, Any], make_customer: Any
) -> None:
    from mehvar.feedback.loop import follow_up_update

    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    customer = make_customer(owner=users["sales"])
    follow_up = answer(survey, customer, users["sales"], {"nps": "5"}).follow_up
    with pytest.raises(PermissionDenied):
        follow_up_update(actor=users["sales2"], follow_up=follow_up, status="contacted")
    follow_up = follow_up_update(actor=users["sales"], follow_up=follow_up, status="contacted")
    assert follow_up.contacted_at is not None
    with pytest.raises(ValidationFailed):
        follow_up_update(actor=users["sales"], follow_up=follow_up, status="resolved")
    follow_up = follow_up_update(
        actor=users["sales"], follow_up=follow_up, status="resolved", resolution="کد تخفیف دادیم"
    )
    assert follow_up.status == FollowUpStatus.RESOLVED
    assert follow_up.resolved_at is not None
    kinds = TimelineEvent.objects.filter(customer=customer, kind=EventKind.FOLLOW_UP_UPDATED)
    assert kinds.count() == 2
    # The service team may take over another's follow-up; a sales colleague may not.
    follow_up = follow_up_update(
        actor=users["service"], follow_up=follow_up, status="open", assignee=users["service"]
    )
    assert (follow_up.status, follow_up.assignee, follow_up.resolved_at) == (
        "open",
        users["service"],
        None,
    )


# --- triggers -----------------------------------------------------------------------------------
def test_a_rule_invites_once_some_days_after_delivery(
    users: dict[str, Any], make_customer: Any
) -> None:
    from mehvar.customers.models import Order
    from mehvar.customers.orders import LineInput, order_create, order_set_status
    from mehvar.feedback.triggers import triggers_run

    survey = make_survey(users["manager"], [EVERY_TYPE[0]])
    rule = surveys.trigger_rule_save(
        actor=users["manager"], survey=survey, data={"delay_days": 2, "channel": "sms"}
    )
    rule.created_at = timezone.now() - timedelta(days=30)
    rule.save()
    customers = [make_customer() for _ in range(3)]
    orders = []
    for number, customer in enumerate(customers):
        order = order_create(
            actor=users["admin"],
            customer=customer,
            number=f"T-{number}",
            lines=[LineInput(description="کالا", quantity=1, unit_price=1000)],
        )
        orders.append(order_set_status(actor=users["admin"], order=order, status="delivered"))
    Order.objects.filter(pk=orders[0].pk).update(delivered_at=timezone.now() - timedelta(days=3))
    Order.objects.filter(pk=orders[1].pk).update(delivered_at=timezone.now() - timedelta(days=1))
    Order.objects.filter(pk=orders[2].pk).update(delivered_at=timezone.now() - timedelta(days=40))
    report = triggers_run()
    assert report.invited == 1
    assert list(Invitation.objects.values_list("customer", "trigger_key")) == [
        (customers[0].pk, f"rule:{rule.pk}:order:{orders[0].pk}")
    ]
    assert triggers_run().invited == 0  # a rerun finds the key taken
    assert Invitation.objects.count() == 1


def test_a_chain_of_follow_up_questions_collapses_with_its_first_link(
    users: dict[str, Any], make_customer: Any
) -> None:
    chain = [
        EVERY_TYPE[0],
        {**EVERY_TYPE[1], "required": False},
        {
            "key": "more",
            "kind": "text",
            "text_fa": "بیشتر بگویید",
            "show_if": {"key": "why", "op": "answered"},
        },
    ]
    survey = make_survey(users["manager"], chain)
    response = responding.response_for_invitation(invite(survey, make_customer(), users["sales"]))
    responding.answers_save(response=response, raw={"nps": "2", "why": "دیر رسید"})
    # Raising the score drops "why"; "more" (required, asked only after "why") goes with it.
    responding.answers_save(response=response, raw={"nps": "10"}, submit=True)
    assert list(response.answers.values_list("question__key", flat=True)) == ["nps"]


def test_only_recent_negative_imported_comments_open_a_follow_up(
    users: dict[str, Any], make_customer: Any
) -> None:
    from mehvar.feedback.voice import ImportedComment, comments_import

    customer = make_customer()
    now = timezone.now()
    comments_import(
        actor=users["manager"],
        rows=[
            ImportedComment(customer, "سفارشم خراب رسید و کسی جواب نداد", now, "r1"),
            ImportedComment(customer, "جنس تقلبی بود، خیلی بد", now - timedelta(days=60), "r2"),
            ImportedComment(customer, "عالی بود، ممنونم", now, "r3"),
        ],
    )
    follow_up = FollowUp.objects.get()
    assert follow_up.comment is not None
    assert follow_up.comment.ref_id == "r1"
    assert follow_up.reasons == ["negative_comment"]


def test_a_refused_submit_keeps_the_answers_that_were_fine(
    users: dict[str, Any], make_customer: Any
) -> None:
    survey = make_survey(users["manager"], [EVERY_TYPE[0], EVERY_TYPE[2]])
    response = responding.response_for_invitation(invite(survey, make_customer(), users["sales"]))
    response, errors = responding.answers_save(response=response, raw={"nps": "7"}, submit=True)
    assert set(errors) == {"csat"}  # required, not answered
    assert response.submitted_at is None
    assert dict(response.answers.values_list("question__key", "value")) == {"nps": 7}


def test_the_notes_sweep_reads_a_note_that_committed_late(
    users: dict[str, Any], make_customer: Any
) -> None:
    from mehvar.customers.models import Note
    from mehvar.customers.services import note_add
    from mehvar.feedback.models import Comment
    from mehvar.feedback.voice import staff_words_sweep

    customer = make_customer()
    first = note_add(actor=users["sales"], customer=customer, body="مشتری از تاخیر ناراضی بود")
    second = note_add(actor=users["sales"], customer=customer, body="قرار شد فردا تماس بگیریم")
    # As if the first note's transaction committed after the sweep had read the second one.
    staff_words_sweep()
    Comment.objects.filter(ref_type="customers.note", ref_id=str(first.pk)).delete()
    assert staff_words_sweep() == 1
    assert staff_words_sweep() == 0  # nothing is read twice
    read = Comment.objects.filter(ref_type="customers.note").values_list("ref_id", flat=True)
    assert sorted(read) == sorted([str(first.pk), str(second.pk)])
    assert Note.objects.count() == 2


def test_the_customer_page_shows_what_the_customer_told_us(
    users: dict[str, Any], make_customer: Any, client: Any
) -> None:
    from django.urls import reverse

    from mehvar.feedback.models import Comment

    survey = make_survey(users["manager"], [EVERY_TYPE[0], EVERY_TYPE[2]])
    customer = make_customer(owner=users["sales"])
    other = make_customer()
    answer(survey, customer, users["sales"], {"nps": "4", "csat": "2"})
    answer(survey, other, users["sales"], {"nps": "10", "csat": "5"})
    Comment.objects.create(
        customer=customer,
        source="survey",
        ref_type="test",
        ref_id="1",
        text="<b>ارسال</b> خیلی دیر بود",
        sentiment="negative",
    )
    client.force_login(users["service"])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    card = page[page.index('id="customer-voice"') :]
    card = card[: card.index("</section>")]
    assert "NPS 4" in card
    assert "NPS 10" not in card  # another customer's answer
    assert "Follow-up" in card
    assert "&lt;b&gt;ارسال&lt;/b&gt;" in card
    assert 'data-sentiment="negative"' in card


def test_a_kano_only_survey_is_not_reported_as_having_no_answers(
    users: dict[str, Any], make_customer: Any, client: Any
) -> None:
    from django.urls import reverse

    elsewhere = make_survey(users["manager"], [EVERY_TYPE[0]])
    answer(elsewhere, make_customer(), users["sales"], {"nps": "9"})  # the app has answers
    survey = make_survey(users["manager"], [{**EVERY_TYPE[4], "required": True}])
    url = reverse("feedback:dashboard") + f"?survey={survey.pk}"
    client.force_login(users["manager"])
    assert 'id="no-answers-match"' in client.get(url).content.decode()
    pair = {"functional": "like", "dysfunctional": "dislike"}
    answer(survey, make_customer(), users["sales"], {"wrap": pair})
    assert 'id="no-answers-match"' not in client.get(url).content.decode()
