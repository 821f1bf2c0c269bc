"""Acquisition cohorts: how each month's new customers keep buying.

* A customer's **cohort** is the period (month by default; Gregorian or Jalali) of their first
  purchase.
* For cohort ``c`` and ``k = 0, 1, …`` periods since acquisition, **active customers** are the
  cohort's customers who bought in period ``c + k``; **retention** = active ÷ cohort size (1 at
  ``k = 0``), **revenue** = what the cohort spent in that period and **revenue per customer** =
  revenue ÷ cohort size (not ÷ active: it is what an average acquired customer is worth in that
  period, so it can be summed over ``k`` into a cumulative value per customer).
* Only complete periods are shown, as in churn: the period holding ``observation_end`` is dropped
  unless ``observation_end`` is its last day or ``include_incomplete=True``; purchases after the
  last reported day are ignored. A cohort's cells run from ``k = 0`` to the last reported period
  (at most ``max_periods`` cells), with zeros where nobody bought.
* ``retention_by_k`` pools the cohorts that have reached ``k``: Σ active ÷ Σ size.

One query: a window over each customer's purchase days, ordered by day, gives the cohort and
marks each customer's first purchase in a period; cells are sums per (cohort, k).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import ibis
import pyarrow as pa

from mehvar.analytics.errors import InputError, gettext_noop
from mehvar.analytics.periods import (
    Calendar,
    PeriodKind,
    add_period_index,
    check_calendar,
    period_info,
    reporting_window,
)

__all__ = ["Cohort", "CohortCell", "CohortResult", "cohort_matrix", "cohort_table"]


@dataclass(frozen=True)
class CohortCell:
    k: int
    period_label: str
    active_customers: int
    retention: float
    revenue: float
    revenue_per_customer: float


@dataclass(frozen=True)
class Cohort:
    """One acquisition cohort; ``start`` is the ISO Gregorian first day of its period."""

    label: str
    start: str
    size: int
    cells: list[CohortCell]


@dataclass(frozen=True)
class CohortResult:
    calendar: str
    period: str
    observation_end: str
    cohorts: list[Cohort]
    retention_by_k: list[float]


def _check_limit(value: int | None, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise InputError(gettext_noop("%(name)s must be a whole number of at least 1."), name=name)


def _cells(
    purchases: ibis.Table,
    *,
    cutoff: date,
    calendar: Calendar,
    period: PeriodKind,
    max_periods: int | None,
) -> pa.Table:
    p = purchases.filter(purchases.date <= ibis.date(cutoff)).select(
        "customer_id", "date", "amount"
    )
    p = add_period_index(p, calendar=calendar, period=period)
    # A Jalali day outside 1900–2199 has no month: such a purchase cannot be placed.
    p = p.filter(p.period_index.notnull())
    # One ordered pass per customer gives both the cohort (the first row's period) and whether
    # a row is the customer's first in its period, so active customers are a plain sum: cheaper
    # than deduplicating (customer, period) pairs in a hash table of millions of groups.
    w = ibis.window(group_by=p.customer_id, order_by=p.date)
    p = p.mutate(cohort_index=p.period_index.first().over(w), previous=p.period_index.lag().over(w))
    opens = p.previous.isnull() | (p.previous != p.period_index)
    p = p.mutate(k=p.period_index - p.cohort_index, opens=opens.cast("int64"))
    if max_periods is not None:
        p = p.filter(p.k < max_periods)
    cells = p.group_by("cohort_index", "k").aggregate(
        active_customers=p.opens.sum(), revenue=p.amount.sum()
    )
    return cells.to_pyarrow()


def cohort_matrix(
    purchases: ibis.Table,
    *,
    observation_end: date,
    calendar: Calendar = "gregorian",
    period: PeriodKind = "M",
    max_periods: int | None = None,
    max_cohorts: int | None = None,
    include_incomplete: bool = False,
) -> CohortResult:
    """The cohort × periods-since-acquisition matrix (definitions in the module docstring).

    ``max_periods`` caps the cells per cohort (k < max_periods); ``max_cohorts`` keeps only the
    latest cohorts.
    """
    calendar, period = check_calendar(calendar, period)
    _check_limit(max_periods, "max_periods")
    _check_limit(max_cohorts, "max_cohorts")
    last, cutoff = reporting_window(
        observation_end, calendar=calendar, period=period, include_incomplete=include_incomplete
    )
    table = _cells(
        purchases, cutoff=cutoff, calendar=calendar, period=period, max_periods=max_periods
    )
    found = {
        (row["cohort_index"], row["k"]): (row["active_customers"], row["revenue"])
        for row in table.to_pylist()
    }
    indexes = sorted({c for c, _ in found})
    if max_cohorts is not None:
        indexes = indexes[-max_cohorts:]
    cohorts = [
        _cohort(c, last, found, calendar=calendar, period=period, max_periods=max_periods)
        for c in indexes
    ]
    return CohortResult(
        calendar=calendar,
        period=period,
        observation_end=observation_end.isoformat(),
        cohorts=cohorts,
        retention_by_k=_pooled_retention(cohorts),
    )


def _cohort(
    index: int,
    last: int,
    found: dict[tuple[int, int], tuple[int, float]],
    *,
    calendar: Calendar,
    period: PeriodKind,
    max_periods: int | None,
) -> Cohort:
    info = period_info(index, calendar=calendar, period=period)
    size = found[(index, 0)][0]
    span = last - index + 1 if max_periods is None else min(last - index + 1, max_periods)
    cells = []
    for k in range(span):
        active, revenue = found.get((index, k), (0, 0.0))
        cells.append(
            CohortCell(
                k=k,
                period_label=period_info(index + k, calendar=calendar, period=period).label,
                active_customers=int(active),
                retention=active / size,
                revenue=float(revenue),
                revenue_per_customer=float(revenue) / size,
            )
        )
    return Cohort(label=info.label, start=info.start.isoformat(), size=size, cells=cells)


def _pooled_retention(cohorts: list[Cohort]) -> list[float]:
    longest = max((len(c.cells) for c in cohorts), default=0)
    pooled = []
    for k in range(longest):
        reached = [c for c in cohorts if len(c.cells) > k]
        active = sum(c.cells[k].active_customers for c in reached)
        pooled.append(active / sum(c.size for c in reached))
    return pooled


def cohort_table(result: CohortResult) -> ibis.Table:
    """The matrix in long format, one row per cohort and k, for a CSV export.

    Columns: cohort, cohort_start, cohort_size, k, period, active_customers, retention,
    revenue, revenue_per_customer.
    """
    rows = [
        {
            "cohort": c.label,
            "cohort_start": date.fromisoformat(c.start),
            "cohort_size": c.size,
            "k": cell.k,
            "period": cell.period_label,
            "active_customers": cell.active_customers,
            "retention": cell.retention,
            "revenue": cell.revenue,
            "revenue_per_customer": cell.revenue_per_customer,
        }
        for c in result.cohorts
        for cell in c.cells
    ]
    schema = pa.schema(
        [
            ("cohort", pa.string()),
            ("cohort_start", pa.date32()),
            ("cohort_size", pa.int64()),
            ("k", pa.int64()),
            ("period", pa.string()),
            ("active_customers", pa.int64()),
            ("retention", pa.float64()),
            ("revenue", pa.float64()),
            ("revenue_per_customer", pa.float64()),
        ]
    )
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))
