"""Churn by inactivity (worked by hand and against a day-by-day reference) and by P(alive)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from datetime import date, timedelta

import ibis
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.churn import (
    ChurnResult,
    at_risk,
    churn_by_period,
    churn_risk_expr,
    churn_risk_label,
    churn_risk_labels,
    current_churn_share,
)
from mehvar.analytics.errors import InputError
from mehvar.analytics.periods import (
    Calendar,
    PeriodKind,
    period_index_of,
    period_info,
    reporting_window,
)

D = date


def _purchases(rows: list[tuple[str, date]]) -> ibis.Table:
    table = pa.table(
        {
            "customer_id": pa.array([c for c, _ in rows], type=pa.string()),
            "date": pa.array([d for _, d in rows], type=pa.date32()),
            "amount": pa.array([1.0] * len(rows), type=pa.float64()),
            "cost": pa.array([None] * len(rows), type=pa.float64()),
        }
    )
    return ibis.memtable(table)


def _flows(result: ChurnResult) -> list[tuple[str, int, int, int, int, int]]:
    return [
        (p.label, p.active_at_start, p.churned, p.reactivated, p.new, p.active_at_end)
        for p in result.periods
    ]


# K = 30 days, months of 2024, observation end 2024-05-31 (May complete).
#   A buys 01-10, 02-05, 05-20; B buys 01-31; C buys 03-15.
HAND = [
    ("A", D(2024, 1, 10)),
    ("A", D(2024, 2, 5)),
    ("A", D(2024, 5, 20)),
    ("B", D(2024, 1, 31)),
    ("C", D(2024, 3, 15)),
]


def test_monthly_flows_by_hand() -> None:
    result = churn_by_period(_purchases(HAND), observation_end=D(2024, 5, 31), inactive_days=30)
    # Jan: A and B new; at 01-31 A is 21 days out, B 0: both active.
    # Feb: at 02-29 A is 24 days out (02-05), B 29 (01-31): both still active.
    # Mar: at 03-31 A is 55 days out, B 60: both churned; C new (16 days): active.
    # Apr: at 04-30 C is 46 days out: churned.
    # May: A, lapsed since March, buys on 05-20: reactivated; active at 05-31 (11 days).
    assert _flows(result) == [
        ("2024-01", 0, 0, 0, 2, 2),
        ("2024-02", 2, 0, 0, 0, 2),
        ("2024-03", 2, 2, 0, 1, 1),
        ("2024-04", 1, 1, 0, 0, 0),
        ("2024-05", 0, 0, 1, 0, 1),
    ]
    rates = [p.churn_rate for p in result.periods]
    assert rates == [None, 0.0, 1.0, 1.0, None]
    # Pooled over complete periods: (0 + 0 + 2 + 1 + 0) / (0 + 2 + 2 + 1 + 0).
    assert result.overall_churn_rate == pytest.approx(3 / 5)
    assert all(p.complete for p in result.periods)
    assert (result.periods[0].start, result.periods[0].end) == ("2024-01-01", "2024-01-31")
    json.dumps(asdict(result))


def test_exactly_inactive_days_is_still_active() -> None:
    # Bought 01-01, K = 30: on 01-31 the purchase is exactly 30 days old: active. On 02-01 it
    # is 31 days old: lapsed, so the customer churns in February.
    result = churn_by_period(
        _purchases([("A", D(2024, 1, 1))]), observation_end=D(2024, 2, 29), inactive_days=30
    )
    assert _flows(result) == [("2024-01", 0, 0, 0, 1, 1), ("2024-02", 1, 1, 0, 0, 0)]


def test_lapse_and_return_in_one_period_is_neither_churn_nor_reactivation() -> None:
    # 01-01 then 02-20, K = 30: lapsed from 02-01 to 02-19, but active at the end of January
    # and of February, so February shows no flow.
    rows = [("A", D(2024, 1, 1)), ("A", D(2024, 2, 20))]
    result = churn_by_period(_purchases(rows), observation_end=D(2024, 2, 29), inactive_days=30)
    assert _flows(result) == [("2024-01", 0, 0, 0, 1, 1), ("2024-02", 1, 0, 0, 0, 1)]


def test_incomplete_last_period_is_dropped_or_flagged() -> None:
    late = [*HAND, ("B", D(2024, 6, 10))]  # after the observation end: ignored
    dropped = churn_by_period(_purchases(late), observation_end=D(2024, 5, 20), inactive_days=30)
    assert [p.label for p in dropped.periods] == ["2024-01", "2024-02", "2024-03", "2024-04"]
    kept = churn_by_period(
        _purchases(late),
        observation_end=D(2024, 5, 20),
        inactive_days=30,
        include_incomplete=True,
    )
    last = kept.periods[-1]
    # May up to 05-20: A's purchase that day reactivates them; the flag says May is partial.
    assert (last.label, last.complete, last.reactivated, last.active_at_end) == (
        "2024-05",
        False,
        1,
        1,
    )
    # The pooled rate covers complete periods only: still 3 / 5.
    assert kept.overall_churn_rate == pytest.approx(3 / 5)


def test_jalali_months_split_at_nowruz() -> None:
    # 2024-03-19 is Esfand 29, 1402; 2024-03-20 is Farvardin 1, 1403 (the end of Farvardin is
    # 2024-04-19, so the observation end completes it).
    rows = [("A", D(2024, 3, 19)), ("B", D(2024, 3, 20))]
    result = churn_by_period(
        _purchases(rows), observation_end=D(2024, 4, 19), calendar="jalali", inactive_days=180
    )
    assert _flows(result) == [("1402-12", 0, 0, 0, 1, 1), ("1403-01", 1, 0, 0, 1, 2)]
    assert (result.periods[1].start, result.periods[1].end) == ("2024-03-20", "2024-04-19")


def test_weeks() -> None:
    # Saturday weeks, K = 6: bought Saturday 2024-03-16; at the end of Friday 03-22 the purchase
    # is 6 days old (active); at the end of 03-29 it is 13 days old: churned that week.
    result = churn_by_period(
        _purchases([("A", D(2024, 3, 16))]),
        observation_end=D(2024, 3, 29),
        inactive_days=6,
        period="W",
    )
    assert _flows(result) == [("2024-03-16", 0, 0, 0, 1, 1), ("2024-03-23", 1, 1, 0, 0, 0)]


def test_no_purchases() -> None:
    result = churn_by_period(_purchases([]), observation_end=D(2024, 5, 31))
    assert result.periods == []
    assert result.overall_churn_rate is None


@pytest.mark.parametrize(("days", "period"), [(29, "M"), (5, "W"), (0, "M")])
def test_inactivity_shorter_than_a_period_is_refused(days: int, period: PeriodKind) -> None:
    with pytest.raises(InputError):
        churn_by_period(
            _purchases(HAND), observation_end=D(2024, 5, 31), inactive_days=days, period=period
        )


def _reference(
    rows: list[tuple[str, date]],
    observation_end: date,
    inactive_days: int,
    calendar: Calendar,
    period: PeriodKind,
    include_incomplete: bool,
) -> list[tuple[str, int, int, int, int, int]]:
    """The definitions applied literally: each customer's status at each checkpoint day."""
    last, cutoff = reporting_window(
        observation_end, calendar=calendar, period=period, include_incomplete=include_incomplete
    )
    days: dict[str, list[date]] = {}
    for customer, day in rows:
        if day <= cutoff:
            days.setdefault(customer, []).append(day)
    if not days:
        return []

    def status(bought: list[date], moment: date) -> str:
        before = [d for d in bought if d <= moment]
        if not before:
            return "unknown"
        return "active" if (moment - max(before)).days <= inactive_days else "lapsed"

    first = min(period_index_of(min(b), calendar=calendar, period=period) for b in days.values())
    flows = []
    for index in range(first, last + 1):
        info = period_info(index, calendar=calendar, period=period)
        start, end = info.start - timedelta(days=1), min(info.end, cutoff)
        counts = [0] * 5
        for bought in days.values():
            before, after = status(bought, start), status(bought, end)
            in_period = any(info.start <= d <= end for d in bought)
            counts[0] += before == "active"
            counts[1] += before == "active" and after == "lapsed"
            counts[2] += before == "lapsed" and in_period
            counts[3] += info.start <= min(bought) <= end
            counts[4] += after == "active"
        flows.append((info.label, *counts))
    return flows  # type: ignore[return-value]


