"""Acquisition cohorts on purchase logs worked out by hand, and their invariants."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.cohorts import CohortResult, cohort_matrix, cohort_table
from mehvar.analytics.errors import InputError
from mehvar.analytics.periods import reporting_window

D = date


def _purchases(rows: list[tuple[str, date, float]]) -> ibis.Table:
    table = pa.table(
        {
            "customer_id": pa.array([r[0] for r in rows], type=pa.string()),
            "date": pa.array([r[1] for r in rows], type=pa.date32()),
            "amount": pa.array([r[2] for r in rows], type=pa.float64()),
            "cost": pa.array([None] * len(rows), type=pa.float64()),
        }
    )
    return ibis.memtable(table)


def _cells(result: CohortResult) -> dict[str, list[tuple[int, int, float, float, float]]]:
    return {
        c.label: [
            (
                cell.k,
                cell.active_customers,
                cell.retention,
                cell.revenue,
                cell.revenue_per_customer,
            )
            for cell in c.cells
        ]
        for c in result.cohorts
    }


HAND = [
    ("A", D(2024, 1, 5), 100.0),
    ("A", D(2024, 1, 20), 50.0),  # a second January purchase: A still counts once
    ("A", D(2024, 3, 2), 30.0),
    ("B", D(2024, 1, 31), 200.0),
    ("B", D(2024, 2, 1), 20.0),
    ("C", D(2024, 2, 10), 70.0),
    ("D", D(2024, 3, 31), 10.0),
    ("E", D(2024, 4, 1), 999.0),  # after the observation end: ignored
]


def test_cohorts_by_hand() -> None:
    result = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 31))
    # 2024-01: A and B (size 2). k=0: both, 100 + 50 + 200 = 350 (175 a customer);
    #   k=1 (Feb): B, 20; k=2 (Mar): A, 30.
    # 2024-02: C (size 1). k=0: 70; k=1 (Mar): nobody.
    # 2024-03: D (size 1). k=0: 10.
    assert _cells(result) == {
        "2024-01": [(0, 2, 1.0, 350.0, 175.0), (1, 1, 0.5, 20.0, 10.0), (2, 1, 0.5, 30.0, 15.0)],
        "2024-02": [(0, 1, 1.0, 70.0, 70.0), (1, 0, 0.0, 0.0, 0.0)],
        "2024-03": [(0, 1, 1.0, 10.0, 10.0)],
    }
    assert [(c.size, c.start) for c in result.cohorts] == [
        (2, "2024-01-01"),
        (1, "2024-02-01"),
        (1, "2024-03-01"),
    ]
    assert result.cohorts[0].cells[2].period_label == "2024-03"
    # Pooled: k=0 4/4; k=1 over Jan and Feb (1 + 0) / (2 + 1); k=2 over Jan only 1/2.
    assert result.retention_by_k == pytest.approx([1.0, 1 / 3, 0.5])
    json.dumps(asdict(result))


def test_limits() -> None:
    capped = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 31), max_periods=2)
    assert [len(c.cells) for c in capped.cohorts] == [2, 2, 1]
    latest = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 31), max_cohorts=1)
    assert [c.label for c in latest.cohorts] == ["2024-03"]
    for bad in (0, -1):
        with pytest.raises(InputError):
            cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 31), max_periods=bad)


def test_incomplete_month_is_dropped_unless_asked_for() -> None:
    # 03-30 leaves March incomplete: report to February and ignore March purchases.
    result = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 30))
    assert _cells(result) == {
        "2024-01": [(0, 2, 1.0, 350.0, 175.0), (1, 1, 0.5, 20.0, 10.0)],
        "2024-02": [(0, 1, 1.0, 70.0, 70.0)],
    }
    kept = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 30), include_incomplete=True)
    # March up to 03-30: A's purchase counts, D's (03-31) does not.
    assert _cells(kept)["2024-01"][2] == (2, 1, 0.5, 30.0, 15.0)
    assert "2024-03" not in _cells(kept)


def test_jalali_cohorts_split_at_nowruz() -> None:
    # One customer buys on Esfand 29, 1402 (2024-03-19) and Farvardin 1, 1403 (2024-03-20):
    # cohort 1402-12, active again at k=1.
    rows = [("A", D(2024, 3, 19), 5.0), ("A", D(2024, 3, 20), 7.0), ("B", D(2024, 3, 20), 1.0)]
    result = cohort_matrix(_purchases(rows), observation_end=D(2024, 4, 19), calendar="jalali")
    assert _cells(result) == {
        "1402-12": [(0, 1, 1.0, 5.0, 5.0), (1, 1, 1.0, 7.0, 7.0)],
        "1403-01": [(0, 1, 1.0, 1.0, 1.0)],
    }
    assert result.cohorts[1].start == "2024-03-20"


def test_weekly_cohorts() -> None:
    # Saturday 2024-03-16 and the Friday after are one week; Saturday 03-23 is the next.
    rows = [("A", D(2024, 3, 16), 1.0), ("A", D(2024, 3, 22), 1.0), ("A", D(2024, 3, 23), 1.0)]
    result = cohort_matrix(_purchases(rows), observation_end=D(2024, 3, 29), period="W")
    assert _cells(result) == {"2024-03-16": [(0, 1, 1.0, 2.0, 2.0), (1, 1, 1.0, 1.0, 1.0)]}


def test_no_purchases() -> None:
    result = cohort_matrix(_purchases([]), observation_end=D(2024, 3, 31))
    assert result.cohorts == []
    assert result.retention_by_k == []
    assert cohort_table(result).to_pyarrow().num_rows == 0


def test_long_table() -> None:
    result = cohort_matrix(_purchases(HAND), observation_end=D(2024, 3, 31))
    table = cohort_table(result).to_pyarrow()
    assert table.column_names == [
        "cohort",
        "cohort_start",
        "cohort_size",
        "k",
        "period",
        "active_customers",
        "retention",
        "revenue",
        "revenue_per_customer",
    ]
    assert table.num_rows == 6  # 3 + 2 + 1 cells, the empty one included
    assert table.to_pylist()[4] == {
        "cohort": "2024-02",
        "cohort_start": D(2024, 2, 1),
        "cohort_size": 1,
        "k": 1,
        "period": "2024-03",
        "active_customers": 0,
        "retention": 0.0,
        "revenue": 0.0,
        "revenue_per_customer": 0.0,
    }


logs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d", "e", "f", "g"]),
        st.dates(min_value=D(2023, 1, 1), max_value=D(2024, 6, 30)),
        st.sampled_from([1.0, 2.5, 10.0]),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda row: (row[0], row[1]),
)


@settings(max_examples=30, deadline=None)
@given(logs, st.sampled_from(["gregorian", "jalali"]), st.booleans())
def test_invariants(
    rows: list[tuple[str, date, float]], calendar: str, include_incomplete: bool
) -> None:
    end = D(2024, 5, 15)
    result = cohort_matrix(
        _purchases(rows),
        observation_end=end,
        calendar=calendar,  # type: ignore[arg-type]
        include_incomplete=include_incomplete,
    )
    _, cutoff = reporting_window(
        end,
        calendar=calendar,  # type: ignore[arg-type]
        period="M",
        include_incomplete=include_incomplete,
    )
    counted = [r for r in rows if r[1] <= cutoff]
    # Every counted customer is in exactly one cohort, and every counted rial is in one cell.
    assert sum(c.size for c in result.cohorts) == len({r[0] for r in counted})
    revenue = sum(cell.revenue for c in result.cohorts for cell in c.cells)
    assert revenue == pytest.approx(sum(r[2] for r in counted))
    for cohort in result.cohorts:
        assert cohort.cells[0].retention == 1.0
        assert all(0 <= cell.active_customers <= cohort.size for cell in cohort.cells)
    lengths = [len(c.cells) for c in result.cohorts]
    # A later cohort never has more periods behind it than an earlier one.
    assert lengths == sorted(lengths, reverse=True)
