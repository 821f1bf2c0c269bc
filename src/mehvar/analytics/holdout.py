"""How far to trust the purchase model on a company's own customers: fit on the data up to a
calibration end, predict the following period, and compare with what customers actually did.

Only customers who had bought by the calibration end are compared (the model says nothing
about customers it has not met). "Actual" counts their distinct purchase days in the holdout
period (calibration end, observation end] — every one of them is a repeat purchase.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from mehvar.analytics.bgnbd import BGNBDFit, conditional_expected_purchases, fit_bgnbd
from mehvar.analytics.errors import DEGENERATE_FIT, FitError, InputError, gettext_noop
from mehvar.analytics.summary import freq_days, summarise

__all__ = ["FrequencyBucket", "HoldoutResult", "calibrate_and_compare"]


@dataclass(frozen=True)
class FrequencyBucket:
    """Customers grouped by their repeat purchases in calibration (the last bucket is "k+")."""

    frequency: str
    customers: int
    mean_predicted: float
    mean_actual: float


@dataclass(frozen=True)
class HoldoutResult:
    calibration_end: date
    observation_end: date
    holdout_periods: float
    fit: BGNBDFit
    customers: int
    predicted_total: float
    actual_total: int
    total_error_pct: float | None  # (predicted − actual) / actual × 100
    mae: float
    rmse: float
    by_frequency: tuple[FrequencyBucket, ...]
    per_customer: pa.Table  # customer_id, frequency, recency, T, predicted, actual


def calibrate_and_compare(
    purchases: ir.Table,
    *,
    calibration_end: date,
    observation_end: date,
    freq: str = "W",
    top_bucket: int = 7,
) -> HoldoutResult:
    if calibration_end >= observation_end:
        raise InputError(
            gettext_noop(
                "The calibration end (%(calibration)s) must be before the observation end "
                "(%(observation)s)."
            ),
            calibration=calibration_end.isoformat(),
            observation=observation_end.isoformat(),
        )
    summary = summarise(purchases, freq=freq, observation_end=calibration_end)
    later = purchases.filter(
        purchases.date > ibis.date(calibration_end), purchases.date <= ibis.date(observation_end)
    )
    actual = later.group_by("customer_id").aggregate(actual=later.count())
    joined = summary.left_join(actual, "customer_id")
    table = joined.select(
        customer_id=joined.customer_id,
        frequency=joined.frequency,
        recency=joined.recency,
        T=joined.T,
        actual=joined.actual.fill_null(0),
    ).to_pyarrow()
    x = table["frequency"].to_numpy()
    tx = table["recency"].to_numpy()
    age = table["T"].to_numpy()
    observed = table["actual"].to_numpy()

    fit = fit_bgnbd(x, tx, age)
    horizon = (observation_end - calibration_end).days / freq_days(freq)
    predicted = conditional_expected_purchases(fit.params, horizon, x, tx, age)
    if not np.isfinite(predicted).all():
        raise FitError(DEGENERATE_FIT)
    errors = predicted - observed
    actual_total = int(observed.sum())
    predicted_total = float(predicted.sum())
    return HoldoutResult(
        calibration_end=calibration_end,
        observation_end=observation_end,
        holdout_periods=horizon,
        fit=fit,
        customers=len(x),
        predicted_total=predicted_total,
        actual_total=actual_total,
        total_error_pct=(
            (predicted_total - actual_total) / actual_total * 100 if actual_total else None
        ),
        mae=float(np.abs(errors).mean()),
        rmse=math.sqrt(float((errors**2).mean())),
        by_frequency=_buckets(x, predicted, observed, top_bucket),
        per_customer=table.select(["customer_id", "frequency", "recency", "T"])
        .append_column("predicted", pa.array(predicted))
        .append_column("actual", table["actual"]),
    )


def _buckets(
    x: np.ndarray, predicted: np.ndarray, observed: np.ndarray, top: int
) -> tuple[FrequencyBucket, ...]:
    buckets = []
    for k in range(top + 1):
        mask = x >= top if k == top else x == k
        if mask.any():
            buckets.append(
                FrequencyBucket(
                    frequency=f"{k}+" if k == top else str(k),
                    customers=int(mask.sum()),
                    mean_predicted=float(predicted[mask].mean()),
                    mean_actual=float(observed[mask].mean()),
                )
            )
    return tuple(buckets)
