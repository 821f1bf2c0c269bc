"""The shape of a survey as the builder page and the API send it (one schema for both).

A survey is saved whole: its settings and its ordered questions. Validation that needs more than
one field (unique keys, a branching rule pointing back, enough choices) lives in
``surveys.survey_save`` so that every interface gets the same per-field messages.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import Field, StringConstraints, field_validator

from mehvar.core.persian import normalize_text, to_latin_digits
from mehvar.feedback.branching import ShowIf
from mehvar.feedback.models import QuestionKind, TriggerEvent

Short = Annotated[str, StringConstraints(max_length=200)]
Long = Annotated[str, StringConstraints(max_length=500)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


def _clean(value: Any) -> Any:
    return normalize_text(value) if isinstance(value, str) else value


class ChoiceIn(Schema):
    value: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    fa: Short
    en: Short = ""

    @field_validator("value", mode="before")
    @classmethod
    def _latin(cls, value: Any) -> Any:
        return to_latin_digits(str(value)).strip() if value is not None else value

    @field_validator("fa", "en", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _clean(value)


class QuestionIn(Schema):
    key: Key
    kind: QuestionKind
    text_fa: Long
    text_en: Long = ""
    alt_text_fa: Long = ""
    alt_text_en: Long = ""
    feature_fa: Short = ""
    feature_en: Short = ""
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=30)
    required: bool = True
    show_if: ShowIf | None = None

    @field_validator(
        "text_fa", "text_en", "alt_text_fa", "alt_text_en", "feature_fa", "feature_en",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _clean(value)


class SurveyIn(Schema):
    title_fa: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    title_en: Short = ""
    intro_fa: Annotated[str, StringConstraints(max_length=2000)] = ""
    intro_en: Annotated[str, StringConstraints(max_length=2000)] = ""
    thanks_fa: Annotated[str, StringConstraints(max_length=2000)] = ""
    thanks_en: Annotated[str, StringConstraints(max_length=2000)] = ""
    touchpoint: Annotated[str, StringConstraints(max_length=100)] = ""
    department: str = ""
    product_id: int | None = None
    public_enabled: bool = False
    link_days: int = Field(default=14, ge=1, le=365)
    questions: list[QuestionIn] = Field(default_factory=list, max_length=60)

    @field_validator("title_fa", "title_en", "touchpoint", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return _clean(value)


class QuestionOut(Schema):
    id: int
    key: str
    position: int
    kind: str
    text_fa: str
    text_en: str
    alt_text_fa: str
    alt_text_en: str
    feature_fa: str
    feature_en: str
    choices: list[dict[str, Any]]
    required: bool
    show_if: dict[str, Any]


class SurveyOut(Schema):
    id: int
    title_fa: str
    title_en: str
    intro_fa: str
    intro_en: str
    thanks_fa: str
    thanks_en: str
    status: str
    touchpoint: str
    department: str
    product_id: int | None
    public_enabled: bool
    public_url: str | None = None
    link_days: int
    created_at: datetime
    questions: list[QuestionOut]


class TriggerRuleIn(Schema):
    event: TriggerEvent = TriggerEvent.ORDER_DELIVERED
    delay_days: int = Field(default=2, ge=0, le=365)
    channel: str = "sms"
    is_active: bool = True
