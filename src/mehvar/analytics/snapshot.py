"""Everything the app stores after a recompute, from one purchases table in one call.

Per customer: the summary, RFM scores and segment, Pareto rank, and — when the models can be
fitted — P(alive), expected purchases over the horizon, CLV and a churn-risk label. Run level:
the fitted parameters, the Pareto curve, segment counts and the RFM grid, cohorts and churn by
month, and the CLV distribution. A :class:`FitError` (a young shop with few repeat buyers) does
not stop the snapshot: the model columns are left empty and ``fit_error`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from mehvar.analytics import churn, cohorts, pareto, rfm
from mehvar.analytics.bgnbd import BGNBDFit
from mehvar.analytics.engine import connect
from mehvar.analytics.errors import FitError
from mehvar.analytics.gamma_gamma import GammaGammaFit
from mehvar.analytics.holdout import HoldoutResult, calibrate_and_compare
from mehvar.analytics.periods import Calendar
from mehvar.analytics.pipeline import Options, predict
from mehvar.analytics.transactions import (
    CleaningReport,
    Purchases,
    TransactionSpec,
    load_transactions,
)

__all__ = ["Snapshot", "clv_histogram", "compute_snapshot"]


@dataclass(frozen=True)
class Snapshot:
    observation_end: date
    customers: pa.Table
    bgnbd: BGNBDFit | None
    gamma_gamma: GammaGammaFit | None
    fit_error: str | None
    pareto: pareto.ParetoResult
    cohorts: cohorts.CohortResult
    churn: churn.ChurnResult
    segments: list[rfm.SegmentCount]
    rfm_grid: list[rfm.GridCell]
    clv_histogram: list[tuple[float, float, int]]
    cleaning: CleaningReport
    # The fit problem as a msgid and its parameters, for the app to show in the reader's language.
    fit_error_template: str | None = None
    fit_error_params: dict[str, Any] = field(default_factory=dict)
    # How far to trust the model here: fitted without the last ``holdout_days``, then compared
    # with what the customers did in them. None when the history is too short or the fit fails.
    holdout: HoldoutResult | None = None
    # Why there is no holdout: "short_history" (less than twice ``holdout_days``) or "no_fit".
    holdout_skipped: str | None = None


def compute_snapshot(
    purchases: ir.Table | pa.Table,
    *,
    observation_end: date | None = None,
    freq: str = "W",
    horizon: float = 52,
    discount_rate: float = 0.0,
    inactive_days: int = 180,
    p_alive_threshold: float = 0.5,
    calendar: Calendar = "jalali",
    top_share: float = 0.2,
    holdout_days: int = 91,
    today: date | None = None,
    con: DuckDBBackend | None = None,
) -> Snapshot:
    """``purchases`` has customer_id, date, amount (and optionally cost) columns."""
    con = con or connect()
    has_cost = "cost" in purchases.column_names if isinstance(purchases, pa.Table) else False
    spec = TransactionSpec(
        customer_col="customer_id",
        date_col="date",
        amount_col="amount",
        cost_col="cost" if has_cost else None,
        cancelled_prefix=None,
    )
    loaded = load_transactions(
        purchases, spec, con=con, observation_end=observation_end, today=today
    )
    end = loaded.observation_end
    table = loaded.table
    summary = con.create_table(
        "mehvar_snapshot_summary",
        loaded.summary(freq=freq),
        temp=True,
        overwrite=True,
    )
    # Scored once: the customer table, the segment counts and the grid all read it.
    scored = con.create_table(
        "mehvar_snapshot_scored", rfm.score_rfm(summary), temp=True, overwrite=True
    )
    ranks = pareto.pareto_ranks(summary, top_share=top_share)
    customers = (
        scored.join(ranks, "customer_id")
        .select(
            "customer_id",
            "frequency",
            "recency",
            "T",
            "monetary_value",
            "total_amount",
            "first_date",
            "last_date",
            "days_since_last",
            "r_score",
            "f_score",
            "m_score",
            "segment",
            "revenue_rank",
            "revenue_percentile",
            "is_top",
        )
        .order_by("customer_id")
        .to_pyarrow()
    )
    options = Options(
        transactions=None,
        spec=spec,
        freq=freq,
        horizon=horizon,
        discount_rate=discount_rate,
        p_alive_threshold=p_alive_threshold,
    )
    fit_error: str | None = None
    fit_problem: FitError | None = None
    bg: BGNBDFit | None = None
    gg: GammaGammaFit | None = None
    n = customers.num_rows
    alive = expected = value = np.full(n, np.nan)
    try:
        predictions = predict(customers, options)
    except FitError as error:
        fit_error, fit_problem = str(error), error
    else:
        bg, gg = predictions.bgnbd, predictions.gamma_gamma
        alive, expected, value = (
            predictions.p_alive,
            predictions.expected_purchases,
            predictions.clv,
        )
    customers = (
        customers.append_column("p_alive", pa.array(alive, mask=np.isnan(alive)))
        .append_column("expected_purchases", pa.array(expected, mask=np.isnan(expected)))
        .append_column("clv", pa.array(value, mask=np.isnan(value)))
        .append_column("churn_risk", churn.churn_risk_labels(alive))
    )
    holdout, holdout_skipped = _holdout(
        loaded, freq=freq, days=holdout_days, fitted=fit_problem is None
    )
    return Snapshot(
        observation_end=end,
        customers=customers,
        bgnbd=bg,
        gamma_gamma=gg,
        fit_error=fit_error,
        pareto=pareto.analyse_pareto(summary, top_share=top_share),
        cohorts=cohorts.cohort_matrix(table, observation_end=end, calendar=calendar),
        churn=churn.churn_by_period(
            table, observation_end=end, inactive_days=inactive_days, calendar=calendar
        ),
        segments=rfm.segment_counts(scored),
        rfm_grid=rfm.rfm_grid(scored),
        clv_histogram=clv_histogram(value),
        cleaning=loaded.report,
        fit_error_template=fit_problem.template if fit_problem else None,
        fit_error_params=dict(fit_problem.params) if fit_problem else {},
        holdout=holdout,
        holdout_skipped=holdout_skipped,
    )


def _holdout(
    loaded: Purchases, *, freq: str, days: int, fitted: bool
) -> tuple[HoldoutResult | None, str | None]:
    """The model checked on the last ``days``, when there is at least twice that history;
    otherwise ``None`` and why."""
    first = loaded.report.first_date
    end = loaded.observation_end
    if days <= 0 or first is None or (end - first).days < 2 * days:
        return None, "short_history"
    if not fitted:
        return None, "no_fit"
    try:
        result = calibrate_and_compare(
            loaded.table,
            calibration_end=end - timedelta(days=days),
            observation_end=end,
            freq=freq,
        )
    except FitError:
        return None, "no_fit"
    return result, None


def clv_histogram(values: np.ndarray, *, bins: int = 20) -> list[tuple[float, float, int]]:
    """Equal-width bins from 0 to the 99th percentile; the last bin also holds the few above.

    CLV is heavily skewed, so bins spanning the maximum would put nearly everyone in the first.
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    top = float(np.percentile(finite, 99))
    if top <= 0:
        return [(0.0, float(finite.max()), int(finite.size))]
    edges = np.linspace(0.0, top, bins + 1)
    counts, _ = np.histogram(np.clip(finite, 0.0, top), bins=edges)
    return [
        (float(edges[i]), float(edges[i + 1]) if i < bins - 1 else float(finite.max()), int(c))
        for i, c in enumerate(counts)
    ]
