"""How concentrated revenue is: the Pareto share, the Gini coefficient and the Lorenz curve.

Definitions (on the summary's ``total_amount``, revenue up to the observation end):

* **Top customers**: the ``k = ⌈top_share × n⌉`` customers with the most revenue (at least one
  when there are customers); ties at the boundary are broken by ``customer_id`` so a run is
  reproducible. Rounding up means the top group is never smaller than ``top_share`` of the base,
  so its revenue share is always at least ``top_share``.
* **Revenue share of the top**: their revenue ÷ all revenue ("20 % of customers bring 63 %").
* **Margin share of the top**: the same with margin = ``total_amount − total_cost``, the top
  being the ``k`` customers with the highest margin, among customers whose cost is known; None
  when no customer has a cost or the total margin is not positive (the share means nothing).
* **Gini**: ``G = 2·Σᵢ i·xᵢ / (n·Σ x) − (n + 1)/n`` with revenue ``x`` sorted ascending and
  ``i = 1..n``: 0 when everyone spends the same, ``(n − 1)/n`` when one customer has it all.
* **Lorenz curve**: ``lorenz_points`` evenly spaced customer shares from 0 to 1 (customers
  sorted from smallest to biggest) with the share of revenue they bring, linearly interpolated
  between customers: it starts at (0, 0), ends at (1, 1) and never decreases.

The figures need the sorted revenue of every customer, so :func:`analyse_pareto` fetches the
two numeric columns once (8 bytes a customer each) and works on NumPy arrays;
:func:`pareto_ranks` stays an Ibis expression.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = [
    "ParetoResult",
    "analyse_pareto",
    "check_share",
    "gini",
    "is_top_expr",
    "lorenz_curve",
    "pareto_ranks",
    "top_count",
]

Array = NDArray[np.float64]

# top_share × n is computed in floating point (0.1 × 30 = 3.0000000000000004); without this
# slack an exact boundary would round up to one customer too many.
_SHARE_SLACK = 1e-9
_N = "__mehvar_n"


@dataclass(frozen=True)
class ParetoResult:
    n_customers: int
    revenue_total: float
    top_share: float
    top_customers: int
    revenue_share_of_top: float | None
    margin_share_of_top: float | None
    gini: float | None
    lorenz: list[tuple[float, float]]


def check_share(top_share: float) -> float:
    """``top_share`` as a float in (0, 1]; ``InputError`` otherwise."""
    if not 0 < top_share <= 1:
        raise InputError(
            gettext_noop("The top share must be above 0 and at most 1, not %(share)s."),
            share=top_share,
        )
    return float(top_share)


def top_count(n: int, top_share: float) -> int:
    """``⌈top_share × n⌉``: how many customers make the top group."""
    return max(0, math.ceil(n * top_share - _SHARE_SLACK))


def is_top_expr(rank: ir.IntegerValue, n: ir.IntegerValue, top_share: float) -> ir.BooleanValue:
    """``rank`` (1 = biggest) is in the top group of ``n``: the table twin of :func:`top_count`."""
    # rank ≤ ⌈x⌉ ⇔ rank − 1 < x for an integer rank, which avoids a ceil in SQL.
    return (rank - 1) < (n * top_share - _SHARE_SLACK)


def gini(values: Array) -> float | None:
    """Gini coefficient of non-negative ``values``; None when there are none or they sum to 0."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n = x.size
    total = float(x.sum())
    if n == 0 or total <= 0:
        return None
    weights = np.arange(1, n + 1, dtype=np.float64)
    return float(2.0 * float(weights @ x) / (n * total) - (n + 1) / n)


def lorenz_curve(values: Array, points: int = 101) -> list[tuple[float, float]]:
    """``points`` (customer share, revenue share) pairs; [] when there is nothing to share."""
    if points < 2:
        raise InputError(
            gettext_noop("The Lorenz curve needs at least 2 points, not %(points)s."),
            points=points,
        )
    x = np.sort(np.asarray(values, dtype=np.float64))
    total = float(x.sum())
    if x.size == 0 or total <= 0:
        return []
    cumulative = np.concatenate(([0.0], np.cumsum(x) / total))
    shares = np.linspace(0.0, 1.0, points)
    revenue = np.interp(shares * x.size, np.arange(x.size + 1), cumulative)
    # Pin the end exactly: a cumulative sum can finish a hair off 1.
    revenue[-1] = 1.0
    return [(float(s), float(r)) for s, r in zip(shares, revenue, strict=True)]


def _top_share_of(values: Array, k: int) -> float | None:
    total = float(values.sum())
    if values.size == 0 or total <= 0:
        return None
    top = np.partition(values, values.size - k)[values.size - k :] if k else values[:0]
    return float(top.sum()) / total


def _floats(column: pa.ChunkedArray) -> Array:
    # A cost column that is NULL everywhere may arrive typed "null"; the cast makes NULL → NaN.
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def analyse_pareto(
    summary: ibis.Table, *, top_share: float = 0.2, lorenz_points: int = 101
) -> ParetoResult:
    """Revenue concentration of the customers in ``summary`` (see the module docstring)."""
    share = check_share(top_share)
    data = summary.select("total_amount", "total_cost").to_pyarrow()
    revenue = _floats(data["total_amount"])
    n = int(revenue.size)
    k = top_count(n, share)
    return ParetoResult(
        n_customers=n,
        revenue_total=float(revenue.sum()),
        top_share=share,
        top_customers=k,
        revenue_share_of_top=_top_share_of(revenue, k),
        margin_share_of_top=_margin_share(revenue, _floats(data["total_cost"]), share),
        gini=gini(revenue),
        lorenz=lorenz_curve(revenue, lorenz_points),
    )


def _margin_share(revenue: Array, cost: Array, share: float) -> float | None:
    known = ~np.isnan(cost)
    margin = revenue[known] - cost[known]
    if margin.size == 0 or float(margin.sum()) <= 0:
        return None
    return _top_share_of(margin, top_count(margin.size, share))


def pareto_ranks(summary: ibis.Table, *, top_share: float = 0.2) -> ibis.Table:
    """customer_id, revenue_rank, revenue_percentile and is_top for every customer.

    ``revenue_rank``: 1 = most revenue, ties broken by ``customer_id``. ``revenue_percentile``:
    the percentage of customers whose revenue is at most this customer's (0 < p ≤ 100, 100 for
    the top; equal revenue, equal percentile). ``is_top``: in the top ``⌈top_share × n⌉``.
    """
    share = check_share(top_share)
    t = summary
    rank = ibis.row_number().over(order_by=[ibis.desc(t.total_amount), t.customer_id]) + 1
    n = t.customer_id.count().over()
    ranked = t.select(
        "customer_id",
        revenue_rank=rank.cast("int64"),
        revenue_percentile=100.0 * ibis.cume_dist().over(order_by=t.total_amount),
        **{_N: n},
    )
    return ranked.select(
        "customer_id",
        "revenue_rank",
        "revenue_percentile",
        is_top=is_top_expr(ranked.revenue_rank, ranked[_N], share),
    )
