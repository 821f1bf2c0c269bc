"""Building surveys: every write of a survey, its questions and its sending rules.

A survey is saved whole (settings + ordered questions) from :class:`schemas.SurveyIn`. Once
people have answered, the questions they answered keep their key and type: texts may be
reworded, questions added, but a question with answers is never dropped or changed into another
type (the answers would stop meaning anything). Close the survey and copy it instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError

from mehvar.core.errors import ErrorCode, ServiceError, ValidationFailed
from mehvar.core.models import Department, User
from mehvar.core.roles import Perm
from mehvar.customers.models import Product
from mehvar.customers.services import require
from mehvar.feedback.api_schemas import control_character_errors
from mehvar.feedback.models import (
    Answer,
    InvitationChannel,
    Question,
    QuestionKind,
    Survey,
    SurveyStatus,
    TriggerRule,
)
from mehvar.feedback.schemas import QuestionIn, SurveyIn, TriggerRuleIn

_CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE})

# pydantic's error types in the user's language; anything else falls back to "invalid".
_PYDANTIC_MESSAGES = {
    "missing": _("This field is required."),
    "string_too_short": _("This field is required."),
    "string_too_long": _("This is too long."),
    "string_pattern_mismatch": _(
        "Use lower-case Latin letters, digits and _ , starting with a letter."
    ),
    "enum": _("Pick one of the offered values."),
    "literal_error": _("Pick one of the offered values."),
    "too_long": _("There are too many items."),
    "greater_than_equal": _("This number is too small."),
    "less_than_equal": _("This number is too large."),
}


def field_errors(exc: ValidationError) -> dict[str, Any]:
    """pydantic's errors keyed like the API's ("questions[2].text_fa"), numbered from one."""
    errors: dict[str, Any] = {}
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += (
                f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if path else str(part))
            )
        errors.setdefault(path or "__all__", _PYDANTIC_MESSAGES.get(error["type"], _("Invalid.")))
    return errors


def parse_survey(data: SurveyIn | Mapping[str, Any]) -> SurveyIn:
    if not isinstance(data, SurveyIn):
        try:
            data = SurveyIn.model_validate(data)
        except ValidationError as exc:
            raise ValidationFailed(field_errors(exc)) from None
    # The builder posts raw fields: a NUL would reach PostgreSQL and fail there, not here.
    errors = control_character_errors(data.model_dump())
    if errors:
        raise ValidationFailed(errors)
    return data


def _question_errors(index: int, question: QuestionIn, earlier: list[str]) -> dict[str, Any]:
    at = f"questions[{index + 1}]"
    errors: dict[str, Any] = {}
    if not question.text_fa:
        errors[f"{at}.text_fa"] = _("Write the question in Persian.")
    if question.kind == QuestionKind.KANO:
        if not question.alt_text_fa:
            errors[f"{at}.alt_text_fa"] = _(
                "A Kano pair needs the dysfunctional question too (how would you feel without it?)."
            )
        if not question.feature_fa:
            errors[f"{at}.feature_fa"] = _("Name the feature this Kano pair is about.")
    if question.kind in _CHOICE_KINDS:
        values = [choice.value for choice in question.choices]
        if len(values) < 2:
            errors[f"{at}.choices"] = _("Offer at least two choices.")
        elif len(set(values)) != len(values):
            errors[f"{at}.choices"] = _("Two choices have the same value.")
        elif any(not choice.fa for choice in question.choices):
            errors[f"{at}.choices"] = _("Write every choice in Persian.")
    if question.show_if is not None and question.show_if.key not in earlier:
        errors[f"{at}.show_if"] = _("A condition can only refer to an earlier question.")
    return errors


def _validate(data: SurveyIn) -> None:
    errors: dict[str, Any] = {}
    keys: list[str] = []
    for index, question in enumerate(data.questions):
        if question.key in keys:
            errors[f"questions[{index + 1}].key"] = _("Two questions have the same key.")
        errors.update(_question_errors(index, question, keys))
        keys.append(question.key)
    if data.department and data.department not in Department.values:
        errors["department"] = _("Pick one of the offered values.")
    if data.product_id is not None and not Product.objects.filter(pk=data.product_id).exists():
        errors["product_id"] = _("There is no such product.")
    if errors:
        raise ValidationFailed(errors)


def _answered_keys(survey: Survey) -> dict[str, str]:
    """Key → type of the questions somebody has answered."""
    return dict(
        Question.objects.filter(survey=survey, answers__isnull=False)
        .values_list("key", "kind")
        .distinct()
    )


def _keep_answered(survey: Survey, data: SurveyIn) -> None:
    answered = _answered_keys(survey)
    new_kinds = {q.key: q.kind for q in data.questions}
    errors: dict[str, Any] = {}
    for key, kind in answered.items():
        if key not in new_kinds:
            errors["questions"] = _(
                "Question “%(key)s” has answers and cannot be removed; close the survey and "
                "copy it instead."
            ) % {"key": key}
        elif new_kinds[key] != kind:
            index = [q.key for q in data.questions].index(key)
            errors[f"questions[{index + 1}].kind"] = _(
                "This question has answers; its type cannot change."
            )
    if errors:
        raise ValidationFailed(errors)


_SETTINGS = (
    "title_fa", "title_en", "intro_fa", "intro_en", "thanks_fa", "thanks_en", "touchpoint",
    "department", "product_id", "public_enabled", "link_days",
)  # fmt: skip


@transaction.atomic
def survey_save(
    *, actor: User, data: SurveyIn | Mapping[str, Any], survey: Survey | None = None
) -> Survey:
    """Create a survey or replace an existing one's settings and questions."""
    require(actor, Perm.SURVEY_MANAGE)
    parsed = parse_survey(data)
    _validate(parsed)
    if survey is None:
        survey = Survey(created_by=actor)
    else:
        survey = Survey.objects.select_for_update().get(pk=survey.pk)
        _keep_answered(survey, parsed)
    for name in _SETTINGS:
        setattr(survey, name, getattr(parsed, name))
    survey.save()
    existing = {q.key: q for q in survey.questions.all()} if survey.pk else {}
    for position, item in enumerate(parsed.questions):
        question = existing.pop(item.key, None) or Question(survey=survey, key=item.key)
        question.position = position
        question.kind = item.kind
        for name in ("text_fa", "text_en", "alt_text_fa", "alt_text_en", "feature_fa"):
            setattr(question, name, getattr(item, name))
        question.feature_en = item.feature_en
        question.choices = [choice.model_dump() for choice in item.choices]
        question.required = item.required
        question.show_if = item.show_if.model_dump() if item.show_if else {}
        question.save()
    # Only questions without answers are left here (``_keep_answered`` refused the others).
    Question.objects.filter(pk__in=[q.pk for q in existing.values()]).delete()
    return survey


