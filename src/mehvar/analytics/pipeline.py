"""What ``mehvar analytics <what>`` computes, as plain functions over a transaction file.

Each analysis returns an :class:`Outcome`: the per-row table the command writes with ``--out``,
the JSON document it writes with ``--json``, and a few headline figures it prints. The command
(Django's management layer) only parses arguments, translates and prints; the benchmark and the
tests call these functions directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final

import ibis
import numpy as np
import pyarrow as pa

from mehvar.analytics import churn, cohorts, pareto, rfm
from mehvar.analytics.bgnbd import BGNBDFit, fit_bgnbd
from mehvar.analytics.clv import customer_forecast, monthly_rate, periods_per_month
from mehvar.analytics.engine import connect
from mehvar.analytics.errors import InputError, gettext_noop
from mehvar.analytics.gamma_gamma import GammaGammaFit, fit_gamma_gamma
from mehvar.analytics.holdout import HoldoutResult, calibrate_and_compare
from mehvar.analytics.summary import freq_days
from mehvar.analytics.transactions import (
    CleaningReport,
    Purchases,
    TransactionSpec,
    load_transactions,
)

__all__ = ["ANALYSES", "Options", "Outcome", "load", "run"]


@dataclass(frozen=True)
class Options:
    transactions: Any  # a path, or a table/frame (tests and the benchmark)
    spec: TransactionSpec
    freq: str = "W"
    observation_end: date | None = None
    calibration_end: date | None = None
    horizon: float = 52.0  # in freq units
    discount_rate: float = 0.0  # per year; applied monthly
    bins: int = 5
    top_share: float = 0.2
    inactive_days: int = 180
    p_alive_threshold: float = 0.5
    churn_definition: str = "inactivity"  # or "p_alive"
    today: date | None = None
    threads: int | None = None


@dataclass
class Outcome:
    table: pa.Table | None
    payload: dict[str, Any]
    # (label, value); a label is an English msgid, or an (English, Persian) pair for names
    # that come with both languages, such as the RFM segments.
    headline: list[tuple[str | tuple[str, str], Any]] = field(default_factory=list)
    cleaning: CleaningReport | None = None


def load(options: Options) -> Purchases:
    con = connect(threads=options.threads)
    freq_days(options.freq)  # fail on a bad unit before reading a large file
    return load_transactions(
        options.transactions,
        options.spec,
        con=con,
        observation_end=options.observation_end,
        today=options.today,
    )


def run(what: str, options: Options) -> Outcome:
    try:
        analysis = ANALYSES[what]
    except KeyError:
        raise InputError(
            gettext_noop("Unknown analysis %(what)s: choose one of %(choices)s."),
            what=what,
            choices=", ".join(ANALYSES),
        ) from None
    _check(options)
    purchases = load(options)
    outcome = analysis(purchases, options)
    outcome.cleaning = purchases.report
    outcome.payload["cleaning"] = _cleaning_payload(purchases.report)
    outcome.payload["observation_end"] = purchases.observation_end.isoformat()
    return outcome


def _check(options: Options) -> None:
    """Options that cannot work are reported before a large file is read."""
    if options.horizon <= 0:
        raise InputError(gettext_noop("The horizon must be a positive number of periods."))
    if options.discount_rate <= -1:
        raise InputError(gettext_noop("The discount rate must be greater than -100%%."))
    if not 0 < options.p_alive_threshold < 1:
        raise InputError(gettext_noop("The P(alive) threshold must be between 0 and 1."))
    cal, end = options.calibration_end, options.observation_end
    if cal and end and cal >= end:
        raise InputError(
            gettext_noop(
                "The calibration end (%(calibration)s) must be before the observation end "
                "(%(observation)s)."
            ),
            calibration=cal.isoformat(),
            observation=end.isoformat(),
        )


def _cleaning_payload(report: CleaningReport) -> dict[str, Any]:
    payload = asdict(report)
    payload["first_date"] = report.first_date.isoformat() if report.first_date else None
    payload["last_date"] = report.last_date.isoformat() if report.last_date else None
    return payload


def _summary(purchases: Purchases, options: Options, end: date | None = None) -> pa.Table:
    table = purchases.summary(freq=options.freq, observation_end=end)
    return table.order_by("customer_id").to_pyarrow()


_SUMMARY_COLUMNS: Final = ["customer_id", "frequency", "recency", "T", "monetary_value"]


def summary_analysis(purchases: Purchases, options: Options) -> Outcome:
    table = _summary(purchases, options)
    x = table["frequency"].to_numpy()
    return Outcome(
        table=table.select(_SUMMARY_COLUMNS),
        payload={"n_customers": table.num_rows, "repeat_buyers": int((x > 0).sum())},
        headline=[
            (gettext_noop("Customers"), table.num_rows),
            (gettext_noop("Repeat buyers"), int((x > 0).sum())),
        ],
    )


@dataclass(frozen=True)
class Predictions:
    summary: pa.Table
    bgnbd: BGNBDFit
    gamma_gamma: GammaGammaFit
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    clv: np.ndarray


def predict(summary: pa.Table, options: Options, *, horizon: float | None = None) -> Predictions:
    """Fit both models on ``summary`` and predict every customer (raises FitError)."""
    x = summary["frequency"].to_numpy()
    tx = summary["recency"].to_numpy()
    age = summary["T"].to_numpy()
    m = summary["monetary_value"].to_numpy()
    bg = fit_bgnbd(x, tx, age)
    gg = fit_gamma_gamma(x, m)
    step = periods_per_month(freq_days(options.freq))
    result = customer_forecast(
        bg.params,
        gg.params,
        x,
        tx,
        age,
        m,
        horizon=options.horizon,
        discount_rate=monthly_rate(options.discount_rate),
        step=min(step, options.horizon),
        expected_horizon=horizon,
    )
    return Predictions(
        summary=summary,
        bgnbd=bg,
        gamma_gamma=gg,
        p_alive=result.p_alive,
        expected_purchases=result.expected_purchases,
        clv=result.clv,
    )


def _fit_payload(bg: BGNBDFit, gg: GammaGammaFit) -> dict[str, Any]:
    return {
        "bgnbd": asdict(bg.params),
        "gamma_gamma": asdict(gg.params),
        "n_customers": bg.n_customers,
        "log_likelihood": bg.log_likelihood,
        "gamma_gamma_customers": gg.n_customers,
        "gamma_gamma_log_likelihood": gg.log_likelihood,
        "spend_frequency_correlation": gg.spend_frequency_correlation,
    }


def clv_analysis(purchases: Purchases, options: Options) -> Outcome:
    holdout: HoldoutResult | None = None
    end = purchases.observation_end
    if options.calibration_end is not None:
        holdout = calibrate_and_compare(
            purchases.table,
            calibration_end=options.calibration_end,
            observation_end=end,
            freq=options.freq,
        )
        end = options.calibration_end
    summary = _summary(purchases, options, end)
    result = predict(summary, options, horizon=holdout.holdout_periods if holdout else None)
    table = summary.select(_SUMMARY_COLUMNS)
    for name, values in (
        ("p_alive", result.p_alive),
        ("expected_purchases", result.expected_purchases),
        ("clv", result.clv),
    ):
        table = table.append_column(name, pa.array(values))
    payload = _fit_payload(result.bgnbd, result.gamma_gamma)
    payload |= {
        "freq": options.freq,
        "horizon": holdout.holdout_periods if holdout else options.horizon,
        "discount_rate": options.discount_rate,
        "total_clv": float(np.nansum(result.clv)),
    }
    headline: list[tuple[str | tuple[str, str], Any]] = [
        (gettext_noop("Customers"), result.bgnbd.n_customers),
        ("BG/NBD r, alpha, a, b", _rounded(asdict(result.bgnbd.params))),
        ("Gamma-Gamma p, q, v", _rounded(asdict(result.gamma_gamma.params))),
        (gettext_noop("Log-likelihood"), round(result.bgnbd.log_likelihood, 2)),
        (gettext_noop("Total CLV over the horizon"), round(float(np.nansum(result.clv)), 2)),
    ]
    if holdout is not None:
        actual = holdout.per_customer["actual"]
        table = table.append_column("actual_purchases", actual)
        payload["holdout"] = _holdout_payload(holdout)
        headline += [
            (gettext_noop("Predicted purchases in the holdout"), round(holdout.predicted_total, 1)),
            (gettext_noop("Actual purchases in the holdout"), holdout.actual_total),
            (
                gettext_noop("Error of the total (%)"),
                None if holdout.total_error_pct is None else round(holdout.total_error_pct, 2),
            ),
            (gettext_noop("Mean absolute error per customer"), round(holdout.mae, 3)),
        ]
    return Outcome(table=table, payload=payload, headline=headline)


def _rounded(values: dict[str, float]) -> str:
    return ", ".join(f"{value:.4g}" for value in values.values())


def _holdout_payload(holdout: HoldoutResult) -> dict[str, Any]:
    return {
        "calibration_end": holdout.calibration_end.isoformat(),
        "holdout_periods": holdout.holdout_periods,
        "customers": holdout.customers,
        "predicted_total": holdout.predicted_total,
        "actual_total": holdout.actual_total,
        "total_error_pct": holdout.total_error_pct,
        "mae": holdout.mae,
        "rmse": holdout.rmse,
        "by_frequency": [asdict(bucket) for bucket in holdout.by_frequency],
    }


def rfm_analysis(purchases: Purchases, options: Options) -> Outcome:
    summary = purchases.summary(freq=options.freq)
    scored = rfm.score_rfm(summary, bins=options.bins)
    table = (
        scored.select(
            "customer_id",
            "days_since_last",
            purchase_days=scored.frequency + 1,
            total_amount=scored.total_amount,
            r_score=scored.r_score,
            f_score=scored.f_score,
            m_score=scored.m_score,
            segment=scored.segment,
        )
        .order_by("customer_id")
        .to_pyarrow()
    )
    labels = {segment.code: segment for segment in rfm.SEGMENTS}
    codes = table["segment"].to_pylist()
    table = table.append_column(
        "segment_en", pa.array([labels[c].label_en for c in codes], pa.string())
    ).append_column("segment_fa", pa.array([labels[c].label_fa for c in codes], pa.string()))
    counts = rfm.segment_counts(scored)
    return Outcome(
        table=table,
        payload={
            "bins": options.bins,
            "segments": [asdict(count) for count in counts],
            "grid": [asdict(cell) for cell in rfm.rfm_grid(scored, bins=options.bins)],
        },
        headline=[
            ((count.label_en, count.label_fa), count.customers)
            for count in counts
            if count.customers
        ],
    )


def pareto_analysis(purchases: Purchases, options: Options) -> Outcome:
    summary = purchases.summary(freq=options.freq)
    result = pareto.analyse_pareto(summary, top_share=options.top_share)
    ranks = pareto.pareto_ranks(summary, top_share=options.top_share)
    joined = ranks.join(summary.select("customer_id", "total_amount"), "customer_id")
    table = (
        joined.select("customer_id", "total_amount", "revenue_rank", "revenue_percentile", "is_top")
        .order_by("revenue_rank")
        .to_pyarrow()
    )
    return Outcome(
        table=table,
        payload=asdict(result),
        headline=[
            (gettext_noop("Customers"), result.n_customers),
            (
                gettext_noop("Share of revenue from the top customers (%)"),
                _pct(result.revenue_share_of_top),
            ),
            (
                gettext_noop("Share of margin from the top customers (%)"),
                _pct(result.margin_share_of_top),
            ),
            (
                gettext_noop("Gini coefficient"),
                None if result.gini is None else round(result.gini, 3),
            ),
        ],
    )


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def churn_analysis(purchases: Purchases, options: Options) -> Outcome:
    result = churn.churn_by_period(
        purchases.table,
        observation_end=purchases.observation_end,
        inactive_days=options.inactive_days,
        calendar=options.spec.calendar,
    )
    summary = _summary(purchases, options)
    customers = summary.select(["customer_id", "days_since_last", "total_amount"])
    payload: dict[str, Any] = {"definition": options.churn_definition, **asdict(result)}
    if options.churn_definition == "p_alive":
        fitted = predict(summary, options)
        customers = customers.append_column("p_alive", pa.array(fitted.p_alive)).append_column(
            "clv", pa.array(fitted.clv)
        )
        at_risk = churn.at_risk(
            customers,
            p_alive_threshold=options.p_alive_threshold,
            value_col="clv",
            top_share=options.top_share,
        ).to_pyarrow()
        payload["p_alive_threshold"] = options.p_alive_threshold
        payload["share_below_threshold"] = float(
            (fitted.p_alive < options.p_alive_threshold).mean()
        )
    elif options.churn_definition == "inactivity":
        at_risk = _lapsing(customers, options)
    else:
        raise InputError(
            gettext_noop("Unknown churn definition %(name)s: use inactivity or p_alive."),
            name=options.churn_definition,
        )
    payload["at_risk_customers"] = at_risk.num_rows
    complete = [p for p in result.periods if p.complete and p.churn_rate is not None]
    return Outcome(
        table=at_risk,
        payload=payload,
        headline=[
            (gettext_noop("Churn rate, all complete periods (%)"), _pct(result.overall_churn_rate)),
            (
                gettext_noop("Churn rate, last complete period (%)"),
                _pct(complete[-1].churn_rate) if complete else None,
            ),
            (gettext_noop("Valuable customers at risk"), at_risk.num_rows),
        ],
    )


def _lapsing(customers: pa.Table, options: Options) -> pa.Table:
    """Valuable customers not yet lapsed but past half the inactivity limit, biggest first."""
    table = ibis.memtable(customers)
    top = pareto.top_count(customers.num_rows, options.top_share)
    valuable = table.order_by([ibis.desc("total_amount"), "customer_id"]).limit(top)
    lapsing = valuable.filter(
        valuable.days_since_last > options.inactive_days // 2,
        valuable.days_since_last <= options.inactive_days,
    )
    return lapsing.order_by([ibis.desc("total_amount"), "customer_id"]).to_pyarrow()


def cohorts_analysis(purchases: Purchases, options: Options) -> Outcome:
    result = cohorts.cohort_matrix(
        purchases.table,
        observation_end=purchases.observation_end,
        calendar=options.spec.calendar,
    )
    table = cohorts.cohort_table(result).to_pyarrow()
    return Outcome(
        table=table,
        payload=asdict(result),
        headline=[
            (gettext_noop("Cohorts"), len(result.cohorts)),
            (
                gettext_noop("Customers still buying in their second month (%)"),
                _pct(result.retention_by_k[1]) if len(result.retention_by_k) > 1 else None,
            ),
        ],
    )


ANALYSES: Final[dict[str, Callable[[Purchases, Options], Outcome]]] = {
    "summary": summary_analysis,
    "rfm": rfm_analysis,
    "pareto": pareto_analysis,
    "churn": churn_analysis,
    "clv": clv_analysis,
    "cohorts": cohorts_analysis,
}
