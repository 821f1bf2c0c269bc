"""The shape of ``AnalyticsRun.results``: what one recompute found for the whole customer base.

Stored as JSON (STYLE rule 8: a pydantic model for every JSONField) and read back through
:meth:`RunResults.model_validate`, so the dashboard never guesses at keys. Dates are Gregorian
here; pages turn them into Jalali labels in the viewer's language.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


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
