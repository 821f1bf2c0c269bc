"""The shape of ``AnalyticsRun.results``: what one recompute found for the whole customer base.

Stored as JSON (STYLE rule 8: a pydantic model for every JSONField) and read back through
:meth:`RunResults.model_validate`, so the dashboard never guesses at keys. Dates are Gregorian
here; pages turn them into Jalali labels in the viewer's language.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

logger = logging.getLogger(__name__)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class ModelFit(_Frozen):
    """A fitted model: its parameters (BG/NBD r, α, a, b; Gamma-Gamma p, q, v) and fit quality."""

    params: dict[str, float]
    log_likelihood: float
    n_customers: int
    iterations: int | None = None


class ParetoSummary(_Frozen):
    top_share: float | None = Field(description="revenue share of the top 20% of customers, 0..1")
    gini: float | None
    # Lorenz curve from the biggest customer down: (share of customers, share of revenue).
    curve: list[tuple[float, float]] = []
    customers_for_80: float | None = Field(
        None, description="share of customers that brings 80% of revenue"
    )


class CohortRow(_Frozen):
    start: date  # first day of the cohort's (Jalali) month
    size: int
    # Share of the cohort buying again in period k = 0, 1, 2 … after its first purchase.
    retention: list[float | None]


class ChurnPoint(_Frozen):
    start: date  # first day of the (Jalali) month
    active: int  # customers active at the start of the month
    churned: int
    rate: float | None  # churned / active, None when nobody was active


class SegmentRow(_Frozen):
    code: str
    customers: int
    revenue: int  # Rials


class RfmCell(_Frozen):
    """One cell of the recency × frequency-and-money grid that the segments are read from."""

    r: int
    fm: int
    segment: str
    customers: int
    revenue: int  # Rials


class HistogramBin(_Frozen):
    low: float  # Rials
    high: float
    customers: int


class FrequencyRow(_Frozen):
    """Customers with the same repeat purchases in calibration ("0", "1" … "7+")."""

    frequency: str
    customers: int
    mean_predicted: float
    mean_actual: float


class HoldoutCheck(_Frozen):
    """The purchase model refitted without the last days, compared with what customers did.

    Only customers who had bought by ``calibration_end`` are counted; "actual" is their purchase
    days in (calibration_end, observation_end], every one of them a repeat purchase.
    """

    calibration_end: date
    observation_end: date
    holdout_periods: float = Field(ge=0, description="length of the holdout, in weeks")
    customers: int = Field(ge=0)
    predicted_total: float
    actual_total: int = Field(ge=0)
    total_error_pct: float | None = Field(
        None, description="(predicted - actual) / actual x 100; None when nobody bought"
    )
    mae: float = Field(ge=0, description="mean absolute error per customer, in purchases")
    rmse: float = Field(ge=0)
    by_frequency: list[FrequencyRow] = []
    params: dict[str, float] = {}  # the refitted BG/NBD parameters


# Why a run has no holdout check: too little history, or the model could not be fitted.
HoldoutMissing = Literal["short_history", "no_fit"]


class RunResults(_Frozen):
    bgnbd: ModelFit | None = None
    gamma_gamma: ModelFit | None = None
    pareto: ParetoSummary | None = None
    cohorts: list[CohortRow] = []
    churn: list[ChurnPoint] = []
    churn_last_complete: ChurnPoint | None = None
    segments: list[SegmentRow] = []
    rfm_grid: list[RfmCell] = []
    clv_histogram: list[HistogramBin] = []
    clv_median: float | None = None
    # What cleaning dropped or merged, as the library reported it (counts, mostly).
    cleaning: dict[str, int | float | str | None] = {}
    # The options the run used (frequency unit, CLV horizon …), for the page's footnote.
    options: dict[str, int | float | str] = {}
    # The model checked on the last ``options["holdout_days"]`` (runs before it have neither).
    holdout: HoldoutCheck | None = None
    holdout_missing: HoldoutMissing | None = None
    # The fit problem as the library's msgid and its parameters, translated on the page
    # (``AnalyticsRun.fit_error`` keeps the English sentence for the admin).
    fit_error_template: str | None = None
    fit_error_params: dict[str, int | float | str] = {}

    @classmethod
    def from_stored(cls, data: Any) -> RunResults:
        """Read stored results as far as they go, never raising.

        A run written by an older (or newer) version may miss keys or hold one in another
        shape: that figure is left out, so the page shows it as missing instead of failing
        the whole dashboard with a 500.
        """
        if not isinstance(data, dict):
            if data:
                logger.warning("analytics results are not an object: %s", type(data).__name__)
            return cls()
        try:
            return cls.model_validate(data)
        except ValidationError:
            pass
        kept: dict[str, Any] = {}
        for key, value in data.items():
            try:
                cls.model_validate({key: value})
            except ValidationError:
                logger.warning("analytics results: %r has an unknown shape; left out", key)
                continue
            kept[key] = value
        return cls.model_validate(kept)
