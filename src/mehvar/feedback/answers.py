"""What an answer to each question type looks like, and the one place raw input is checked.

The public page (form fields), the API (JSON) and imports all hand raw values to
:func:`clean_answer`, which returns the stored value or raises :class:`AnswerError` with a
message in the respondent's language. Digits may be Persian, Arabic or Latin.

Stored values:
- nps / csat / ces: an int on the question's scale;
- kano: ``{"functional": <KanoAnswer>, "dysfunctional": <KanoAnswer>}``;
- quality: ``{<dimension>: 1..5}`` for the dimensions answered;
- single: the chosen choice's ``value``; multiple: a list of them, in the question's order;
- text: the normalised text (at most 2,000 characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from django.utils.translation import gettext_lazy as _

from mehvar.analytics.kano import KanoAnswer
from mehvar.core.persian import to_latin_digits
from mehvar.feedback.models import QUALITY_DIMENSIONS, Question, QuestionKind

SCALES: Final[dict[str, tuple[int, int]]] = {
    QuestionKind.NPS: (0, 10),
    QuestionKind.CSAT: (1, 5),
    QuestionKind.CES: (1, 7),
}
QUALITY_SCALE: Final = (1, 5)
TEXT_LIMIT: Final = 2000
DIMENSION_CODES: Final = tuple(code for code, _fa, _en in QUALITY_DIMENSIONS)
_SMALL_INTEGER: Final = re.compile(r"-?[0-9]{1,4}")
# C0/C1 controls other than tab and newlines, and lone surrogates: PostgreSQL refuses NUL in
# text, and none of them means anything in a customer's comment.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def without_control_characters(text: str) -> str:
    return _CONTROL.sub(" ", text)


# The five standard Kano answers as the respondent reads them.
KANO_ANSWER_LABELS: Final = (
    (KanoAnswer.LIKE, _("I like it")),
    (KanoAnswer.MUST_BE, _("I expect it")),
    (KanoAnswer.NEUTRAL, _("I am neutral")),
    (KanoAnswer.LIVE_WITH, _("I can live with it")),
    (KanoAnswer.DISLIKE, _("I dislike it")),
)


class AnswerError(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple | dict):
        return not any(not is_empty(v) for v in (raw.values() if isinstance(raw, dict) else raw))
    return False


def _integer(raw: Any, low: int, high: int) -> int:
    if isinstance(raw, bool):
        raise AnswerError(
            _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    if isinstance(raw, int):
        value = raw
    else:
        text = to_latin_digits(str(raw)).strip()
        # ASCII digits only, and few: str.isdigit() also accepts "²", which int() refuses.
        if not _SMALL_INTEGER.fullmatch(text):
            raise AnswerError(
                _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        value = int(text)
    if not low <= value <= high:
        raise AnswerError(
            _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return value


def choice_values(question: Question) -> list[str]:
    return [str(c["value"]) for c in question.choices if isinstance(c, Mapping) and "value" in c]


def _single(question: Question, raw: Any) -> str:
    value = to_latin_digits(str(raw)).strip()
    if value not in choice_values(question):
        raise AnswerError(_("Pick one of the offered answers."))
    return value


def _multiple(question: Question, raw: Any) -> list[str]:
    picked = {
        to_latin_digits(str(v)).strip() for v in (raw if isinstance(raw, list | tuple) else [raw])
    }
    picked.discard("")
    allowed = choice_values(question)
    if not picked <= set(allowed):
        raise AnswerError(_("Pick only from the offered answers."))
    return [value for value in allowed if value in picked]


def _kano(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping):
        raise AnswerError(_("Answer both parts of the question."))
    values: dict[str, str] = {}
    for part in ("functional", "dysfunctional"):
        value = str(raw.get(part) or "").strip()
        if value not in {answer.value for answer in KanoAnswer}:
            raise AnswerError(_("Answer both parts of the question."))
        values[part] = value
    return values


def _quality(raw: Any, *, complete: bool) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        raise AnswerError(_("Rate each dimension from 1 to 5."))
    unknown = set(raw) - set(DIMENSION_CODES)
    if unknown:
        raise AnswerError(_("Rate each dimension from 1 to 5."))
    values = {
        code: _integer(raw[code], *QUALITY_SCALE)
        for code in DIMENSION_CODES
        if code in raw and not is_empty(raw[code])
    }
    if complete and len(values) < len(DIMENSION_CODES):
        raise AnswerError(_("Rate each dimension from 1 to 5."))
    return values


def clean_answer(question: Question, raw: Any) -> Any:
    """The value to store for ``raw``, or :class:`AnswerError`. Empty input is ``None``."""
    if is_empty(raw):
        return None
    kind = question.kind
    if kind in SCALES:
        return _integer(raw, *SCALES[kind])
    if kind == QuestionKind.KANO:
        return _kano(raw)
    if kind == QuestionKind.QUALITY:
        return _quality(raw, complete=question.required)
    if kind == QuestionKind.SINGLE:
        return _single(question, raw)
    if kind == QuestionKind.MULTIPLE:
        return _multiple(question, raw)
    if kind == QuestionKind.TEXT:
        text = without_control_characters(str(raw)).strip()
        if len(text) > TEXT_LIMIT:
            raise AnswerError(
                _("Please keep it under %(limit)s characters.") % {"limit": TEXT_LIMIT}
            )
        return text
    raise AnswerError(_("This question cannot be answered."))


def text_of(values: Iterable[Any]) -> str:
    """The free text of some answers joined, for sentiment and keywords."""
    return "\n".join(str(v) for v in values if isinstance(v, str) and v.strip())
