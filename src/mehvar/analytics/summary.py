"""The customer-base summary: frequency, recency, age and repeat spend per customer.

Definitions as in the customer-base-analysis literature (and lifetimes'
``summary_data_from_transaction_data``) at day precision:

- ``frequency``: repeat purchases — distinct purchase days minus one (several purchases on one
  day count once; a customer's first day starts the relationship and is not a repeat);
- ``recency``: from the first to the last purchase day, in ``freq`` units;
- ``T``: from the first purchase day to the observation end, in ``freq`` units;
- ``monetary_value``: the mean value of the repeat days (the first day excluded, since the
  Gamma-Gamma model describes repeat spend); 0 for customers with no repeat day.

Units: ``D`` = 1 day, ``W`` = 7 days, ``M`` = 365.25 / 12 days; recency and T are fractional.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = ["FREQ_DAYS", "customer_totals", "freq_days", "summarise", "summary_from_totals"]

FREQ_DAYS: Final[dict[str, float]] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def freq_days(freq: str) -> float:
    try:
        return FREQ_DAYS[freq.upper()]
    except KeyError:
        raise InputError(
            gettext_noop("Unknown time unit %(freq)s: use D (days), W (weeks) or M (months)."),
            freq=freq,
        ) from None


def customer_totals(days: ir.Table, *, where: ir.BooleanValue | None = None) -> dict[str, Any]:
    """The per-customer aggregates a summary is made of, over purchase days (``where``)."""
    return {
        "first_date": days.date.min(where=where),
        "last_date": days.date.max(where=where),
        "purchase_days": days.count(where=where),
        "total_amount": days.amount.sum(where=where),
        "first_amount": days.amount.argmin(days.date, where=where),
        "total_cost": (
            days.cost.sum(where=where) if "cost" in days.columns else ibis.null("float64")
        ),
    }


def summarise(purchases: ir.Table, *, freq: str = "W", observation_end: date) -> ir.Table:
    """One row per customer who bought on or before ``observation_end`` (see the module doc)."""
    end = ibis.date(observation_end)
    seen = purchases.filter(purchases.date <= end)
    totals = seen.group_by("customer_id").aggregate(**customer_totals(seen))
    return summary_from_totals(totals, freq=freq, observation_end=observation_end)


def summary_from_totals(totals: ir.Table, *, freq: str, observation_end: date) -> ir.Table:
    """The summary columns from :func:`customer_totals` (customers without a day are left out)."""
    days = freq_days(freq)
    end = ibis.date(observation_end)
    c = totals.filter(totals.purchase_days > 0, totals.customer_id.notnull())
    frequency = (c.purchase_days - 1).cast("int64")
    return c.select(
        customer_id=c.customer_id,
        frequency=frequency,
        recency=c.last_date.delta(c.first_date, unit="day").cast("float64") / days,
        T=end.delta(c.first_date, unit="day").cast("float64") / days,
        monetary_value=ibis.ifelse(
            frequency > 0, (c.total_amount - c.first_amount) / frequency.cast("float64"), 0.0
        ),
        first_date=c.first_date,
        last_date=c.last_date,
        days_since_last=end.delta(c.last_date, unit="day").cast("int64"),
        total_amount=c.total_amount,
        total_cost=c.total_cost,
    )
