"""Fixtures for the analytics app: orders through the real service, snapshots written directly."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mehvar.customers.orders import LineInput, order_create
from mehvar.insights.models import AnalyticsRun, CustomerScore, RunStatus, RunTrigger
from mehvar.insights.schemas import (
    ChurnPoint,
    CohortRow,
    HistogramBin,
    ModelFit,
    ParetoSummary,
    RfmCell,
    RunResults,
    SegmentRow,
)

_numbers = itertools.count(1)


@pytest.fixture
def login(client: Client) -> Callable[..., Client]:
    """Sign ``user`` in on the test client; pages in English unless ``language`` says "fa"."""

    def sign_in(user: Any, language: str = "en") -> Client:
        client.cookies["django_language"] = language
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def make_order(users: dict[str, Any]) -> Callable[..., Any]:
    """An order of ``total`` Rials placed ``days_ago`` days ago at noon, Tehran time."""

    def make(customer: Any, total: int, days_ago: int, **extra: Any) -> Any:
        day = timezone.localdate() - timedelta(days=days_ago)
        placed = timezone.make_aware(datetime.combine(day, time(12, 0)))
        return order_create(
            actor=users["admin"],
            customer=customer,
            number=f"T-{next(_numbers)}",
            lines=[LineInput(quantity=1, unit_price=total, description="کالا")],
            placed_at=placed,
            **extra,
        )

    return make


def sample_results() -> RunResults:
    """Run-level figures as the library would give them, small enough to check by eye."""
    return RunResults(
        bgnbd=ModelFit(
            params={"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
            log_likelihood=-9582.4,
            n_customers=2357,
            iterations=31,
        ),
        gamma_gamma=ModelFit(
            params={"p": 6.25, "q": 3.74, "v": 15.45}, log_likelihood=-4023.1, n_customers=946
        ),
        pareto=ParetoSummary(
            top_share=0.734,
            gini=0.6512,
            curve=[(0.0, 0.0), (0.2, 0.734), (0.5, 0.93), (1.0, 1.0)],
        ),
        cohorts=[
            CohortRow(start=date(2024, 3, 20), size=120, retention=[1.0, 0.25, 0.18]),
            CohortRow(start=date(2024, 4, 20), size=95, retention=[1.0, 0.21]),
        ],
        churn=[
            ChurnPoint(start=date(2024, 3, 20), active=300, churned=12, rate=0.04),
            ChurnPoint(start=date(2024, 4, 20), active=310, churned=31, rate=0.1),
        ],
        churn_last_complete=ChurnPoint(start=date(2024, 4, 20), active=310, churned=31, rate=0.1),
        segments=[
            SegmentRow(code="champions", customers=2, revenue=90_000_000),
            SegmentRow(code="lost", customers=1, revenue=5_000_000),
        ],
        rfm_grid=[
            RfmCell(r=5, fm=5, segment="champions", customers=2, revenue=90_000_000),
            RfmCell(r=1, fm=1, segment="lost", customers=1, revenue=5_000_000),
        ],
        clv_histogram=[
            HistogramBin(low=0, high=10_000_000, customers=40),
            HistogramBin(low=10_000_000, high=20_000_000, customers=12),
        ],
        clv_median=12_345_670,
        cleaning={
            "orders": 7,
            "customer_days": 6,
            "customers": 3,
            "first_date": "2024-03-20",
            "last_date": "2024-05-20",
            "non_positive": 1,
            "future": 0,
        },
        options={"freq": "W", "horizon": 52, "inactive_days": 180},
    )


@pytest.fixture
def make_snapshot() -> Callable[..., AnalyticsRun]:
    """A succeeded run with ``sample_results`` and a score for each (customer, fields) given."""

    def make(scores: Sequence[tuple[Any, dict[str, Any]]] = (), **run_fields: Any) -> AnalyticsRun:
        now = timezone.now()
        run = AnalyticsRun.objects.create(
            status=RunStatus.SUCCEEDED,
            trigger=RunTrigger.MANUAL,
            started_at=now - timedelta(seconds=5),
            finished_at=now,
            observation_end=timezone.localdate(),
            n_customers=len(scores),
            results=sample_results().model_dump(mode="json"),
            **run_fields,
        )
        for rank, (customer, fields) in enumerate(scores, start=1):
            values: dict[str, Any] = {
                "segment": "champions",
                "r_score": 5,
                "f_score": 5,
                "m_score": 5,
                "frequency": 3,
                "recency": 20.0,
                "T": 30.0,
                "monetary_value": 1_000_000.0,
                "total_revenue": 4_000_000,
                "clv": 2_500_000,
                "p_alive": 0.9,
                "expected_purchases": 2.5,
                "churn_risk": "low",
                "revenue_rank": rank,
                "revenue_percentile": 100.0 - rank,
                "is_top": rank == 1,
                "first_purchase": timezone.localdate() - timedelta(days=200),
                "last_purchase": timezone.localdate() - timedelta(days=10),
                "days_since_last": 10,
                "computed_at": now,
            }
            values.update(fields)
            CustomerScore.objects.create(customer=customer, run=run, **values)
        return run

    return make