purchase_logs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f"]),
        st.dates(min_value=D(2022, 1, 1), max_value=D(2023, 12, 31)),
    ),
    min_size=0,
    max_size=40,
    unique=True,
)


@settings(max_examples=40, deadline=None)
@given(
    purchase_logs,
    st.dates(min_value=D(2022, 6, 1), max_value=D(2024, 3, 1)),
    st.sampled_from([("gregorian", "M"), ("jalali", "M"), ("gregorian", "W")]),
    st.integers(min_value=0, max_value=200),
    st.booleans(),
)
def test_matches_the_day_by_day_reference(
    rows: list[tuple[str, date]],
    observation_end: date,
    kind: tuple[Calendar, PeriodKind],
    extra_days: int,
    include_incomplete: bool,
) -> None:
    calendar, period = kind
    inactive_days = (30 if period == "M" else 6) + extra_days
    result = churn_by_period(
        _purchases(rows),
        observation_end=observation_end,
        inactive_days=inactive_days,
        calendar=calendar,
        period=period,
        include_incomplete=include_incomplete,
    )
    expected = _reference(
        rows, observation_end, inactive_days, calendar, period, include_incomplete
    )
    assert _flows(result) == expected
    for p in result.periods:
        assert p.active_at_end == p.active_at_start - p.churned + p.reactivated + p.new


