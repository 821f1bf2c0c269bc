"""RFM scores and segments on small summaries worked out by hand."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.errors import InputError
from mehvar.analytics.rfm import (
    SEGMENTS,
    check_bins,
    rfm_grid,
    score_rfm,
    segment_by_code,
    segment_counts,
    segment_for,
    to_five_point,
)

SCHEMA = pa.schema(
    [
        ("customer_id", pa.string()),
        ("frequency", pa.int64()),
        ("days_since_last", pa.int64()),
        ("total_amount", pa.float64()),
    ]
)


def _summary(rows: list[tuple[str, int, int, float]]) -> ibis.Table:
    columns = [[row[i] for row in rows] for i in range(4)]
    return ibis.memtable(pa.Table.from_arrays([pa.array(c) for c in columns], schema=SCHEMA))


def _scored(rows: list[tuple[str, int, int, float]], bins: int = 5) -> dict[str, dict[str, Any]]:
    table = score_rfm(_summary(rows), bins=bins).to_pyarrow()
    return {row["customer_id"]: row for row in table.to_pylist()}


# Six customers. With 5 bins a score is min(5, 1 + ⌊5w / (n − t)⌋), w = customers strictly
# worse, n − t = customers with a different value (5 without a tie, so the score is 1 + w):
#   id  frequency  days_since_last  total_amount
SIX = [
    ("A", 5, 0, 1000.0),
    ("B", 0, 0, 50.0),
    ("C", 0, 10, 200.0),
    ("D", 0, 30, 200.0),
    ("E", 2, 100, 500.0),
    ("F", 9, 300, 5000.0),
]


def test_scores_and_segments_by_hand() -> None:
    scored = _scored(SIX)
    # R: worse = more days. F(300) w=0 → 1, E(100) 1 → 2, D(30) 2 → 3, C(10) 3 → 4;
    #    A and B tie on 0: w=4, n − t = 4 → min(5, 1 + 20/4) = 5.
    # F: B, C, D tie on 0 (w=0 → 1); E(2) w=3 → 4; A(5) w=4 → 5; F(9) w=5 → min(5, 6) = 5.
    # M: B(50) → 1; C and D tie on 200: w=1, n − t = 4 → 1 + ⌊5/4⌋ = 2; E(500) w=3 → 4;
    #    A → 5; F → 5.
    # FM = ⌊(F + M + 1) / 2⌋: A 5, B 1, C 2, D 2, E 4, F 5.
    expected = {
        "A": (5, 5, 5, 5, "champions"),
        "B": (5, 1, 1, 1, "new"),
        "C": (4, 1, 2, 2, "potential_loyalist"),
        "D": (3, 1, 2, 2, "about_to_sleep"),
        "E": (2, 4, 4, 4, "at_risk"),
        "F": (1, 5, 5, 5, "cant_lose"),
    }
    got = {
        cid: (r["r_score"], r["f_score"], r["m_score"], r["fm_score"], r["segment"])
        for cid, r in scored.items()
    }
    assert got == expected


def test_single_purchase_majority_gets_f1_and_the_next_step_jumps() -> None:
    # 10 customers, 6 bought once (frequency 0): nobody is worse, so F = 1. The two two-time
    # buyers beat the 6 of the 8 customers with another value: 1 + ⌊5 × 6 / 8⌋ = 4; the
    # three-time buyer beats 8 of 9: 1 + ⌊40 / 9⌋ = 5; the best: 1 + ⌊45 / 9⌋ = 6, capped at 5.
    freqs = [0, 0, 0, 0, 0, 0, 1, 1, 2, 5]
    rows = [(f"c{i}", f, 10, 100.0) for i, f in enumerate(freqs)]
    scored = _scored(rows)
    assert [scored[f"c{i}"]["f_score"] for i in range(10)] == [1] * 6 + [4, 4, 5, 5]
    # Everyone tied on R and M: every R and M score is 1.
    assert {r["r_score"] for r in scored.values()} == {1}
    assert {r["m_score"] for r in scored.values()} == {1}


def test_one_customer_scores_one_everywhere() -> None:
    scored = _scored([("only", 3, 5, 10.0)])
    row = scored["only"]
    assert (row["r_score"], row["f_score"], row["m_score"]) == (1, 1, 1)
    assert row["segment"] == "lost"


def test_empty_summary() -> None:
    empty = score_rfm(_summary([]))
    assert empty.to_pyarrow().num_rows == 0
    counts = segment_counts(empty)
    assert [c.code for c in counts] == [s.code for s in SEGMENTS]
    assert all(c.customers == 0 and c.revenue == 0 for c in counts)
    assert sum(c.customers for c in rfm_grid(empty)) == 0


def test_three_bins_by_hand() -> None:
    # Same six customers, bins = 3: score = min(3, 1 + ⌊3w / (n − t)⌋).
    # R: F w=0 → 1; E 1 + ⌊3/5⌋ = 1; D 1 + ⌊6/5⌋ = 2; C 1 + ⌊9/5⌋ = 2; A, B (tied) 1 + 12/4 → 3.
    scored = _scored(SIX, bins=3)
    assert {cid: r["r_score"] for cid, r in scored.items()} == {
        "A": 3,
        "B": 3,
        "C": 2,
        "D": 2,
        "E": 1,
        "F": 1,
    }
    # A: F = M = 3 → FM 3 → on 5 points R 5, FM 5: champions.
    assert scored["A"]["segment"] == "champions"
    # D: R 2 → 3 on 5 points; F 1; M (tied with C) w=1, n − t = 4 → 1 + ⌊3/4⌋ = 1;
    # FM 1 → 1: about to sleep (R 3, FM 1).
    assert scored["D"]["segment"] == "about_to_sleep"


def test_segment_counts_follow_display_order() -> None:
    counts = segment_counts(score_rfm(_summary(SIX)))
    assert [c.code for c in counts] == [s.code for s in SEGMENTS]
    by_code = {c.code: (c.customers, c.revenue) for c in counts}
    assert by_code["champions"] == (1, 1000.0)
    assert by_code["cant_lose"] == (1, 5000.0)
    assert by_code["loyal"] == (0, 0.0)
    assert sum(c.customers for c in counts) == 6
    assert counts[0].label_fa == "قهرمانان"


def test_rfm_grid_has_every_cell() -> None:
    grid = rfm_grid(score_rfm(_summary(SIX)))
    assert len(grid) == 25
    assert [(c.r_score, c.fm_score) for c in grid[:3]] == [(1, 1), (1, 2), (1, 3)]
    cells = {(c.r_score, c.fm_score): c for c in grid}
    assert (cells[(5, 5)].customers, cells[(5, 5)].revenue) == (1, 1000.0)
    assert cells[(5, 5)].segment == "champions"
    assert cells[(1, 1)].customers == 0
    assert cells[(1, 1)].segment == "lost"
    assert sum(c.customers for c in grid) == 6


def test_every_cell_of_the_map_has_exactly_one_segment() -> None:
    for r in range(1, 6):
        for fm in range(1, 6):
            owners = [s.code for s in SEGMENTS if s.contains(r, fm)]
            assert len(owners) == 1, (r, fm, owners)
            assert segment_for(r, fm).code == owners[0]
    with pytest.raises(InputError):
        segment_for(0, 3)


def test_segments_are_documented() -> None:
    assert len(SEGMENTS) == 11
    assert len({s.code for s in SEGMENTS}) == 11
    for s in SEGMENTS:
        assert all((s.label_en, s.label_fa, s.rule_en, s.rule_fa, s.action_en, s.action_fa))
        assert segment_by_code(s.code) is s


@pytest.mark.parametrize(
    ("bins", "expected"),
    [
        (2, [1, 5]),
        (3, [1, 3, 5]),
        (4, [1, 2, 4, 5]),
        (5, [1, 2, 3, 4, 5]),
        (10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
    ],
)
def test_rescaling_to_five_points(bins: int, expected: list[int]) -> None:
    assert [to_five_point(s, bins) for s in range(1, bins + 1)] == expected


@pytest.mark.parametrize("bins", [1, 11, 0, True])
def test_bad_bins(bins: int) -> None:
    with pytest.raises(InputError):
        check_bins(bins)
    with pytest.raises(InputError):
        score_rfm(_summary(SIX), bins=bins)


customers = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=6),
        st.integers(min_value=0, max_value=400),
        st.sampled_from([10.0, 20.0, 55.5, 100.0, 1000.0]),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=30, deadline=None)
@given(customers, st.integers(min_value=2, max_value=10))
def test_scores_are_in_range_tied_and_monotone(
    rows: list[tuple[int, int, float]], bins: int
) -> None:
    summary = [(f"c{i}", f, d, m) for i, (f, d, m) in enumerate(rows)]
    scored = list(_scored(summary, bins=bins).values())
    for row in scored:
        for key in ("r_score", "f_score", "m_score", "fm_score"):
            assert 1 <= row[key] <= bins
        r5, fm5 = to_five_point(row["r_score"], bins), to_five_point(row["fm_score"], bins)
        assert row["segment"] == segment_for(r5, fm5).code
    for a in scored:
        for b in scored:
            # Equal values, equal scores; better values, scores at least as high.
            if a["total_amount"] >= b["total_amount"]:
                assert a["m_score"] >= b["m_score"]
            if a["frequency"] >= b["frequency"]:
                assert a["f_score"] >= b["f_score"]
            if a["days_since_last"] <= b["days_since_last"]:
                assert a["r_score"] >= b["r_score"]
    # The ends: the worst value scores 1 and, unless everyone is tied, the best scores bins.
    for score, key, sign in (("m_score", "total_amount", 1), ("r_score", "days_since_last", -1)):
        values = [sign * row[key] for row in scored]
        best = [row[score] for row, v in zip(scored, values, strict=True) if v == max(values)]
        worst = [row[score] for row, v in zip(scored, values, strict=True) if v == min(values)]
        assert set(worst) == {1}
        if max(values) != min(values):
            assert set(best) == {bins}
