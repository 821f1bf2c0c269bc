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
from typing import Final

import ibis
import ibis.expr.types as ir

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = ["FREQ_DAYS", "freq_days", "summarise"]

FREQ_DAYS: Final[dict[str, float]] = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def freq_days(freq: str) -> float:
    try:
        return FREQ_DAYS[freq.upper()]
    except KeyError:
        raise InputError(
            gettext_noop("Unknown time unit %(freq)s: use D (days), W (weeks) or M (months)."),
            freq=freq,
        ) from None


def summarise(purchases: ir.Table, *, freq: str = "W", observation_end: date) -> ir.Table:
    """One row per customer who bought on or before ``observation_end`` (see the module doc)."""
    days = freq_days(freq)
    end = ibis.date(observation_end)
    seen = purchases.filter(purchases.date <= end)
    per_customer = seen.group_by("customer_id").aggregate(
        first_date=seen.date.min(),
        last_date=seen.date.max(),
        purchase_days=seen.count(),
        total_amount=seen.amount.sum(),
        first_amount=seen.amount.argmin(seen.date),
        total_cost=seen.cost.sum(),
    )
    c = per_customer
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
