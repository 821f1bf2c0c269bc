"""Run the analytics library on the extracted orders and shape what the app stores.

Pure glue, no database: :func:`compute` takes the Arrow table of :mod:`mehvar.insights.extract`
(one row per order), hands the library one row per customer and Tehran day, and returns the
per-customer table with the run-level figures as a validated
:class:`~mehvar.insights.schemas.RunResults`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import pyarrow as pa

from mehvar.analytics.bgnbd import BGNBDFit
from mehvar.analytics.churn import ChurnResult
from mehvar.analytics.cohorts import CohortResult
from mehvar.analytics.engine import connect
from mehvar.analytics.gamma_gamma import GammaGammaFit
from mehvar.analytics.holdout import HoldoutResult
from mehvar.analytics.pareto import ParetoResult
from mehvar.analytics.snapshot import Snapshot, compute_snapshot
from mehvar.analytics.transactions import CleaningReport
from mehvar.insights.schemas import (
    ChurnPoint,
    CohortRow,
    FrequencyRow,
    HistogramBin,
    HoldoutCheck,
    HoldoutMissing,
    ModelFit,
    ParetoSummary,
    RfmCell,
    RunResults,
    SegmentRow,
)

__all__ = ["OPTIONS", "Outcome", "compute", "customer_days"]

# Every recompute: a weekly time axis, CLV over the next 52 weeks (a year), "lost" after 180
# days without a purchase, Jalali months for churn and cohorts; the model is checked on the last
# 13 weeks (when there are at least twice as many days of history).
FREQ: Final = "W"
HORIZON: Final = 52
INACTIVE_DAYS: Final = 180
CALENDAR: Final = "jalali"
HOLDOUT_DAYS: Final = 91
OPTIONS: Final[dict[str, int | float | str]] = {
    "freq": FREQ,
    "horizon": HORIZON,
    "discount_rate": 0.0,
    "inactive_days": INACTIVE_DAYS,
    "calendar": CALENDAR,
    "holdout_days": HOLDOUT_DAYS,
}


@dataclass(frozen=True)
class Outcome:
    customers: pa.Table  # one row per customer: the snapshot's columns (see the contract)
    observation_end: date
    fit_error: str | None
    results: RunResults


def customer_days(orders: pa.Table) -> pa.Table:
    """(customer_id, date, amount): each customer's orders of one day summed.

    The library works on purchase days; summing here hands it one row per customer and day,
    so its cleaning report counts purchase days (the orders are counted by the run).
    """
    days = orders.group_by(["customer_id", "date"], use_threads=False).aggregate(
        [("amount", "sum")]
    )
    return days.rename_columns({"amount_sum": "amount"}).select(["customer_id", "date", "amount"])


def compute(orders: pa.Table, *, observation_end: date, today: date) -> Outcome:
    """The snapshot of ``orders`` up to ``observation_end`` (raises the library's errors)."""
    con = connect()
    try:
        snapshot = compute_snapshot(
            customer_days(orders),
            observation_end=observation_end,
            freq=FREQ,
            horizon=HORIZON,
            inactive_days=INACTIVE_DAYS,
            calendar=CALENDAR,
            holdout_days=HOLDOUT_DAYS,
            today=today,
            con=con,
        )
    finally:
        con.disconnect()
    return Outcome(
        customers=snapshot.customers,
        observation_end=snapshot.observation_end,
        fit_error=snapshot.fit_error,
        results=results_of(snapshot, orders=orders.num_rows),
    )


def _fit(fit: BGNBDFit | GammaGammaFit | None) -> ModelFit | None:
    if fit is None:
        return None
    return ModelFit(
        params={name: float(value) for name, value in asdict(fit.params).items()},
        log_likelihood=float(fit.log_likelihood),
        n_customers=int(fit.n_customers),
        iterations=int(fit.iterations),
    )


def _pareto(result: ParetoResult) -> ParetoSummary:
    # The library's Lorenz curve runs from the smallest customer up; the Pareto chart reads
    # from the biggest down ("the top 20 % bring 73 %"), the same curve turned around.
    curve = [(1.0 - x, 1.0 - y) for x, y in reversed(result.lorenz)]
    customers_for_80 = next((x for x, y in curve if y >= 0.8 - 1e-9), None)
    return ParetoSummary(
        top_share=result.revenue_share_of_top,
        gini=result.gini,
        curve=[(round(x, 4), round(y, 4)) for x, y in curve],
        customers_for_80=customers_for_80,
    )


def _cohorts(result: CohortResult) -> list[CohortRow]:
    return [
        CohortRow(
            start=date.fromisoformat(cohort.start),
            size=cohort.size,
            retention=[cell.retention for cell in cohort.cells],
        )
        for cohort in result.cohorts
    ]


def _churn(result: ChurnResult) -> tuple[list[ChurnPoint], ChurnPoint | None]:
    points = [
        ChurnPoint(
            start=date.fromisoformat(period.start),
            active=period.active_at_start,
            churned=period.churned,
            rate=period.churn_rate,
        )
        for period in result.periods
        if period.complete
    ]
    last = next((point for point in reversed(points) if point.rate is not None), None)
    return points, last


def _cleaning(report: CleaningReport, *, orders: int) -> dict[str, int | float | str | None]:
    found: dict[str, int | float | str | None] = {
        "orders": orders,
        "customer_days": report.rows_read,
        "rows_used": report.rows_used,
        "customers": report.customers,
        "first_date": report.first_date.isoformat() if report.first_date else None,
        "last_date": report.last_date.isoformat() if report.last_date else None,
    }
    found.update({rule.code: rule.rows for rule in report.rules})
    return found


def _median(values: pa.ChunkedArray) -> float | None:
    numbers = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
    finite = numbers[np.isfinite(numbers)]
    return float(np.median(finite)) if finite.size else None


def _rials(value: float) -> int:
    return round(value) if math.isfinite(value) else 0


def _finite(result: HoldoutResult) -> bool:
    numbers = [result.predicted_total, result.mae, result.rmse]
    numbers += [bucket.mean_predicted for bucket in result.by_frequency]
    return all(math.isfinite(number) for number in numbers)


def _holdout(result: HoldoutResult | None) -> HoldoutCheck | None:
    """The check as stored; None when the refitted model predicts nothing usable.

    On a small, very regular base the calibration fit can run off to a degenerate optimum
    (r and alpha in the millions) whose predictions are NaN: that is a fit that failed.
    """
    if result is None or not _finite(result):
        return None
    return HoldoutCheck(
        calibration_end=result.calibration_end,
        observation_end=result.observation_end,
        holdout_periods=float(result.holdout_periods),
        customers=int(result.customers),
        predicted_total=float(result.predicted_total),
        actual_total=int(result.actual_total),
        total_error_pct=result.total_error_pct,
        mae=float(result.mae),
        rmse=float(result.rmse),
        by_frequency=[
            FrequencyRow(
                frequency=bucket.frequency,
                customers=bucket.customers,
                mean_predicted=bucket.mean_predicted,
                mean_actual=bucket.mean_actual,
            )
            for bucket in result.by_frequency
        ],
        params={name: float(value) for name, value in asdict(result.fit.params).items()},
    )


def _holdout_missing(snapshot: Snapshot, check: HoldoutCheck | None) -> HoldoutMissing | None:
    """Why there is no holdout check, as the library decided (a check we could not keep counts
    as a failed fit)."""
    if check is not None:
        return None
    return "short_history" if snapshot.holdout_skipped == "short_history" else "no_fit"


def _param(value: Any) -> int | float | str:
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return str(value)


def _params(params: dict[str, Any]) -> dict[str, int | float | str]:
    """The fit problem's parameters as JSON keeps them (numbers stay numbers for ``%d``)."""
    return {key: _param(value) for key, value in params.items()}


def results_of(snapshot: Snapshot, *, orders: int) -> RunResults:
    churn, last = _churn(snapshot.churn)
    check = _holdout(snapshot.holdout)
    return RunResults(
        bgnbd=_fit(snapshot.bgnbd),
        gamma_gamma=_fit(snapshot.gamma_gamma),
        pareto=_pareto(snapshot.pareto),
        cohorts=_cohorts(snapshot.cohorts),
        churn=churn,
        churn_last_complete=last,
        segments=[
            SegmentRow(code=row.code, customers=row.customers, revenue=_rials(row.revenue))
            for row in snapshot.segments
        ],
        rfm_grid=[
            RfmCell(
                r=cell.r_score,
                fm=cell.fm_score,
                segment=cell.segment,
                customers=cell.customers,
                revenue=_rials(cell.revenue),
            )
            for cell in snapshot.rfm_grid
        ],
        clv_histogram=[
            HistogramBin(low=low, high=high, customers=n) for low, high, n in snapshot.clv_histogram
        ],
        clv_median=_median(snapshot.customers["clv"]),
        cleaning=_cleaning(snapshot.cleaning, orders=orders),
        options=dict(OPTIONS),
        holdout=check,
        holdout_missing=_holdout_missing(snapshot, check),
        fit_error_template=snapshot.fit_error_template,
        fit_error_params=_params(snapshot.fit_error_params),
    )
