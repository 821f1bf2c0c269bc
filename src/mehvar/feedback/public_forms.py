"""The public answer page's form: POST fields → raw answers, and questions → what to draw.

Field names, by question type (``<key>`` is the question's key):

- nps / csat / ces / single: one radio group ``q-<key>``;
- multiple: checkboxes ``q-<key>`` (several values);
- kano: two radio groups ``q-<key>-functional`` and ``q-<key>-dysfunctional``;
- quality: one radio group per dimension, ``q-<key>-<dimension>``;
- text: a textarea ``q-<key>``.

The raw answers go to :func:`responding.answers_save`, which checks them (``answers.py``). The
same raw shape (strings) is what the page shows, so a refused form comes back as it was typed
and a saved answer comes back as it was stored. Nothing here touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.core.persian import to_latin_digits
from mehvar.feedback.answers import KANO_ANSWER_LABELS, SCALES
from mehvar.feedback.branching import is_asked
from mehvar.feedback.models import QUALITY_DIMENSIONS, Question, QuestionKind, Survey

PREFIX: Final = "q-"
# A field no person sees or fills (hidden by CSS, out of the tab order); a bot filling every
# input fills it too. Its name looks like something worth filling.
HONEYPOT: Final = "website"
KANO_PARTS: Final = ("functional", "dysfunctional")
QUALITY_SCALE: Final = (1, 5)

# The words at both ends of each scale, so a number means the same to everyone.
_SCALE_ENDS: Final[dict[str, tuple[Promise, Promise]]] = {
    QuestionKind.NPS: (_("Not at all likely"), _("Extremely likely")),
    QuestionKind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    QuestionKind.CES: (_("Very difficult"), _("Very easy")),
}
_QUALITY_ENDS: Final = (_("Very poor"), _("Excellent"))


def field_name(question: Question, part: str = "") -> str:
    return f"{PREFIX}{question.key}-{part}" if part else f"{PREFIX}{question.key}"


def _raw_of(question: Question, data: QueryDict) -> Any:
    kind = question.kind
    if kind == QuestionKind.MULTIPLE:
        return data.getlist(field_name(question))
    if kind == QuestionKind.KANO:
        return {part: data.get(field_name(question, part), "") for part in KANO_PARTS}
    if kind == QuestionKind.QUALITY:
        return {
            code: data.get(field_name(question, code), "") for code, _fa, _en in QUALITY_DIMENSIONS
        }
    return data.get(field_name(question), "")


def parse_answers(
    questions: Iterable[Question], data: QueryDict, *, keys: Iterable[str] | None = None
) -> dict[str, Any]:
    """Raw answers by question key, from the posted fields.

    A full form (``keys`` None) answers every question: a question left blank is an empty
    answer, which removes an earlier one. An autosave names the questions it carries in
    ``keys``; the others are left alone.
    """
    wanted = None if keys is None else set(keys)
    return {q.key: _raw_of(q, data) for q in questions if wanted is None or q.key in wanted}


def posted_keys(questions: Iterable[Question], data: QueryDict) -> list[str]:
    """The questions an autosave carries when it does not name them (any field of theirs).

    Keys hold no "-" (``schemas.Key``), so ``q-<key>-`` cannot be a prefix of another key's.
    """
    names = set(data)
    return [
        q.key
        for q in questions
        if field_name(q) in names or any(n.startswith(f"{field_name(q)}-") for n in names)
    ]


def honeypot_filled(data: QueryDict) -> bool:
    return bool(data.get(HONEYPOT, "").strip())


def as_raw(question: Question, value: Any) -> Any:
    """A stored answer in the raw (string) shape of the form, to show it checked."""
    if value is None:
        return None
    if question.kind == QuestionKind.MULTIPLE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    return str(value)


def survey_has_english(survey: Survey, questions: Iterable[Question]) -> bool:
    """English is offered only when the whole survey was written in English too."""
    return bool(survey.title_en) and all(q.text_en for q in questions)


def _text(fa: str, en: str, language: str) -> str:
    return en if language == "en" and en else fa


@dataclass(frozen=True)
class Option:
    value: str
    label: Any  # a number (shown with the page's digits) or a lazily translated string
    checked: bool
    id: str


@dataclass(frozen=True)
class Row:
    """One line of a grid (a Kano part, a quality dimension): a label and its radios."""

    name: str
    label: str
    options: list[Option]


@dataclass(frozen=True)
class QuestionView:
    """Everything a question's template draws, decided here so templates only loop."""

    key: str
    kind: str
    number: int
    text: str
    required: bool
    asked: bool
    show_if: str  # JSON for the script's branching, "" when always asked
    error: str = ""
    feature: str = ""
    options: list[Option] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    text_value: str = ""
    low_label: Any = ""
    high_label: Any = ""

    @property
    def hidden(self) -> bool:
        """Not asked (branching) and nothing to say about it; the script shows it when asked."""
        return not self.asked and not self.error

    @property
    def template(self) -> str:
        return f"feedback/questions/{self.kind}.html"

    @property
    def error_id(self) -> str:
        return f"{PREFIX}{self.key}-error"

    @property
    def ends_id(self) -> str:
        return f"{PREFIX}{self.key}-ends"

    @property
    def legend_id(self) -> str:
        return f"{PREFIX}{self.key}-legend"


