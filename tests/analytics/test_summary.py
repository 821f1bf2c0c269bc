"""The customer-base summary: CDNOW against lifetimes' own file, and properties on random logs."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.errors import InputError
from mehvar.analytics.summary import summarise
from mehvar.analytics.transactions import Purchases

CDNOW_END = date(1997, 9, 30)


def _by_first_purchase(purchases: Purchases) -> list[dict[str, object]]:
    # lifetimes numbers the CDNOW customers 1…2357 in order of first purchase, then id.
    table = summarise(purchases.table, freq="W", observation_end=CDNOW_END)
    rows: list[dict[str, object]] = (
        table.order_by(["first_date", "customer_id"]).to_pyarrow().to_pylist()
    )
    return rows


def test_cdnow_summary_equals_lifetimes_file_to_two_decimals(
    cdnow: Purchases, datasets: Path
) -> None:
    ours = _by_first_purchase(cdnow)
    with (datasets / "cdnow_customers_summary.csv").open() as handle:
        reference = list(csv.DictReader(handle))
    assert len(ours) == len(reference) == 2357
    for mine, theirs in zip(ours, reference, strict=True):
        assert mine["frequency"] == int(theirs["frequency"])
        assert round(float(mine["recency"]), 2) == pytest.approx(float(theirs["recency"]), abs=1e-9)  # type: ignore[arg-type]
        assert round(float(mine["T"]), 2) == pytest.approx(float(theirs["T"]), abs=1e-9)  # type: ignore[arg-type]


def test_cdnow_repeat_spend_equals_lifetimes_file(cdnow: Purchases, datasets: Path) -> None:
    ours = _by_first_purchase(cdnow)
    with (datasets / "cdnow_customers_summary_with_transactions.csv").open() as handle:
        reference = list(csv.DictReader(handle))
    for mine, theirs in zip(ours, reference, strict=True):
        assert round(float(mine["monetary_value"]), 2) == pytest.approx(
            float(theirs["zbar"]), abs=0.011
        )  # type: ignore[arg-type]


def test_purchases_summary_is_the_summary_at_the_cleaned_date(cdnow: Purchases) -> None:
    columns = ["customer_id", "frequency", "recency", "T", "monetary_value", "total_amount"]
    from_rollup = cdnow.summary(freq="W").order_by("customer_id").select(columns).to_pyarrow()
    direct = (
        summarise(cdnow.table, freq="W", observation_end=CDNOW_END)
        .order_by("customer_id")
        .select(columns)
        .to_pyarrow()
    )
    assert from_rollup.num_rows == 2357
    assert from_rollup.equals(direct)
    # Another date than the one cleaned for falls back to the purchases themselves.
    later = cdnow.summary(freq="W", observation_end=date(1998, 6, 30)).count().to_pyarrow()
    assert later.as_py() == 2357


def test_units_and_unknown_unit(cdnow: Purchases) -> None:
    daily = summarise(cdnow.table, freq="D", observation_end=CDNOW_END).order_by("customer_id")
    weekly = summarise(cdnow.table, freq="W", observation_end=CDNOW_END).order_by("customer_id")
    d, w = daily.to_pyarrow(), weekly.to_pyarrow()
    assert d["T"][0].as_py() == pytest.approx(7 * w["T"][0].as_py())
    with pytest.raises(InputError, match="Unknown time unit"):
        summarise(cdnow.table, freq="Y", observation_end=CDNOW_END)


START = date(2024, 1, 1)
END = date(2024, 12, 31)

purchase = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.integers(min_value=0, max_value=(END - START).days + 40),  # some after the end
    st.floats(min_value=0.5, max_value=1e7, allow_nan=False),
)


def _naive(
    log: list[tuple[str, int, float]], freq_days: float
) -> dict[str, tuple[int, float, float, float]]:
    """The literature's definitions, spelled out over Python dicts."""
    days: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    for customer, day, amount in log:
        if START + timedelta(days=day) <= END:
            days[customer][day] += amount
    result = {}
    end = (END - START).days
    for customer, spend in days.items():
        ordered = sorted(spend)
        repeat = [spend[d] for d in ordered[1:]]
        result[customer] = (
            len(ordered) - 1,
            (ordered[-1] - ordered[0]) / freq_days,
            (end - ordered[0]) / freq_days,
            sum(repeat) / len(repeat) if repeat else 0.0,
        )
    return result


@settings(max_examples=60, deadline=None)
@given(log=st.lists(purchase, min_size=1, max_size=40), freq=st.sampled_from(["D", "W", "M"]))
def test_summary_matches_the_definitions_on_random_logs(
    log: list[tuple[str, int, float]], freq: str
) -> None:
    # The Purchases contract is one row per customer and day, so aggregate like the loader does.
    daily: dict[tuple[str, int], float] = defaultdict(float)
    for customer, day, amount in log:
        daily[(customer, day)] += amount
    table = pa.table(
        {
            "customer_id": [c for c, _ in daily],
            "date": [START + timedelta(days=d) for _, d in daily],
            "amount": list(daily.values()),
            "cost": pa.nulls(len(daily), pa.float64()),
        }
    )
    unit = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}[freq]
    rows = summarise(ibis.memtable(table), freq=freq, observation_end=END).to_pyarrow().to_pylist()
    ours = {r["customer_id"]: r for r in rows}
    expected = _naive(log, unit)
    assert set(ours) == set(expected)
    for customer, (frequency, recency, age, monetary) in expected.items():
        row = ours[customer]
        assert row["frequency"] == frequency
        assert row["recency"] == pytest.approx(recency)
        assert row["T"] == pytest.approx(age)
        assert row["monetary_value"] == pytest.approx(monetary, rel=1e-9)
        assert 0 <= row["recency"] <= row["T"]
