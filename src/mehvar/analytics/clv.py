"""Customer lifetime value over a horizon: BG/NBD purchases × Gamma-Gamma spend, discounted.

The horizon is cut into equal steps (a month, by default in the command); the purchases the
model expects in each step are valued at the customer's expected spend and discounted by the
rate per step, as in lifetimes' ``customer_lifetime_value``. With a zero rate it is simply
E[spend] × E[purchases over the horizon].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mehvar.analytics.bgnbd import BGNBDParams, forecast
from mehvar.analytics.errors import DEGENERATE_FIT, FitError, InputError, gettext_noop
from mehvar.analytics.gamma_gamma import GammaGammaParams, expected_average_value

__all__ = [
    "CustomerForecast",
    "customer_forecast",
    "customer_lifetime_value",
    "monthly_rate",
    "periods_per_month",
]

Array = NDArray[np.float64]

# Days per unit of the summary's time axis (see summary.FREQ_DAYS) and per average month.
_DAYS_PER_MONTH = 365.25 / 12


def periods_per_month(freq_days: float) -> float:
    """How many summary time units one average month holds (4.35 weeks, 30.44 days, 1 month)."""
    return _DAYS_PER_MONTH / freq_days


def monthly_rate(annual_rate: float) -> float:
    """The monthly rate that compounds to ``annual_rate`` in a year."""
    if annual_rate <= -1:
        raise InputError(gettext_noop("The discount rate must be greater than -100%%."))
    return float((1.0 + annual_rate) ** (1.0 / 12.0) - 1.0)


@dataclass(frozen=True)
class CustomerForecast:
    p_alive: Array
    expected_purchases: Array  # over ``expected_horizon``
    expected_value: Array  # E[spend per purchase]
    clv: Array


def customer_forecast(
    bg: BGNBDParams,
    gg: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    step: float | None = None,
    expected_horizon: float | None = None,
) -> CustomerForecast:
    """Everything the app and the command show per customer, sharing one pass of the model.

    ``expected_purchases`` covers ``expected_horizon`` (default: the CLV horizon); the CLV is
    as in :func:`customer_lifetime_value`.
    """
    if horizon <= 0:
        raise InputError(gettext_noop("The horizon must be a positive number of periods."))
    step = horizon if step is None else step
    if step <= 0:
        raise InputError(gettext_noop("The discounting step must be positive."))
    n_steps = math.ceil(horizon / step - 1e-9)
    ends = [min(i * step, horizon) for i in range(1, n_steps + 1)]
    wanted = horizon if expected_horizon is None else expected_horizon
    alive, cumulative = forecast(bg, [*ends, wanted], frequency, recency, T)
    expected = cumulative.pop()
    if not (np.isfinite(expected).all() and np.isfinite(alive).all()):
        raise FitError(DEGENERATE_FIT)
    value = expected_average_value(gg, frequency, monetary_value)
    total = np.zeros_like(value)
    previous = np.zeros_like(value)
    for i, up_to in enumerate(cumulative, start=1):
        total += (up_to - previous) / (1.0 + discount_rate) ** i
        previous = up_to
    return CustomerForecast(
        p_alive=alive, expected_purchases=expected, expected_value=value, clv=value * total
    )


def customer_lifetime_value(
    bg: BGNBDParams,
    gg: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary_value: ArrayLike,
    *,
    horizon: float,
    discount_rate: float = 0.0,
    step: float | None = None,
) -> Array:
    """Discounted value of each customer's expected purchases in the next ``horizon`` periods.

    ``step`` is the length of one discounting period in the same units (default: the whole
    horizon, i.e. no discounting inside it) and ``discount_rate`` is the rate per step.
    """
    return customer_forecast(
        bg,
        gg,
        frequency,
        recency,
        T,
        monetary_value,
        horizon=horizon,
        discount_rate=discount_rate,
        step=step,
    ).clv
