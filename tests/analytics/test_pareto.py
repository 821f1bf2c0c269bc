"""Pareto share, Gini and Lorenz curve on revenues worked out by hand."""

from __future__ import annotations

from itertools import pairwise

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.errors import InputError
from mehvar.analytics.pareto import (
    analyse_pareto,
    gini,
    lorenz_curve,
    pareto_ranks,
    top_count,
)


def _summary(amounts: list[float], costs: list[float | None] | None = None) -> ibis.Table:
    n = len(amounts)
    table = pa.table(
        {
            "customer_id": pa.array([f"c{i}" for i in range(n)], type=pa.string()),
            "total_amount": pa.array(amounts, type=pa.float64()),
            "total_cost": pa.array(costs if costs is not None else [None] * n, type=pa.float64()),
        }
    )
    return ibis.memtable(table)


def test_five_customers_by_hand() -> None:
    # Revenue 10, 20, 30, 40, 100: total 200.
    result = analyse_pareto(_summary([40, 10, 100, 30, 20]), lorenz_points=6)
    assert (result.n_customers, result.revenue_total) == (5, 200.0)
    # Top 20 % of 5 = 1 customer, who brings 100 / 200.
    assert result.top_customers == 1
    assert result.revenue_share_of_top == pytest.approx(0.5)
    # Gini: Σ i·x = 1·10 + 2·20 + 3·30 + 4·40 + 5·100 = 800; 2·800 / (5·200) − 6/5 = 0.4.
    assert result.gini == pytest.approx(0.4)
    # Lorenz at customer shares 0, .2, …, 1: cumulative 0, 10, 30, 60, 100, 200 out of 200.
    expected = [(0.0, 0.0), (0.2, 0.05), (0.4, 0.15), (0.6, 0.3), (0.8, 0.5), (1.0, 1.0)]
    assert len(result.lorenz) == len(expected)
    for point, want in zip(result.lorenz, expected, strict=True):
        assert point == pytest.approx(want)
    assert result.margin_share_of_top is None  # no cost data


def test_lorenz_interpolates_between_customers() -> None:
    # Share 0.1 of 5 customers is half of the smallest (10 of 200 → 0.025); 0.3 is halfway
    # between 0.05 and 0.15.
    curve = lorenz_curve(np.array([10.0, 20.0, 30.0, 40.0, 100.0]), 11)
    assert curve[1] == pytest.approx((0.1, 0.025))
    assert curve[3] == pytest.approx((0.3, 0.1))


def test_margin_share_ranks_by_margin() -> None:
    # Margins: 40−30=10, 10−5=5, 100−90=10, 30−10=20, 20−10=10 → total 55; the top one
    # (by margin) is the 20, not the biggest spender: 20 / 55.
    result = analyse_pareto(_summary([40, 10, 100, 30, 20], [30, 5, 90, 10, 10]))
    assert result.margin_share_of_top == pytest.approx(20 / 55)


def test_margin_share_uses_customers_with_a_known_cost() -> None:
    # The customer without cost is left out: margins 5, 10, 20, 10 → 45; top ⌈0.2 × 4⌉ = 1.
    result = analyse_pareto(_summary([40, 10, 100, 30, 20], [None, 5, 90, 10, 10]))
    assert result.margin_share_of_top == pytest.approx(20 / 45)


def test_margin_share_is_none_when_margin_is_not_positive() -> None:
    result = analyse_pareto(_summary([10, 10], [20, 20]))
    assert result.margin_share_of_top is None


def test_gini_known_cases() -> None:
    assert gini(np.full(7, 123.0)) == pytest.approx(0.0, abs=1e-12)
    # One customer has everything among n: (n − 1) / n.
    for n in (2, 4, 10, 1000):
        values = np.zeros(n)
        values[3 % n] = 50.0
        assert gini(values) == pytest.approx((n - 1) / n)
    assert gini(np.array([])) is None
    assert gini(np.zeros(3)) is None


def test_all_equal_customers() -> None:
    result = analyse_pareto(_summary([5.0] * 10))
    assert result.gini == pytest.approx(0.0, abs=1e-12)
    assert result.top_customers == 2
    assert result.revenue_share_of_top == pytest.approx(0.2)
    assert all(s == pytest.approx(r) for s, r in result.lorenz)


