"""NPS, CSAT and CES with their intervals, checked against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mehvar.analytics.errors import InputError
from mehvar.analytics.nps import ces, csat, nps, trend, wilson_interval


def test_nps_by_hand() -> None:
    # Promoters (9–10): 10, 9, 10, 10, 9 = 5; passives (7–8): 8, 7 = 2; detractors: 6, 0, 5 = 3.
    result = nps([10, 9, 8, 7, 6, 0, 10, 10, 5, 9])
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 2, 3)
    # NPS = 100 × (0.5 − 0.3) = 20.
    assert result.value == pytest.approx(20.0)
    # var = (0.5 + 0.3 − 0.2²) / 10 = 0.076; 1.96 × 100 × √0.076 = 54.0335; 20 ± 54.0335.
    assert result.ci_low == pytest.approx(-34.0335, abs=1e-4)
    assert result.ci_high == pytest.approx(74.0335, abs=1e-4)
    assert result.metric == "nps"


def test_nps_unanimous_and_clipped() -> None:
    # All promoters: var = 1 + 0 − 1 = 0, so the interval is the point.
    allp = nps([9, 10, 10])
    assert (allp.value, allp.ci_low, allp.ci_high) == (100.0, 100.0, 100.0)
    # One promoter, one detractor: NPS 0, var = (1 − 0) / 2, 1.96 × 100 × 0.707 = 138.6 →
    # clipped to [−100, 100].
    split = nps([10, 0])
    assert (split.value, split.ci_low, split.ci_high) == (0.0, -100.0, 100.0)


def test_nps_accepts_integral_floats_and_numpy() -> None:
    assert nps([9.0, 10.0]).value == 100.0  # type: ignore[list-item]
    assert nps(np.array([0, 10], dtype=np.int8)).value == 0.0  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [[11], [-1], [7.5], [math.nan], ["9"]])
def test_nps_rejects_answers_off_the_scale(bad: list[object]) -> None:
    with pytest.raises(InputError):
        nps(bad)  # type: ignore[arg-type]


def test_empty_answers_are_no_data() -> None:
    empty = nps([])
    assert (empty.n, empty.value, empty.ci_low, empty.ci_high) == (0, None, None, None)
    assert (empty.promoters, empty.passives, empty.detractors) == (0, 0, 0)
    assert csat([]).value is None
    assert csat([]).satisfied == 0
    assert ces([]).value is None


def test_csat_by_hand() -> None:
    # Satisfied (4–5 of 5): 5, 4, 5, 4, 4 → 5 of 8 = 62.5 %.
    result = csat([5, 4, 3, 2, 1, 5, 4, 4])
    assert (result.n, result.satisfied, result.value) == (8, 5, 62.5)
    # Wilson, z = 1.96, p = 0.625, n = 8: centre (p + z²/16) / (1 + z²/8) = 0.86510 / 1.4802
    # = 0.58445; half = z √(p(1 − p)/8 + z²/256) / 1.4802 = 0.27871 → [30.57 %, 86.32 %].
    assert result.ci_low == pytest.approx(30.574, abs=1e-3)
    assert result.ci_high == pytest.approx(86.316, abs=1e-3)


def test_csat_all_satisfied_keeps_a_lower_bound() -> None:
    # p = 1, n = 3: the Wilson lower bound is 1 / (1 + z²/3) = 0.43849, the upper 1.
    result = csat([5, 5, 4])
    assert result.value == 100.0
    assert result.ci_low == pytest.approx(43.849, abs=1e-3)
    assert result.ci_high == pytest.approx(100.0)


def test_csat_scale_and_threshold() -> None:
    # On 1–7 with satisfied from 6: 6 and 7 of 4 answers.
    assert csat([7, 6, 5, 1], scale=7, satisfied_from=6).value == 50.0
    with pytest.raises(InputError):
        csat([6], scale=5)
    with pytest.raises(InputError):
        csat([3], scale=5, satisfied_from=6)
    with pytest.raises(InputError):
        csat([1], scale=1)


def test_ces_by_hand() -> None:
    # 3, 4, 5, 4, 4: mean 4, s = √(2/4) = 0.7071, t(0.975, 4) = 2.7764;
    # half = 2.7764 × 0.7071 / √5 = 0.87799.
    result = ces([3, 4, 5, 4, 4])
    assert result.value == 4.0
    assert result.ci_low == pytest.approx(3.12201, abs=1e-5)
    assert result.ci_high == pytest.approx(4.87799, abs=1e-5)


def test_ces_interval_is_clipped_and_needs_two_answers() -> None:
    # 2, 4, 6: mean 4, s = 2, half = 4.3027 × 2 / √3 = 4.97 → clipped to the scale 1–7.
    wide = ces([2, 4, 6])
    assert (wide.ci_low, wide.ci_high) == (1.0, 7.0)
    one = ces([5])
    assert (one.value, one.ci_low, one.ci_high) == (5.0, None, None)
    with pytest.raises(InputError):
        ces([8])


def test_trend_groups_by_sorted_period() -> None:
    answers = [("1403-02", 10), ("1403-01", 0), ("1403-01", 10), ("1403-02", 9)]
    points = trend(answers)
    assert [(p.period, p.value, p.n) for p in points] == [
        ("1403-01", 0.0, 2),
        ("1403-02", 100.0, 2),
    ]
    satisfied = trend([("a", 5), ("a", 1), ("b", 3)], "csat", scale=5)
    assert [(p.period, p.value) for p in satisfied] == [("a", 50.0), ("b", 0.0)]
    assert [p.value for p in trend([("x", 2), ("x", 4)], "ces")] == [3.0]
    assert trend([]) == []
    with pytest.raises(InputError):
        trend([("a", 1)], "xyz")  # type: ignore[arg-type]


def test_wilson_interval_is_symmetric() -> None:
    low, high = wilson_interval(3, 10)
    mirror_low, mirror_high = wilson_interval(7, 10)
    assert low == pytest.approx(1 - mirror_high)
    assert high == pytest.approx(1 - mirror_low)


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=200))
def test_nps_properties(scores: list[int]) -> None:
    result = nps(scores)
    assert result.value is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert -100 <= result.ci_low <= result.value <= result.ci_high <= 100
    assert (result.promoters or 0) + (result.passives or 0) + (result.detractors or 0) == len(
        scores
    )


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=200))
def test_csat_properties(scores: list[int]) -> None:
    result = csat(scores)
    assert result.value is not None
    assert result.ci_low is not None
    assert result.ci_high is not None
    assert 0 <= result.ci_low <= result.value <= result.ci_high <= 100
