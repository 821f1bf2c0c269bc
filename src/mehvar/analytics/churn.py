"""Churn, defined explicitly: by inactivity per period, and by the model's P(alive).

**Inactivity.** With ``K = inactive_days``, a customer's status at the *end of day t* (counting
purchases on days ≤ t) is

* *unknown* before their first purchase,
* *active* when their last purchase so far is at most ``K`` days before ``t``,
* *lapsed* when it is more than ``K`` days before ``t``.

For each calendar period (month, or Saturday week; Gregorian or Jalali; see
:mod:`~mehvar.analytics.periods`) with first day ``S`` and last day ``E``:

* ``active_at_start``: active at the end of day ``S − 1`` (= ``active_at_end`` of the period
  before);
* ``churned``: active at the start and lapsed at the end of ``E``;
* ``reactivated``: lapsed at the start and purchased during the period;
* ``new``: first purchase during the period;
* ``active_at_end``: active at the end of ``E``;
* ``churn_rate = churned / active_at_start`` (None when nobody was active at the start).

A customer who lapses and comes back within one period counts in none of churned and
reactivated. ``K`` must be at least as long as a period minus one day (30 for months, 6 for
weeks): then a purchase in a period always leaves the customer active at its end, so the counts
add up exactly: ``active_at_end = active_at_start − churned + reactivated + new``.

Periods run from the one holding the first purchase to the last *complete* one (its last day is
on or before ``observation_end``). The period holding ``observation_end`` is incomplete unless
``observation_end`` is its last day; it is dropped, or, with ``include_incomplete=True``, kept
with ``complete=False`` and its end statuses taken at ``observation_end``. Purchases after the
last reported day are ignored.

The engine does not walk customer × period: one window over each customer's purchase days marks
where activity *spells* break (a gap of more than ``K + 1`` days: the customer was lapsed on at
least one day in between) and each break gives a churn event in the period of the lapse day
(last purchase + K + 1) and a reactivation in the period of the return; the two cancel when
they fall in the same period. The counts per period come back from one query and the running
totals are a cumulative sum.

**Model-based.** :func:`at_risk` lists valuable customers (top ``top_share`` by a value column,
CLV by default) whose P(alive) is below a threshold; :func:`churn_risk_label` turns P(alive)
into a label: **high** below 0.3, **medium** from 0.3 to below 0.6, **low** from 0.6.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Final, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
from ibis import _
from numpy.typing import ArrayLike, NDArray

from mehvar.analytics.errors import InputError, gettext_noop
from mehvar.analytics.pareto import check_share, is_top_expr
from mehvar.analytics.periods import (
    Calendar,
    PeriodKind,
    add_period_index,
    check_calendar,
    max_period_days,
    period_info,
    reporting_window,
)

__all__ = [
    "HIGH_RISK_BELOW",
    "MEDIUM_RISK_BELOW",
    "ChurnPeriod",
    "ChurnResult",
    "RiskLabel",
    "at_risk",
    "churn_by_period",
    "churn_risk_expr",
    "churn_risk_label",
    "churn_risk_labels",
    "current_churn_share",
]

RiskLabel = Literal["low", "medium", "high"]

HIGH_RISK_BELOW: Final = 0.3
MEDIUM_RISK_BELOW: Final = 0.6

_N: Final = "__mehvar_n"


@dataclass(frozen=True)
class ChurnPeriod:
    """One period's flows; ``start``/``end`` are ISO Gregorian days (``end`` inclusive)."""

    index: int
    label: str
    start: str
    end: str
    complete: bool
    active_at_start: int
    churned: int
    reactivated: int
    new: int
    active_at_end: int
    churn_rate: float | None


@dataclass(frozen=True)
class ChurnResult:
    """Churn per period; ``overall_churn_rate`` pools the complete periods (Σ churned ÷ Σ
    active at start)."""

    inactive_days: int
    calendar: str
    period: str
    observation_end: str
    periods: list[ChurnPeriod]
    overall_churn_rate: float | None


def _check_inactive_days(inactive_days: int, period: PeriodKind) -> int:
    shortest = max_period_days(period) - 1
    if (
        isinstance(inactive_days, bool)
        or not isinstance(inactive_days, int)
        or (inactive_days < shortest)
    ):
        raise InputError(
            gettext_noop(
                "Inactive days must be a whole number of at least %(minimum)s for this period."
            ),
            minimum=shortest,
        )
    return inactive_days


