"""The Kano model: which features delight, which are expected, which nobody cares about.

Seed 003 names the Kano model as the way to measure satisfaction with features. Each respondent
answers two questions about a feature: the **functional** one ("How do you feel if the product
has it?") and the **dysfunctional** one ("… if it does not?"), each with one of five answers
(:class:`KanoAnswer`). The pair is read off the standard evaluation table (Berger et al. 1993;
Matzler & Hinterhuber 1998, :data:`KANO_TABLE`) as one category (:class:`KanoCategory`):

* **Attractive (A)**: delights when present, not missed when absent.
* **One-dimensional (O)**: the more the better; satisfies when present, dissatisfies when absent.
* **Must-be (M)**: taken for granted; its absence dissatisfies, its presence earns nothing.
* **Indifferent (I)**: neither present nor absent matters.
* **Reverse (R)**: the respondent would rather not have it.
* **Questionable (Q)**: a contradictory pair (like both having and not having it), usually a
  misread question.

A feature's category is the most frequent one among its respondents (ties: see
:data:`TIE_PRIORITY`). Berger's customer-satisfaction coefficients weigh A, O, M and I only:

* **better**, CS+ = (A + O) / (A + O + M + I), in [0, 1]: how much satisfaction rises when the
  feature is there;
* **worse**, CS− = −(O + M) / (A + O + M + I), in [−1, 0]: how much satisfaction falls when it is
  missing (negative by convention).

A feature with no answers gives ``n = 0`` and None for the category and both coefficients; one
whose answers are all Reverse or Questionable has a category but None coefficients.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = [
    "KANO_TABLE",
    "TIE_PRIORITY",
    "KanoAnswer",
    "KanoCategory",
    "KanoResult",
    "classify",
    "evaluate",
    "evaluate_features",
]


class KanoAnswer(StrEnum):
    """One answer to a functional or dysfunctional question (values are stored by the app)."""

    LIKE = "like"  # I like it that way
    MUST_BE = "must_be"  # It must be that way
    NEUTRAL = "neutral"  # I am neutral
    LIVE_WITH = "live_with"  # I can live with it
    DISLIKE = "dislike"  # I dislike it that way


class KanoCategory(StrEnum):
    """The category of one answer pair, or of a feature by majority."""

    ATTRACTIVE = "attractive"  # A
    ONE_DIMENSIONAL = "one_dimensional"  # O
    MUST_BE = "must_be"  # M
    INDIFFERENT = "indifferent"  # I
    REVERSE = "reverse"  # R
    QUESTIONABLE = "questionable"  # Q


def _build_table() -> Mapping[tuple[KanoAnswer, KanoAnswer], KanoCategory]:
    a, o = KanoCategory.ATTRACTIVE, KanoCategory.ONE_DIMENSIONAL
    m, i = KanoCategory.MUST_BE, KanoCategory.INDIFFERENT
    r, q = KanoCategory.REVERSE, KanoCategory.QUESTIONABLE
    # Rows: functional answer; columns: dysfunctional answer; both in KanoAnswer order
    # (like, must_be, neutral, live_with, dislike).
    grid = (
        (q, a, a, a, o),  # like
        (r, i, i, i, m),  # must_be
        (r, i, i, i, m),  # neutral
        (r, i, i, i, m),  # live_with
        (r, r, r, r, q),  # dislike
    )
    answers = list(KanoAnswer)
    return MappingProxyType(
        {
            (functional, dysfunctional): grid[row][column]
            for row, functional in enumerate(answers)
            for column, dysfunctional in enumerate(answers)
        }
    )


KANO_TABLE: Final = _build_table()
"""(functional, dysfunctional) → category, all 25 cells of the standard evaluation table."""

# When two or more categories share the highest count, the one that matters most to act on wins:
# a Must-be left unmet dissatisfies outright, so it goes first, then One-dimensional (each bit
# counts both ways), then Attractive (a bonus), then Indifferent (M > O > A > I, the usual rule).
# Reverse and Questionable say the question or the feature is wrong rather than how to rank it,
# so they win only a majority of their own: after the four, Reverse before Questionable.
TIE_PRIORITY: Final = (
    KanoCategory.MUST_BE,
    KanoCategory.ONE_DIMENSIONAL,
    KanoCategory.ATTRACTIVE,
    KanoCategory.INDIFFERENT,
    KanoCategory.REVERSE,
    KanoCategory.QUESTIONABLE,
)


@dataclass(frozen=True, kw_only=True)
class KanoResult:
    """One feature's answers: the count per category, the majority and Berger's coefficients.

    ``counts`` holds all six categories (0 where none); ``n`` is the number of answer pairs.
    ``category`` is the majority (ties by :data:`TIE_PRIORITY`), None when ``n == 0``.
    ``satisfaction`` is better/CS+ in [0, 1] and ``dissatisfaction`` worse/CS− in [−1, 0]; both
    are None when no answer is A, O, M or I.
    """

    counts: dict[KanoCategory, int]
    n: int
    category: KanoCategory | None
    satisfaction: float | None
    dissatisfaction: float | None


def _answer(value: KanoAnswer | str, question: str) -> KanoAnswer:
    try:
        return KanoAnswer(value)
    except ValueError:
        raise InputError(
            gettext_noop(
                "Kano %(question)s answer %(value)r is not one of like, must_be, neutral, "
                "live_with, dislike."
            ),
            question=question,
            value=value,
        ) from None


def classify(functional: KanoAnswer | str, dysfunctional: KanoAnswer | str) -> KanoCategory:
    """The category of one (functional, dysfunctional) answer pair from :data:`KANO_TABLE`.

    Raises ``InputError`` (a ``ValueError``) naming an answer that is not a :class:`KanoAnswer`.
    """
    return KANO_TABLE[(_answer(functional, "functional"), _answer(dysfunctional, "dysfunctional"))]


def _result(counts: dict[KanoCategory, int]) -> KanoResult:
    n = sum(counts.values())
    category = None
    if n:
        top = max(counts.values())
        category = next(c for c in TIE_PRIORITY if counts[c] == top)
    a = counts[KanoCategory.ATTRACTIVE]
    o = counts[KanoCategory.ONE_DIMENSIONAL]
    m = counts[KanoCategory.MUST_BE]
    i = counts[KanoCategory.INDIFFERENT]
    base = a + o + m + i
    return KanoResult(
        counts=counts,
        n=n,
        category=category,
        satisfaction=(a + o) / base if base else None,
        dissatisfaction=-(o + m) / base if base else None,
    )


def _empty_counts() -> dict[KanoCategory, int]:
    return dict.fromkeys(KanoCategory, 0)


def evaluate(pairs: Iterable[tuple[str, str]]) -> KanoResult:
    """Kano result of one feature from its (functional, dysfunctional) answer pairs."""
    counts = _empty_counts()
    for functional, dysfunctional in pairs:
        counts[classify(functional, dysfunctional)] += 1
    return _result(counts)


def evaluate_features(rows: Iterable[tuple[str, str, str]]) -> dict[str, KanoResult]:
    """Kano result per feature from (feature, functional, dysfunctional) rows.

    Features keep the order in which they are first seen.
    """
    by_feature: dict[str, dict[KanoCategory, int]] = {}
    for feature, functional, dysfunctional in rows:
        category = classify(functional, dysfunctional)
        counts = by_feature.setdefault(feature, _empty_counts())
        counts[category] += 1
    return {feature: _result(counts) for feature, counts in by_feature.items()}
