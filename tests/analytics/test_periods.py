"""Calendar periods: indexes, labels and bounds in both calendars, on scalars and on tables."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import ibis
import jdatetime
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.analytics.errors import InputError
from mehvar.analytics.periods import (
    CALENDAR_FIRST_DAY,
    CALENDAR_LAST_DAY,
    Calendar,
    PeriodKind,
    add_period_index,
    check_calendar,
    label_periods,
    period_index_of,
    period_info,
    periods_between,
    periods_table,
    reporting_window,
)

KINDS: list[tuple[Calendar, PeriodKind]] = [
    ("gregorian", "M"),
    ("jalali", "M"),
    ("gregorian", "W"),
    ("jalali", "W"),
]


def _days_table(days: list[date | None]) -> ibis.Table:
    return ibis.memtable(pa.table({"date": pa.array(days, type=pa.date32())}))


def _indexed(days: list[date | None], calendar: Calendar, period: PeriodKind) -> dict[date, int]:
    table = add_period_index(_days_table(days), calendar=calendar, period=period)
    rows = table.to_pyarrow().to_pylist()
    return {row["date"]: row["period_index"] for row in rows}


def test_nowruz_1403_is_where_jdatetime_puts_it() -> None:
    # The hand facts the other tests lean on: Esfand 29, 1402 is 2024-03-19 and Farvardin 1,
    # 1403 (Nowruz) is 2024-03-20.
    assert jdatetime.date.fromgregorian(date=date(2024, 3, 19)) == jdatetime.date(1402, 12, 29)
    assert jdatetime.date.fromgregorian(date=date(2024, 3, 20)) == jdatetime.date(1403, 1, 1)


def test_month_index_is_year_times_twelve_plus_month() -> None:
    # Gregorian: 2024 × 12 + (3 − 1) = 24290 for every day of March 2024.
    assert period_index_of(date(2024, 3, 1)) == 24290
    assert period_index_of(date(2024, 3, 31)) == 24290
    assert period_index_of(date(2024, 4, 1)) == 24291
    # Jalali: Esfand 1402 is 1402 × 12 + 11 = 16835; Farvardin 1403 is 1403 × 12 = 16836.
    assert period_index_of(date(2024, 3, 19), calendar="jalali") == 16835
    assert period_index_of(date(2024, 3, 20), calendar="jalali") == 16836


def test_month_info_labels_and_bounds() -> None:
    feb = period_info(24289)
    assert (feb.label, feb.start, feb.end) == ("2024-02", date(2024, 2, 1), date(2024, 2, 29))
    farvardin = period_info(16836, calendar="jalali")
    # Farvardin has 31 days: 2024-03-20 … 2024-04-19.
    assert farvardin.label == "1403-01"
    assert (farvardin.start, farvardin.end) == (date(2024, 3, 20), date(2024, 4, 19))
    # 1403 is a leap year (1403 mod 33 = 17), so Esfand 1403 has 30 days and Nowruz 1404 is
    # 2025-03-21.
    esfand = period_info(1403 * 12 + 11, calendar="jalali")
    assert esfand.label == "1403-12"
    assert esfand.end == date(2025, 3, 20)
    assert (esfand.end - esfand.start).days + 1 == 30
    assert period_info(1404 * 12, calendar="jalali").start == date(2025, 3, 21)


def test_weeks_start_on_saturday_in_both_calendars() -> None:
    # 2024-03-16 is a Saturday; the Friday before belongs to the previous week.
    assert date(2024, 3, 16).weekday() == 5
    saturday = period_index_of(date(2024, 3, 16), period="W")
    assert period_index_of(date(2024, 3, 15), period="W") == saturday - 1
    assert period_index_of(date(2024, 3, 22), period="W") == saturday
    week = period_info(saturday, period="W")
    assert (week.start, week.end, week.label) == (
        date(2024, 3, 16),
        date(2024, 3, 22),
        "2024-03-16",
    )
    # Same week, labelled by its first day in the Jalali calendar: Esfand 26, 1402.
    assert period_info(saturday, calendar="jalali", period="W").label == "1402-12-26"


def test_periods_between_is_consecutive_and_inclusive() -> None:
    months = periods_between(16834, 16837, calendar="jalali")
    assert [p.label for p in months] == ["1402-11", "1402-12", "1403-01", "1403-02"]
    for before, after in pairwise(months):
        assert after.start == before.end + timedelta(days=1)
    assert periods_between(5, 4) == []


@pytest.mark.parametrize(("calendar", "period"), KINDS)
def test_engine_index_matches_the_scalar_one_for_every_day(
    calendar: Calendar, period: PeriodKind
) -> None:
    days = [date(2023, 1, 1) + timedelta(days=i) for i in range(4 * 366)]
    indexed = _indexed(list(days), calendar, period)
    assert len(indexed) == len(days)
    for day in days:
        assert indexed[day] == period_index_of(day, calendar=calendar, period=period), day


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.dates(min_value=CALENDAR_FIRST_DAY, max_value=CALENDAR_LAST_DAY),
        min_size=1,
        max_size=30,
    ),
    st.sampled_from(KINDS),
)
def test_engine_index_matches_scalar_anywhere_in_range(
    days: list[date], kind: tuple[Calendar, PeriodKind]
) -> None:
    calendar, period = kind
    indexed = _indexed(list(days), calendar, period)
    for day in days:
        assert indexed[day] == period_index_of(day, calendar=calendar, period=period)


def test_jalali_day_calendar_has_no_gaps() -> None:
    # Every day of 1900–2199 is in the calendar table exactly once, and the index steps by 0 or
    # 1 from one day to the next: months are contiguous and none is skipped.
    days = [CALENDAR_FIRST_DAY, CALENDAR_LAST_DAY]
    table = ibis.memtable(
        pa.table(
            {
                "date": pa.array(
                    np.arange(
                        np.datetime64(days[0]), np.datetime64(days[1]) + 1, dtype="datetime64[D]"
                    )
                )
            }
        )
    )
    rows = add_period_index(table, calendar="jalali").order_by("date").to_pyarrow()
    index = rows["period_index"].to_numpy()
    assert rows.num_rows == (days[1] - days[0]).days + 1
    assert set(np.diff(index).tolist()) == {0, 1}
    assert index[0] == period_index_of(days[0], calendar="jalali")
    assert index[-1] == period_index_of(days[1], calendar="jalali")


def test_null_and_out_of_range_days_get_a_null_jalali_index() -> None:
    indexed = _indexed([None, date(1850, 1, 1), date(2024, 3, 20)], "jalali", "M")
    assert indexed[None] is None  # type: ignore[index]
    assert indexed[date(1850, 1, 1)] is None
    assert indexed[date(2024, 3, 20)] == 16836


def test_label_periods_adds_label_and_bounds() -> None:
    table = _days_table([date(2024, 3, 19), date(2024, 3, 20)])
    for span in (None, (date(2024, 1, 1), date(2024, 12, 31))):
        rows = label_periods(table, calendar="jalali", span=span).order_by("date").to_pyarrow()
        assert rows.to_pylist() == [
            {
                "date": date(2024, 3, 19),
                "period_index": 16835,
                "period_label": "1402-12",
                "period_start": date(2024, 2, 20),
                "period_end": date(2024, 3, 19),
            },
            {
                "date": date(2024, 3, 20),
                "period_index": 16836,
                "period_label": "1403-01",
                "period_start": date(2024, 3, 20),
                "period_end": date(2024, 4, 19),
            },
        ]


def test_label_periods_of_an_empty_table_is_empty() -> None:
    assert label_periods(_days_table([])).to_pyarrow().num_rows == 0


def test_periods_table() -> None:
    rows = periods_table(24288, 24289).to_pyarrow().to_pylist()
    assert rows == [
        {
            "period_index": 24288,
            "period_label": "2024-01",
            "period_start": date(2024, 1, 1),
            "period_end": date(2024, 1, 31),
        },
        {
            "period_index": 24289,
            "period_label": "2024-02",
            "period_start": date(2024, 2, 1),
            "period_end": date(2024, 2, 29),
        },
    ]


def test_reporting_window_drops_the_incomplete_period() -> None:
    march = period_index_of(date(2024, 3, 1))
    # The last day of March completes it.
    assert reporting_window(
        date(2024, 3, 31), calendar="gregorian", period="M", include_incomplete=False
    ) == (march, date(2024, 3, 31))
    # A day earlier March is incomplete: report up to February, count purchases to Feb 29.
    assert reporting_window(
        date(2024, 3, 30), calendar="gregorian", period="M", include_incomplete=False
    ) == (march - 1, date(2024, 2, 29))
    assert reporting_window(
        date(2024, 3, 30), calendar="gregorian", period="M", include_incomplete=True
    ) == (march, date(2024, 3, 30))
    # 2024-03-19 is the last day of Esfand 1402.
    assert reporting_window(
        date(2024, 3, 19), calendar="jalali", period="M", include_incomplete=False
    ) == (16835, date(2024, 3, 19))


def test_unknown_calendar_or_period_is_an_input_error() -> None:
    with pytest.raises(InputError):
        check_calendar("hijri")
    with pytest.raises(InputError):
        check_calendar("jalali", "Q")
    with pytest.raises(InputError):
        period_index_of(date(2024, 1, 1), calendar="lunar")  # type: ignore[arg-type]
