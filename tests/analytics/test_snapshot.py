"""The snapshot the app stores: every customer scored, models fitted when the data allows."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from mehvar.analytics.rfm import SEGMENTS
from mehvar.analytics.snapshot import clv_histogram, compute_snapshot
from mehvar.analytics.transactions import Purchases


def test_snapshot_of_cdnow(cdnow: Purchases, cdnow_end: date) -> None:
    purchases = cdnow.table.to_pyarrow()
    snapshot = compute_snapshot(purchases, observation_end=cdnow_end, calendar="gregorian")
    customers = snapshot.customers
    assert customers.num_rows == 2357
    assert snapshot.fit_error is None
    assert snapshot.bgnbd is not None
    assert round(snapshot.bgnbd.params.r, 3) == 0.243
    codes = {segment.code for segment in SEGMENTS}
    assert set(customers["segment"].to_pylist()) <= codes
    assert sum(count.customers for count in snapshot.segments) == 2357
    alive = customers["p_alive"].to_pylist()
    assert all(0 <= p <= 1 for p in alive)
    assert set(customers["churn_risk"].to_pylist()) <= {"low", "medium", "high"}
    assert sorted(customers["revenue_rank"].to_pylist()) == list(range(1, 2358))
    assert sum(customers["is_top"].to_pylist()) == math.ceil(0.2 * 2357)
    assert sum(c for _, _, c in snapshot.clv_histogram) == 2357
    assert snapshot.cohorts.cohorts[0].label == "1997-01"
    # The model checked on the last quarter: fitted up to 1997-07-01, compared with 91 days.
    assert snapshot.holdout is not None
    assert snapshot.holdout.calibration_end == date(1997, 7, 1)
    assert snapshot.holdout.actual_total > 0
    assert snapshot.holdout.predicted_total > 0
    # The app hands over purchase days, so every row it gives is read and none is dropped.
    assert snapshot.cleaning.rows_read == purchases.num_rows == cdnow.report.transactions


def test_a_young_shop_gets_scores_but_no_model() -> None:
    # Three customers, nobody came back: RFM and Pareto work, the models cannot be fitted.
    start = date(2024, 1, 1)
    purchases = pa.table(
        {
            "customer_id": [1, 2, 3],
            "date": [start, start + timedelta(days=3), start + timedelta(days=9)],
            "amount": [100.0, 250.0, 50.0],
        }
    )
    snapshot = compute_snapshot(purchases, today=date(2024, 2, 1))
    assert snapshot.fit_error is not None
    assert "repeat buyers" in snapshot.fit_error
    assert snapshot.bgnbd is None
    assert snapshot.fit_error_template is not None
    assert snapshot.fit_error_template % snapshot.fit_error_params == snapshot.fit_error
    assert snapshot.holdout is None
    customers = snapshot.customers.to_pylist()
    assert [c["revenue_rank"] for c in customers] == [2, 1, 3]
    assert all(c["clv"] is None and c["p_alive"] is None for c in customers)
    assert all(c["churn_risk"] is None for c in customers)
    assert snapshot.clv_histogram == []


def test_clv_histogram_keeps_the_tail_in_the_last_bin() -> None:
    values = [float(v) for v in range(100)] + [1e9]
    bins = clv_histogram(np.array(values), bins=10)
    assert len(bins) == 10
    assert sum(count for _, _, count in bins) == 101
    assert bins[-1][1] == 1e9
