"""Reads behind the staff pages: survey lists, responses, follow-ups and the feedback wall.

Selectors only (STYLE rule 1): nothing here writes. Every employee may read what customers said
(seed 003), so these take filters, not a viewer, except the follow-up list, whose "mine" is
the viewer's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from django.db.models import Count, Q, QuerySet
from django.utils import timezone, translation

from mehvar.core.models import User
from mehvar.feedback.answers import KANO_ANSWER_LABELS, QUALITY_SCALE, SCALES
from mehvar.feedback.models import (
    QUALITY_DIMENSIONS,
    Answer,
    Comment,
    CommentSource,
    FollowUp,
    FollowUpReason,
    FollowUpStatus,
    Question,
    QuestionKind,
    Response,
    Survey,
)

RESPONSE_STATES: Final = ("submitted", "partial", "all")


def _english() -> bool:
    return (translation.get_language() or "fa").startswith("en")


def pick(fa: str, en: str) -> str:
    """The English wording on an English page when there is one, else the Persian."""
    return en if en and _english() else fa


# --- Surveys -------------------------------------------------------------------------------


def survey_list() -> QuerySet[Survey]:
    """Every survey, newest first, with how many questions and answers it has."""
    return Survey.objects.annotate(
        question_count=Count("questions", distinct=True),
        response_count=Count(
            "responses", filter=Q(responses__submitted_at__isnull=False), distinct=True
        ),
        invitation_count=Count("invitations", distinct=True),
    ).order_by("-created_at", "-id")


def survey_questions(survey: Survey) -> list[Question]:
    return list(survey.questions.order_by("position", "id"))


def answered_keys(survey: Survey) -> set[str]:
    """Keys of the questions somebody answered: the builder locks their type."""
    return set(
        Answer.objects.filter(question__survey=survey).values_list("question__key", flat=True)
    )


def survey_counts(survey: Survey) -> dict[str, int]:
    responses = Response.objects.filter(survey=survey)
    return {
        "invited": survey.invitations.count(),
        "submitted": responses.filter(submitted_at__isnull=False).count(),
        "partial": responses.filter(submitted_at__isnull=True).count(),
    }


def responses_of(survey: Survey, *, state: str = "submitted") -> QuerySet[Response]:
    """A survey's responses: submitted ones (newest first), partial ones, or all."""
    responses = Response.objects.filter(survey=survey).select_related("customer", "follow_up")
    if state == "submitted":
        return responses.filter(submitted_at__isnull=False).order_by("-submitted_at", "-id")
    if state == "partial":
        return responses.filter(submitted_at__isnull=True).order_by("-started_at", "-id")
    return responses.order_by("-started_at", "-id")


# --- One response, readable ----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerRow:
    """A question and its answer as a person reads them: ``parts`` are (label, value) lines."""

    question: Question
    text: str
    answered: bool
    parts: list[tuple[str, str]] = field(default_factory=list)


def _scale(value: Any, high: int) -> str:
    return f"{value} / {high}"


def _choice_label(question: Question, value: Any) -> str:
    for choice in question.choices:
        if isinstance(choice, Mapping) and str(choice.get("value")) == str(value):
            return pick(str(choice.get("fa") or value), str(choice.get("en") or ""))
    return str(value)


def answer_parts(question: Question, value: Any) -> list[tuple[str, str]]:
    """The readable lines of one stored answer (see ``answers.py`` for the shapes)."""
    kind = question.kind
    if kind in SCALES:
        return [("", _scale(value, SCALES[kind][1]))]
    if kind == QuestionKind.KANO and isinstance(value, Mapping):
        labels = {answer.value: str(label) for answer, label in KANO_ANSWER_LABELS}
        return [
            (
                pick(question.text_fa, question.text_en),
                labels.get(str(value.get("functional")), ""),
            ),
            (
                pick(question.alt_text_fa, question.alt_text_en),
                labels.get(str(value.get("dysfunctional")), ""),
            ),
        ]
    if kind == QuestionKind.QUALITY and isinstance(value, Mapping):
        return [
            (pick(fa, en), _scale(value[code], QUALITY_SCALE[1]))
            for code, fa, en in QUALITY_DIMENSIONS
            if code in value
        ]
    if kind == QuestionKind.SINGLE:
        return [("", _choice_label(question, value))]
    if kind == QuestionKind.MULTIPLE and isinstance(value, list):
        return [("", _choice_label(question, item)) for item in value]
    return [("", str(value))]


