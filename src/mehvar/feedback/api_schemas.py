"""What the feedback API accepts and returns, beyond the survey shape in ``schemas.py``.

The survey body is ``schemas.SurveyIn`` itself (one shape for the builder page and the API),
made strict at the top level for the API: an unknown field is refused, and ids are bounded to
64 bits so that no lookup reaches the database with a number it would refuse with a 500.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, field_validator

from mehvar.customers.schemas import Id, In
from mehvar.feedback.models import FollowUpStatus
from mehvar.feedback.schemas import SurveyIn

SurveyStatusValue = Literal["draft", "active", "closed"]
ChannelValue = Literal["sms", "email", "link"]
FollowUpStatusValue = Literal["open", "contacted", "resolved"]
SentimentValue = Literal["positive", "neutral", "negative"]
CommentSourceValue = Literal["survey", "note", "call", "import"]


def _is_control(char: str) -> bool:
    return char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs")


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL (also inside JSON) and lone surrogates with an error, not a message.
    if any(_is_control(char) for char in value):
        raise ValueError("Control characters are not allowed.")
    return value


def control_character_errors(data: Any, path: str = "") -> dict[str, Any]:
    """Every string in ``data`` (a dumped body) holding a control character, keyed like the
    API's other errors ("questions[2].choices[1].fa")."""
    errors: dict[str, Any] = {}
    if isinstance(data, str):
        if any(_is_control(char) for char in data):
            errors[path or "__all__"] = _("Control characters are not allowed.")
    elif isinstance(data, Mapping):
        for key, value in data.items():
            errors.update(control_character_errors(value, f"{path}.{key}" if path else str(key)))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data, start=1):
            errors.update(control_character_errors(value, f"{path}[{index}]"))
    return errors


Text4000 = Annotated[str, Field(max_length=4000), AfterValidator(_printable)]


# --- surveys --------------------------------------------------------------------------------
class SurveyBody(SurveyIn):
    """A whole survey: its settings and ordered questions (``PUT`` replaces them all)."""

    model_config = ConfigDict(extra="forbid")

    product_id: Id | None = None

    @field_validator("questions", mode="before")
    @classmethod
    def _no_condition(cls, questions: Any) -> Any:
        # A question without a condition is read back with ``"show_if": {}``; take that as "none"
        # too, so that a client can send back what it read.
        if not isinstance(questions, list):
            return questions
        return [
            {**q, "show_if": None} if isinstance(q, Mapping) and q.get("show_if") == {} else q
            for q in questions
        ]


class SurveyStatusIn(In):
    status: SurveyStatusValue


class SurveySummaryOut(Schema):
    id: int
    title_fa: str
    title_en: str
    status: str
    touchpoint: str
    department: str
    product_id: int | None
    public_enabled: bool
    link_days: int
    questions: int = Field(description="How many questions it asks.")
    responses: int = Field(description="How many responses were submitted.")
    created_at: datetime

    @staticmethod
    def resolve_questions(obj: Any) -> int:
        return int(obj.question_count)

    @staticmethod
    def resolve_responses(obj: Any) -> int:
        return int(obj.response_count)


class SurveyQuery(Schema):
    status: SurveyStatusValue | None = None


# --- invitations ----------------------------------------------------------------------------
class InvitationIn(In):
    customer_id: Id
    channel: ChannelValue = "sms"


class InvitationRowOut(Schema):
    id: int
    survey_id: int
    customer_id: int
    channel: str
    created_at: datetime
    expires_at: datetime
    opened_at: datetime | None
    completed_at: datetime | None
    created_by_id: int | None


class InvitationOut(InvitationRowOut):
    url: str = Field(description="The personal single-use link, for the customer only.")


# --- responses ------------------------------------------------------------------------------
class ResponseQuery(Schema):
    submitted: bool | None = Field(
        None, description="true: submitted only; false: unfinished only."
    )


class ResponseOut(Schema):
    id: int
    survey_id: int
    customer_id: int | None
    invitation_id: int | None
    language: str
    started_at: datetime
    submitted_at: datetime | None
    nps: int | None
    csat: int | None
    ces: int | None
    answers: dict[str, Any] = Field(description="Answer by question key; shapes per type.")

    @staticmethod
    def resolve_answers(obj: Any) -> dict[str, Any]:
        return {answer.question.key: answer.value for answer in obj.answers.all()}


# --- sending rules --------------------------------------------------------------------------
class TriggerRuleBody(In):
    event: Literal["order_delivered"] = "order_delivered"
    delay_days: int = Field(2, ge=0, le=365)
    channel: Literal["sms", "email"] = "sms"
    is_active: bool = True


class TriggerRuleOut(Schema):
    id: int
    survey_id: int
    event: str
    delay_days: int
    channel: str
    is_active: bool
    created_at: datetime


# --- follow-ups -----------------------------------------------------------------------------
class FollowUpQuery(Schema):
    status: FollowUpStatusValue | None = None
    mine: bool = Field(False, description="Only those assigned to you.")
    overdue: bool = Field(False, description="Only unresolved ones past their due time.")


class FollowUpPatch(In):
    status: FollowUpStatusValue | None = None
    resolution: Text4000 | None = Field(None, description="What was done.")
    assignee_id: Id | None = Field(None, description="Only leads and the service team.")


class FollowUpOut(Schema):
    id: int
    response_id: int | None
    comment_id: int | None
    customer_id: int | None
    reasons: list[str]
    assignee_id: int | None
    status: str
    due_at: datetime
    overdue: bool
    created_at: datetime
    contacted_at: datetime | None
    resolved_at: datetime | None
    resolution: str

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return bool(obj.status != FollowUpStatus.RESOLVED and obj.due_at < timezone.now())


# --- comments -------------------------------------------------------------------------------
class CommentQuery(Schema):
    sentiment: SentimentValue | None = Field(
        None, description="The effective label: a person's correction wins."
    )
    source: CommentSourceValue | None = None
    customer_id: Id | None = None
    survey_id: Id | None = None


class SentimentIn(In):
    label: SentimentValue


class CommentOut(Schema):
    id: int
    customer_id: int | None
    survey_id: int | None
    source: str
    text: str
    language: str
    label: str = Field(description="What the company believes: the correction, else the model.")
    sentiment: str = Field(description="The model's reading.")
    score: float
    corrected: str | None
    corrected_by_id: int | None
    corrected_at: datetime | None
    keywords: list[Any]
    occurred_at: datetime