def test_single_customer() -> None:
    result = analyse_pareto(_summary([42.0]), lorenz_points=3)
    assert (result.n_customers, result.top_customers) == (1, 1)
    assert result.revenue_share_of_top == 1.0
    assert result.gini == pytest.approx(0.0)
    assert result.lorenz == [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)]


def test_no_customers() -> None:
    result = analyse_pareto(_summary([]))
    assert (result.n_customers, result.revenue_total, result.top_customers) == (0, 0.0, 0)
    assert result.revenue_share_of_top is None
    assert result.gini is None
    assert result.lorenz == []


@pytest.mark.parametrize(
    ("n", "share", "expected"),
    [(5, 0.2, 1), (7, 0.2, 2), (30, 0.1, 3), (10, 1.0, 10), (1, 0.2, 1), (0, 0.2, 0)],
)
def test_top_count_rounds_up_without_float_noise(n: int, share: float, expected: int) -> None:
    # 0.1 × 30 is 3.0000000000000004 in floating point: still 3 customers.
    assert top_count(n, share) == expected


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_bad_top_share(share: float) -> None:
    with pytest.raises(InputError):
        analyse_pareto(_summary([1.0]), top_share=share)
    with pytest.raises(InputError):
        pareto_ranks(_summary([1.0]), top_share=share)


def test_bad_lorenz_points() -> None:
    with pytest.raises(InputError):
        analyse_pareto(_summary([1.0]), lorenz_points=1)


def test_pareto_ranks_by_hand() -> None:
    # c0 100, c1 50, c2 50, c3 10. Ranks: c0 1, c1 2, c2 3 (tie broken by id), c3 4.
    # Percentile = % of customers with revenue ≤ theirs: c3 25, c1 and c2 75, c0 100.
    ranks = pareto_ranks(_summary([100, 50, 50, 10]), top_share=0.5).to_pyarrow().to_pylist()
    got = {
        r["customer_id"]: (r["revenue_rank"], r["revenue_percentile"], r["is_top"]) for r in ranks
    }
    assert got == {
        "c0": (1, 100.0, True),
        "c1": (2, 75.0, True),
        "c2": (3, 75.0, False),
        "c3": (4, 25.0, False),
    }
    # Top 20 % of 4 = ⌈0.8⌉ = 1 customer.
    top = pareto_ranks(_summary([100, 50, 50, 10])).filter(ibis._.is_top).to_pyarrow()
    assert top["customer_id"].to_pylist() == ["c0"]


def test_pareto_ranks_of_no_customers() -> None:
    table = pareto_ranks(_summary([])).to_pyarrow()
    assert table.num_rows == 0
    assert table.column_names == ["customer_id", "revenue_rank", "revenue_percentile", "is_top"]


revenues = st.lists(
    st.floats(min_value=0.01, max_value=1e7, allow_nan=False), min_size=1, max_size=60
)


@settings(max_examples=40, deadline=None)
@given(revenues, st.floats(min_value=0.01, max_value=1.0))
def test_concentration_properties(amounts: list[float], share: float) -> None:
    result = analyse_pareto(_summary(amounts), top_share=share, lorenz_points=21)
    n = len(amounts)
    # The top k ≥ share × n customers hold at least share of revenue, and never more than all.
    assert result.revenue_share_of_top is not None
    assert share - 1e-9 <= result.revenue_share_of_top <= 1 + 1e-9
    assert result.gini is not None
    assert -1e-9 <= result.gini <= (n - 1) / n + 1e-9
    lorenz = result.lorenz
    assert lorenz[0] == (0.0, 0.0)
    assert lorenz[-1] == (1.0, 1.0)
    for (s0, r0), (s1, r1) in pairwise(lorenz):
        assert s1 > s0
        assert r1 >= r0 - 1e-12
    # Customers sorted ascending: the curve never rises above the diagonal.
    assert all(r <= s + 1e-9 for s, r in lorenz)
    ranks = pareto_ranks(_summary(amounts), top_share=share).to_pyarrow()
    assert sum(ranks["is_top"].to_pylist()) == result.top_customers
    assert sorted(ranks["revenue_rank"].to_pylist()) == list(range(1, n + 1))