def answer_rows(response: Response) -> list[AnswerRow]:
    """Every question of the response's survey, in order, with its answer (if any)."""
    values = {a.question_id: a.value for a in Answer.objects.filter(response=response)}
    rows = []
    for question in survey_questions(response.survey):
        value = values.get(question.pk)
        answered = question.pk in values and value is not None
        rows.append(
            AnswerRow(
                question=question,
                text=pick(question.text_fa, question.text_en)
                if question.kind != QuestionKind.KANO
                else pick(question.feature_fa, question.feature_en) or question.text_fa,
                answered=answered,
                parts=answer_parts(question, value) if answered else [],
            )
        )
    return rows


# --- Follow-ups ----------------------------------------------------------------------------


def follow_ups_for(user: User, scope: str, *, now: datetime | None = None) -> QuerySet[FollowUp]:
    """Follow-ups to work: the viewer's own open ones, all open ones, the overdue ones, or all."""
    now = now or timezone.now()
    follow_ups = FollowUp.objects.select_related(
        "customer", "assignee", "response__survey", "comment"
    ).order_by("due_at", "id")
    unresolved = follow_ups.exclude(status=FollowUpStatus.RESOLVED)
    if scope == "mine":
        return unresolved.filter(assignee=user)
    if scope == "open":
        return unresolved
    if scope == "overdue":
        return unresolved.filter(due_at__lt=now)
    return follow_ups.order_by("-created_at", "-id")


def reason_labels(codes: list[str]) -> list[str]:
    """Why a follow-up was opened, in the reader's language."""
    labels = dict(FollowUpReason.choices)
    return [str(labels.get(code, code)) for code in codes]


def is_overdue(follow_up: FollowUp, *, now: datetime | None = None) -> bool:
    return follow_up.status != FollowUpStatus.RESOLVED and follow_up.due_at < (
        now or timezone.now()
    )


# --- The feedback wall ---------------------------------------------------------------------


# The wall's default: what customers wrote themselves (survey answers, imported comments), not
# the notes and call logs staff wrote about them — those are one choice away.
CUSTOMER_WORDS = "customer"


def wall_comments(
    *, sentiment: str = "", source: str = "", survey: Survey | None = None
) -> QuerySet[Comment]:
    """Customers' latest words, newest first. ``sentiment`` filters on the label the company
    believes: a person's correction, else the model's reading."""
    comments = Comment.objects.select_related("customer", "survey").order_by("-occurred_at", "-id")
    if sentiment:
        comments = comments.filter(
            Q(corrected=sentiment) | Q(corrected__isnull=True, sentiment=sentiment)
        )
    if source == CUSTOMER_WORDS:
        comments = comments.filter(source__in=(CommentSource.SURVEY, CommentSource.IMPORT))
    elif source:
        comments = comments.filter(source=source)
    if survey is not None:
        comments = comments.filter(survey=survey)
    return comments


@dataclass(frozen=True)
class CustomerVoice:
    """What one customer told us, for their page."""

    answered: int
    latest: list[Response]
    follow_ups: list[FollowUp]
    comments: list[Comment]


def customer_voice(customer_id: int, *, shown: int = 3) -> CustomerVoice:
    """Four small queries, whatever the customer's history."""
    answered = Response.objects.filter(customer_id=customer_id, submitted_at__isnull=False)
    return CustomerVoice(
        answered=answered.count(),
        latest=list(answered.select_related("survey").order_by("-submitted_at")[:shown]),
        follow_ups=list(
            FollowUp.objects.filter(customer_id=customer_id)
            .exclude(status=FollowUpStatus.RESOLVED)
            .select_related("assignee")
            .order_by("due_at")[:shown]
        ),
        comments=list(
            Comment.objects.filter(
                customer_id=customer_id, source__in=(CommentSource.SURVEY, CommentSource.IMPORT)
            ).order_by("-occurred_at", "-id")[:shown]
        ),
    )