def _customers() -> pa.Table:
    # clv: 100, 90, 80, NaN (no fit), 10; p_alive: 0.2, 0.9, 0.4, 0.1, 0.1.
    return pa.table(
        {
            "customer_id": [1, 2, 3, 4, 5],
            "clv": [100.0, 90.0, 80.0, math.nan, 10.0],
            "p_alive": [0.2, 0.9, 0.4, 0.1, 0.1],
            "days_since_last": [200, 3, 90, 400, 300],
        }
    )


def test_at_risk_by_hand() -> None:
    # Four customers have a value; top 40 % = ⌈1.6⌉ = 2: customers 1 and 2. Of those only 1 has
    # P(alive) < 0.5. Customer 4 (NaN value) is not "valuable" whatever its P(alive).
    assert at_risk(_customers(), top_share=0.4).to_pyarrow()["customer_id"].to_pylist() == [1]
    # Top 60 % = ⌈2.4⌉ = 3: customers 1, 2, 3 → slipping: 1 (0.2) and 3 (0.4), most valuable
    # first.
    table = at_risk(ibis.memtable(_customers()), top_share=0.6).to_pyarrow()
    assert table["customer_id"].to_pylist() == [1, 3]
    assert table["value_rank"].to_pylist() == [1, 3]
    assert "days_since_last" in table.column_names
    # A stricter threshold drops customer 3.
    strict = at_risk(_customers(), top_share=0.6, p_alive_threshold=0.3).to_pyarrow()
    assert strict["customer_id"].to_pylist() == [1]


def test_at_risk_on_another_value_column() -> None:
    table = at_risk(_customers(), value_col="days_since_last", top_share=0.2).to_pyarrow()
    # By days_since_last: 4 (400) is the top ⌈0.2 × 5⌉ = 1, with P(alive) 0.1.
    assert table["customer_id"].to_pylist() == [4]


def test_at_risk_missing_column() -> None:
    with pytest.raises(InputError):
        at_risk(_customers(), value_col="total_amount")


@pytest.mark.parametrize(
    ("p", "label"),
    [(0.0, "high"), (0.29, "high"), (0.3, "medium"), (0.59, "medium"), (0.6, "low"), (1.0, "low")],
)
def test_churn_risk_label(p: float, label: str) -> None:
    assert churn_risk_label(p) == label


def test_churn_risk_labels_everywhere_agree() -> None:
    values = [0.0, 0.29, 0.3, 0.59, 0.6, 1.0, math.nan]
    expected = ["high", "high", "medium", "medium", "low", "low", None]
    assert churn_risk_label(math.nan) is None
    assert churn_risk_labels(np.array(values)).to_pylist() == expected
    table = ibis.memtable(pa.table({"i": range(8), "p": [*values, None]}))
    rows = table.mutate(risk=churn_risk_expr(table.p)).order_by("i").to_pyarrow()
    assert rows["risk"].to_pylist() == [*expected, None]


def test_current_churn_share() -> None:
    # K = 180: 200 and 181 days are lapsed, 180 and 10 are not.
    summary = ibis.memtable(pa.table({"days_since_last": [10, 200, 181, 180]}))
    assert current_churn_share(summary, inactive_days=180) == 0.5
    empty = ibis.memtable(pa.table({"days_since_last": pa.array([], type=pa.int64())}))
    assert current_churn_share(empty) is None
