"""Simple branching: a question is asked only when an earlier answer matches its ``show_if``.

``{"key": "nps", "op": "lte", "value": 6}`` asks "why?" after a low score. Operators: ``lte``,
``gte``, ``eq``, ``in`` (value is a list) and ``answered``. A rule about a question that was not
answered (or not asked) is false, so a chain of follow-ups collapses with its first link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, field_validator

OPERATORS: Final = ("lte", "gte", "eq", "in", "answered")


class ShowIf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    op: str
    value: Any = None

    @field_validator("op")
    @classmethod
    def _known_op(cls, op: str) -> str:
        if op not in OPERATORS:
            raise ValueError(f"op must be one of {', '.join(OPERATORS)}")
        return op


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None


def matches(rule: ShowIf, answer: Any) -> bool:
    if answer is None:
        return False
    if rule.op == "answered":
        return True
    if rule.op == "in":
        wanted = {str(v) for v in rule.value} if isinstance(rule.value, list) else set()
        given = {str(v) for v in answer} if isinstance(answer, list) else {str(answer)}
        return bool(wanted & given)
    if rule.op == "eq":
        return str(answer) == str(rule.value)
    left, right = _number(answer), _number(rule.value)
    if left is None or right is None:
        return False
    return left <= right if rule.op == "lte" else left >= right


def is_asked(show_if: Mapping[str, Any] | None, answers_by_key: Mapping[str, Any]) -> bool:
    """Whether a question with this rule is asked, given the answers so far (by question key)."""
    if not show_if:
        return True
    rule = ShowIf.model_validate(show_if)
    return matches(rule, answers_by_key.get(rule.key))
