"""The Kano model: the evaluation table cell by cell, majorities, Better/Worse by hand."""

from __future__ import annotations

import pytest

from mehvar.analytics.errors import InputError
from mehvar.analytics.kano import (
    KANO_TABLE,
    KanoAnswer,
    KanoCategory,
    KanoResult,
    classify,
    evaluate,
    evaluate_features,
)

A = KanoCategory.ATTRACTIVE
O = KanoCategory.ONE_DIMENSIONAL  # noqa: E741
M = KanoCategory.MUST_BE
I = KanoCategory.INDIFFERENT  # noqa: E741 (O and I: the letters the literature uses)
R = KanoCategory.REVERSE
Q = KanoCategory.QUESTIONABLE

# Berger et al. (1993), written out cell by cell: (functional, dysfunctional, category).
CELLS = [
    ("like", "like", "questionable"),
    ("like", "must_be", "attractive"),
    ("like", "neutral", "attractive"),
    ("like", "live_with", "attractive"),
    ("like", "dislike", "one_dimensional"),
    ("must_be", "like", "reverse"),
    ("must_be", "must_be", "indifferent"),
    ("must_be", "neutral", "indifferent"),
    ("must_be", "live_with", "indifferent"),
    ("must_be", "dislike", "must_be"),
    ("neutral", "like", "reverse"),
    ("neutral", "must_be", "indifferent"),
    ("neutral", "neutral", "indifferent"),
    ("neutral", "live_with", "indifferent"),
    ("neutral", "dislike", "must_be"),
    ("live_with", "like", "reverse"),
    ("live_with", "must_be", "indifferent"),
    ("live_with", "neutral", "indifferent"),
    ("live_with", "live_with", "indifferent"),
    ("live_with", "dislike", "must_be"),
    ("dislike", "like", "reverse"),
    ("dislike", "must_be", "reverse"),
    ("dislike", "neutral", "reverse"),
    ("dislike", "live_with", "reverse"),
    ("dislike", "dislike", "questionable"),
]


def _pairs(**counts: int) -> list[tuple[str, str]]:
    """Answer pairs giving ``counts`` of each category letter (A, O, M, I, R, Q)."""
    one = {
        "A": ("like", "neutral"),
        "O": ("like", "dislike"),
        "M": ("neutral", "dislike"),
        "I": ("neutral", "neutral"),
        "R": ("dislike", "like"),
        "Q": ("like", "like"),
    }
    return [one[letter] for letter, count in counts.items() for _ in range(count)]


def test_answer_and_category_values_are_the_stored_ones() -> None:
    assert [a.value for a in KanoAnswer] == ["like", "must_be", "neutral", "live_with", "dislike"]
    assert [c.value for c in KanoCategory] == [
        "attractive",
        "one_dimensional",
        "must_be",
        "indifferent",
        "reverse",
        "questionable",
    ]


@pytest.mark.parametrize(("functional", "dysfunctional", "expected"), CELLS)
def test_table_cell(functional: str, dysfunctional: str, expected: str) -> None:
    assert classify(functional, dysfunctional) == expected
    assert classify(KanoAnswer(functional), KanoAnswer(dysfunctional)) == expected
    assert KANO_TABLE[(KanoAnswer(functional), KanoAnswer(dysfunctional))] == expected


def test_table_has_exactly_the_25_cells() -> None:
    assert len(CELLS) == 25
    assert len(KANO_TABLE) == 25
    assert {(f, d) for f, d, _ in CELLS} == set(KANO_TABLE)


@pytest.mark.parametrize(
    ("functional", "dysfunctional", "side", "named"),
    [
        ("love", "dislike", "functional", "'love'"),
        ("Like", "dislike", "functional", "'Like'"),
        ("", "dislike", "functional", "''"),
        ("like", "hate", "dysfunctional", "'hate'"),
        ("like", "attractive", "dysfunctional", "'attractive'"),
    ],
)
def test_bad_answer_raises_naming_it(
    functional: str, dysfunctional: str, side: str, named: str
) -> None:
    with pytest.raises(ValueError, match=f"Kano {side} answer {named} is not one of") as raised:
        classify(functional, dysfunctional)
    assert isinstance(raised.value, InputError)


def test_bad_answer_in_evaluate_raises() -> None:
    with pytest.raises(InputError, match="'maybe'"):
        evaluate([("like", "dislike"), ("maybe", "dislike")])
    with pytest.raises(InputError, match="'maybe'"):
        evaluate_features([("f", "like", "dislike"), ("g", "like", "maybe")])