def _events(
    purchases: ibis.Table,
    *,
    inactive_days: int,
    cutoff: date,
    calendar: Calendar,
    period: PeriodKind,
) -> ibis.Table:
    """Customer counts by (period of a first purchase, of a lapse, of the return after it).

    Each marked purchase day is a customer's first (``new`` set), the last of an activity spell
    (``lapsed`` = the period of the lapse day, ``returned`` = that of the next purchase, NULL
    when there is none before the cutoff), or both.
    """
    gap = inactive_days + 1
    last_day = ibis.date(cutoff)
    p = purchases.filter(purchases.date <= last_day).select("customer_id", "date")
    w = ibis.window(group_by=p.customer_id, order_by=p.date)
    p = p.mutate(prev=p.date.lag().over(w), nxt=p.date.lead().over(w))
    lapse = p.date + ibis.interval(days=gap)
    ends = p.nxt.isnull() & (lapse <= last_day)
    breaks = p.nxt.notnull() & (p.nxt.delta(p.date, unit="day") > gap)
    marks = p.filter(p.prev.isnull() | ends | breaks)
    marks = marks.mutate(
        lapse=ibis.ifelse(ends | breaks, lapse, ibis.null("date")), is_new=marks.prev.isnull()
    )
    for column, out in (("date", "p_date"), ("lapse", "p_lapse"), ("nxt", "p_return")):
        marks = add_period_index(marks, date_col=column, out=out, calendar=calendar, period=period)
    # One small aggregate (a few thousand rows) rather than a union of three: the engine then
    # computes the window above once. The accounting happens in NumPy in _flows.
    return marks.group_by(
        new=ibis.ifelse(marks.is_new, marks.p_date, ibis.null("int64")),
        lapsed=marks.p_lapse,
        returned=ibis.ifelse(marks.p_lapse.notnull(), marks.p_return, ibis.null("int64")),
    ).aggregate(n=_.count())


def churn_by_period(
    purchases: ibis.Table,
    *,
    observation_end: date,
    inactive_days: int = 180,
    calendar: Calendar = "gregorian",
    period: PeriodKind = "M",
    include_incomplete: bool = False,
) -> ChurnResult:
    """Churn per period by inactivity (definitions in the module docstring)."""
    calendar, period = check_calendar(calendar, period)
    _check_inactive_days(inactive_days, period)
    last, cutoff = reporting_window(
        observation_end, calendar=calendar, period=period, include_incomplete=include_incomplete
    )
    events = _events(
        purchases, inactive_days=inactive_days, cutoff=cutoff, calendar=calendar, period=period
    ).to_pyarrow()
    result = ChurnResult(
        inactive_days=inactive_days,
        calendar=calendar,
        period=period,
        observation_end=observation_end.isoformat(),
        periods=[],
        overall_churn_rate=None,
    )
    if events.num_rows == 0:
        return result
    rows = _flows(events, last, observation_end, calendar=calendar, period=period)
    complete = [r for r in rows if r.complete]
    at_start = sum(r.active_at_start for r in complete)
    overall = sum(r.churned for r in complete) / at_start if at_start else None
    return replace(result, periods=rows, overall_churn_rate=overall)


def _flows(
    events: pa.Table, last: int, observation_end: date, *, calendar: Calendar, period: PeriodKind
) -> list[ChurnPeriod]:
    def column(name: str) -> NDArray[np.float64]:
        # NULL → NaN, so that the masks below can pick the rows where a period is set.
        return np.asarray(events[name].cast(pa.float64()).to_numpy(zero_copy_only=False))

    new, lapsed, returned = column("new"), column("lapsed"), column("returned")
    counts = np.asarray(events["n"].to_numpy(), dtype=np.int64)
    if np.isnan(new).all():
        # Only days the calendar cannot place (a Jalali day before 1900): nothing to report.
        return []
    first = int(np.nanmin(new))
    size = last - first + 1
    # A lapse and a return in the same period leave the customer active at both checkpoints.
    real = ~np.isnan(lapsed) & (lapsed != returned)
    back = real & ~np.isnan(returned)

    def per_period(index: NDArray[np.float64], mask: NDArray[np.bool_]) -> NDArray[np.int64]:
        return np.bincount(index[mask].astype(np.int64) - first, counts[mask], size).astype(
            np.int64
        )

    flows = {
        "new": per_period(new, ~np.isnan(new)),
        "churned": per_period(lapsed, real),
        "reactivated": per_period(returned, back),
    }
    active_end = np.cumsum(flows["new"] + flows["reactivated"] - flows["churned"])
    active_start = np.concatenate(([0], active_end[:-1]))
    rows = []
    for i in range(size):
        info = period_info(first + i, calendar=calendar, period=period)
        start, churned = int(active_start[i]), int(flows["churned"][i])
        rows.append(
            ChurnPeriod(
                index=info.index,
                label=info.label,
                start=info.start.isoformat(),
                end=info.end.isoformat(),
                complete=info.end <= observation_end,
                active_at_start=start,
                churned=churned,
                reactivated=int(flows["reactivated"][i]),
                new=int(flows["new"][i]),
                active_at_end=int(active_end[i]),
                churn_rate=churned / start if start else None,
            )
        )
    return rows