@transaction.atomic
def survey_set_status(*, actor: User, survey: Survey, status: SurveyStatus | str) -> Survey:
    require(actor, Perm.SURVEY_MANAGE)
    status = SurveyStatus(status)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if status == SurveyStatus.ACTIVE and not survey.questions.exists():
        raise ServiceError(
            _("Add at least one question before opening the survey."), code=ErrorCode.CONFLICT
        )
    survey.status = status
    survey.save(update_fields=["status", "updated_at"])
    return survey


@transaction.atomic
def survey_copy(*, actor: User, survey: Survey) -> Survey:
    """A draft copy with the same questions and no answers (to change an answered survey)."""
    require(actor, Perm.SURVEY_MANAGE)
    copy = Survey.objects.get(pk=survey.pk)
    copy.pk = None
    copy.status = SurveyStatus.DRAFT
    copy.public_slug = Survey._meta.get_field("public_slug").get_default()
    copy.title_fa = f"{survey.title_fa} (۲)"[:200]
    copy.created_by, copy.created_at = actor, timezone.now()
    copy.save()
    for question in survey.questions.all():
        question.pk = None
        question.survey = copy
        question.save()
    return copy


@transaction.atomic
def survey_delete(*, actor: User, survey: Survey) -> None:
    require(actor, Perm.SURVEY_MANAGE)
    if Answer.objects.filter(response__survey=survey).exists():
        raise ServiceError(
            _("This survey has answers; close it instead of deleting it."), code=ErrorCode.CONFLICT
        )
    survey.delete()


@transaction.atomic
def trigger_rule_save(
    *,
    actor: User,
    survey: Survey,
    data: TriggerRuleIn | Mapping[str, Any],
    rule: TriggerRule | None = None,
) -> TriggerRule:
    require(actor, Perm.SURVEY_MANAGE)
    try:
        parsed = data if isinstance(data, TriggerRuleIn) else TriggerRuleIn.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(field_errors(exc)) from None
    if parsed.channel not in InvitationChannel.values or parsed.channel == InvitationChannel.LINK:
        raise ValidationFailed({"channel": _("Send by SMS or email.")})
    rule = rule or TriggerRule(survey=survey, created_by=actor)
    rule.event, rule.delay_days = parsed.event, parsed.delay_days
    rule.channel, rule.is_active = parsed.channel, parsed.is_active
    rule.save()
    return rule


@transaction.atomic
def trigger_rule_delete(*, actor: User, rule: TriggerRule) -> None:
    require(actor, Perm.SURVEY_MANAGE)
    rule.delete()