def test_better_worse_by_hand() -> None:
    # A=10, O=5, M=3, I=2, R=1, Q=1: n = 22; A + O + M + I = 20.
    # CS+ = (A + O) / 20 = 15 / 20 = 0.75; CS− = −(O + M) / 20 = −8 / 20 = −0.4.
    result = evaluate(_pairs(A=10, O=5, M=3, I=2, R=1, Q=1))
    assert result.counts == {A: 10, O: 5, M: 3, I: 2, R: 1, Q: 1}
    assert result.n == 22
    assert result.category == A
    assert result.satisfaction == pytest.approx(0.75)
    assert result.dissatisfaction == pytest.approx(-0.4)


def test_counts_always_hold_all_six_categories() -> None:
    result = evaluate(_pairs(O=2))
    assert result.counts == {A: 0, O: 2, M: 0, I: 0, R: 0, Q: 0}
    assert list(result.counts) == list(KanoCategory)
    # All O: CS+ = 2/2 = 1, CS− = −2/2 = −1, the extremes.
    assert (result.satisfaction, result.dissatisfaction) == (1.0, -1.0)


def test_indifferent_only_gives_zero_coefficients() -> None:
    # A + O + M + I = 3, but A + O = O + M = 0: 0/3 both, and not −0.0.
    result = evaluate(_pairs(I=3))
    assert result.category == I
    assert (result.satisfaction, result.dissatisfaction) == (0.0, 0.0)
    assert str(result.dissatisfaction) == "0.0"


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Ties go to the category that matters most to fix first: M > O > A > I.
        ({"A": 3, "O": 3, "M": 3, "I": 3}, M),
        ({"A": 3, "O": 3, "I": 3}, O),
        ({"A": 3, "I": 3}, A),
        ({"A": 2, "M": 2, "I": 1}, M),
        ({"O": 2, "I": 2, "M": 1}, O),
        # Reverse and Questionable win a tie only against each other (R before Q) …
        ({"I": 2, "R": 2, "Q": 2}, I),
        ({"R": 2, "Q": 2, "A": 1}, R),
        # … but a plain majority of theirs is reported as it is.
        ({"R": 3, "M": 2, "O": 2}, R),
        ({"Q": 2, "A": 1}, Q),
        # No tie: the majority wins whatever the priority.
        ({"I": 4, "M": 3, "O": 1}, I),
        ({"A": 3, "M": 2}, A),
    ],
)
def test_majority_and_tie_rule(counts: dict[str, int], expected: KanoCategory) -> None:
    assert evaluate(_pairs(**counts)).category == expected


def test_reverse_and_questionable_only_have_no_coefficients() -> None:
    result = evaluate(_pairs(R=2, Q=1))
    assert (result.n, result.category) == (3, R)
    assert (result.satisfaction, result.dissatisfaction) == (None, None)


def test_empty_is_no_data() -> None:
    result = evaluate([])
    assert result == KanoResult(
        counts={A: 0, O: 0, M: 0, I: 0, R: 0, Q: 0},
        n=0,
        category=None,
        satisfaction=None,
        dissatisfaction=None,
    )
    assert evaluate_features([]) == {}


def test_evaluate_accepts_a_generator_and_enum_answers() -> None:
    result = evaluate((KanoAnswer.LIKE, KanoAnswer.DISLIKE) for _ in range(2))
    assert (result.n, result.category) == (2, O)


def test_evaluate_features_groups_and_keeps_first_seen_order() -> None:
    rows = [
        ("dark mode", "like", "neutral"),  # A
        ("invoices", "neutral", "dislike"),  # M
        ("dark mode", "like", "live_with"),  # A
        ("chat", "neutral", "neutral"),  # I
        ("invoices", "like", "dislike"),  # O
        ("dark mode", "dislike", "like"),  # R
        ("invoices", "must_be", "dislike"),  # M
    ]
    results = evaluate_features(rows)
    assert list(results) == ["dark mode", "invoices", "chat"]

    dark = results["dark mode"]
    assert dark.counts == {A: 2, O: 0, M: 0, I: 0, R: 1, Q: 0}
    assert (dark.n, dark.category) == (3, A)
    # CS+ = (2 + 0) / 2 = 1; CS− = −(0 + 0) / 2 = 0.
    assert dark.satisfaction == pytest.approx(1.0)
    assert dark.dissatisfaction == pytest.approx(0.0)

    invoices = results["invoices"]
    assert invoices.counts == {A: 0, O: 1, M: 2, I: 0, R: 0, Q: 0}
    assert (invoices.n, invoices.category) == (3, M)
    # CS+ = (0 + 1) / 3; CS− = −(1 + 2) / 3 = −1.
    assert invoices.satisfaction == pytest.approx(1 / 3)
    assert invoices.dissatisfaction == pytest.approx(-1.0)

    chat = results["chat"]
    assert (chat.n, chat.category, chat.satisfaction, chat.dissatisfaction) == (1, I, 0.0, 0.0)

    # Each feature's result is what evaluate gives on that feature's pairs alone.
    for feature, result in results.items():
        assert result == evaluate([(f, d) for name, f, d in rows if name == feature])