def current_churn_share(summary: ibis.Table, *, inactive_days: int = 180) -> float | None:
    """Share of the summary's customers lapsed at the observation end (None when empty)."""
    lapsed = (summary.days_since_last > inactive_days).cast("int64")
    row = summary.aggregate(n=summary.count(), lapsed=lapsed.sum()).to_pyarrow().to_pylist()[0]
    return row["lapsed"] / row["n"] if row["n"] else None


def churn_risk_label(p_alive: float) -> RiskLabel | None:
    """ "high" below 0.3, "medium" below 0.6, else "low"; None for a missing (NaN) P(alive)."""
    if math.isnan(p_alive):
        return None
    if p_alive < HIGH_RISK_BELOW:
        return "high"
    return "medium" if p_alive < MEDIUM_RISK_BELOW else "low"


def churn_risk_labels(p_alive: ArrayLike) -> pa.Array:
    """:func:`churn_risk_label` over an array, as a pyarrow string array (NULL for NaN)."""
    p: NDArray[np.float64] = np.asarray(p_alive, dtype=np.float64)
    labels = np.select(
        [np.isnan(p), p < HIGH_RISK_BELOW, p < MEDIUM_RISK_BELOW], ["", "high", "medium"], "low"
    )
    return pa.array(labels.tolist(), type=pa.string(), mask=np.isnan(p))


def churn_risk_expr(p_alive: ir.NumericValue) -> ir.StringValue:
    """:func:`churn_risk_label` as a column expression (NULL for a NULL or NaN P(alive))."""
    missing = p_alive.isnull() | p_alive.cast("float64").isnan()
    return ibis.cases(
        (missing, ibis.null("string")),
        (p_alive < HIGH_RISK_BELOW, ibis.literal("high")),
        (p_alive < MEDIUM_RISK_BELOW, ibis.literal("medium")),
        else_=ibis.literal("low"),
    )


def at_risk(
    customers: pa.Table | ibis.Table,
    *,
    p_alive_threshold: float = 0.5,
    value_col: str = "clv",
    top_share: float = 0.2,
) -> ibis.Table:
    """Valuable customers the model thinks are slipping away, most valuable first.

    Valuable: in the top ``⌈top_share × n⌉`` by ``value_col`` among the customers whose value is
    known (NULL or NaN values, e.g. CLV without a model fit, are left out; ties broken by
    customer_id). Slipping: ``p_alive < p_alive_threshold``. Adds ``value_rank`` (1 = most
    valuable).
    """
    share = check_share(top_share)
    t = customers if isinstance(customers, ibis.Table) else ibis.memtable(customers)
    for column in ("customer_id", "p_alive", value_col):
        if column not in t.columns:
            raise InputError(gettext_noop("Column %(column)s is missing."), column=column)
    value = t[value_col]
    known = value.notnull()
    if value.type().is_floating():
        known = known & ~value.isnan()
    t = t.filter(known)
    order = [ibis.desc(t[value_col]), t.customer_id]
    ranked = t.mutate(value_rank=(ibis.row_number().over(order_by=order) + 1).cast("int64"))
    ranked = ranked.mutate(**{_N: ranked.customer_id.count().over()})
    top = is_top_expr(ranked.value_rank, ranked[_N], share)
    slipping = ranked.p_alive < p_alive_threshold
    return ranked.filter(top & slipping).drop(_N).order_by("value_rank")