def _options(name: str, values: Iterable[tuple[str, Any]], current: Any) -> list[Option]:
    # As typed: "۳" checks the 3 (clean_answer reads Persian and Arabic digits too).
    given = current if isinstance(current, list) else [current]
    picked = {to_latin_digits(str(v)).strip() for v in given if v is not None}
    # Ids by position: a choice's value may hold characters an id cannot.
    return [
        Option(value=value, label=label, checked=value in picked, id=f"{name}-{index}")
        for index, (value, label) in enumerate(values)
    ]


def _numbers(low: int, high: int) -> list[tuple[str, Any]]:
    return [(str(n), n) for n in range(low, high + 1)]


def question_view(
    question: Question,
    *,
    number: int,
    shown: Any,
    asked: bool,
    error: str,
    language: str,
) -> QuestionView:
    """``shown`` is the answer to draw, in the raw shape (:func:`as_raw` or as posted)."""
    kind = question.kind
    name = field_name(question)
    view: dict[str, Any] = {
        "key": question.key,
        "kind": kind,
        "number": number,
        "text": _text(question.text_fa, question.text_en, language),
        "required": question.required,
        "asked": asked,
        "show_if": json.dumps(question.show_if, ensure_ascii=False) if question.show_if else "",
        "error": error,
    }
    if kind in SCALES:
        low, high = SCALES[kind]
        view["options"] = _options(name, _numbers(low, high), shown)
        view["low_label"], view["high_label"] = _SCALE_ENDS[kind]
    elif kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        choices = [
            (str(c["value"]), _text(str(c.get("fa", "")), str(c.get("en", "")), language))
            for c in question.choices
            if isinstance(c, Mapping) and "value" in c
        ]
        view["options"] = _options(name, choices, shown)
    elif kind == QuestionKind.KANO:
        given = shown if isinstance(shown, Mapping) else {}
        texts = {
            "functional": view["text"],
            "dysfunctional": _text(question.alt_text_fa, question.alt_text_en, language),
        }
        labels = [(str(answer.value), label) for answer, label in KANO_ANSWER_LABELS]
        view["rows"] = [
            Row(
                name=field_name(question, part),
                label=texts[part],
                options=_options(field_name(question, part), labels, given.get(part)),
            )
            for part in KANO_PARTS
        ]
        view["feature"] = _text(question.feature_fa, question.feature_en, language)
    elif kind == QuestionKind.QUALITY:
        given = shown if isinstance(shown, Mapping) else {}
        view["rows"] = [
            Row(
                name=field_name(question, code),
                label=en if language == "en" else fa,
                options=_options(
                    field_name(question, code), _numbers(*QUALITY_SCALE), given.get(code)
                ),
            )
            for code, fa, en in QUALITY_DIMENSIONS
        ]
        view["low_label"], view["high_label"] = _QUALITY_ENDS
    elif kind == QuestionKind.TEXT:
        view["text_value"] = shown if isinstance(shown, str) else ""
    return QuestionView(**view)


def question_views(
    questions: list[Question],
    *,
    shown: Mapping[str, Any],
    answers: Mapping[str, Any],
    errors: Mapping[str, str],
    language: str,
) -> list[QuestionView]:
    """The page's questions. ``shown`` fills the inputs; ``answers`` (stored values by key)
    decide which follow-up questions are asked, as the service will when the form is sent."""
    asked_answers: dict[str, Any] = {}
    views = []
    for number, question in enumerate(questions, start=1):
        # A rule about a question that is not asked is false, as in ``branching``.
        asked = is_asked(question.show_if, asked_answers)
        if asked and question.key in answers:
            asked_answers[question.key] = answers[question.key]
        views.append(
            question_view(
                question,
                number=number,
                shown=shown.get(question.key),
                asked=asked,
                error=str(errors.get(question.key, "")),
                language=language,
            )
        )
    return views
