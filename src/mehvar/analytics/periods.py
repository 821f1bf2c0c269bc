"""Calendar periods (months or Saturday weeks, Gregorian or Jalali) for churn and cohorts.

Every period has an integer *index* that grows by one from one period to the next, so "months
since acquisition" is a subtraction and periods sort and group as plain integers:

* Gregorian months: ``year × 12 + (month − 1)``; label ``YYYY-MM`` (``2024-03``).
* Jalali months: ``jalali_year × 12 + (jalali_month − 1)``; label ``YYYY-MM`` in the Jalali
  calendar (``1403-01`` is Farvardin 1403, which starts on 2024-03-20).
* Weeks (``period="W"``): Iranian weeks run Saturday to Friday; the index counts weeks since
  Saturday 1900-01-06 and the label is the week's first day, ``YYYY-MM-DD`` in the chosen
  calendar.

On tables the index is computed in the engine, never by a Python loop over rows. Gregorian
months and weeks are plain arithmetic. Jalali months are a hash join with a day calendar
(every day of 1900–2199 with its Jalali month index) built once per process from jdatetime's
leap years: no self-join, so a table built by a window is not computed twice, and DuckDB
joins 10 M rows to it in well under a second. Labels and bounds are needed only for the few
periods a result has, so they are computed in Python (:func:`period_info`) or joined from a
small table (:func:`periods_table`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Final, Literal, cast, get_args

import ibis
import jdatetime
import numpy as np
import pyarrow as pa

from mehvar.analytics.errors import InputError, gettext_noop
from mehvar.core.jalali import from_jalali, to_jalali

__all__ = [
    "Calendar",
    "Period",
    "PeriodKind",
    "add_period_index",
    "check_calendar",
    "label_periods",
    "max_period_days",
    "period_index_of",
    "period_info",
    "periods_between",
    "periods_table",
    "reporting_window",
]

Calendar = Literal["gregorian", "jalali"]
PeriodKind = Literal["M", "W"]

# A Saturday: Iranian weeks start on Saturday, whatever the calendar.
WEEK_EPOCH: Final = date(1900, 1, 6)

# The Jalali day calendar covers these Gregorian days; purchases outside them get a NULL index.
CALENDAR_FIRST_DAY: Final = date(1900, 1, 1)
CALENDAR_LAST_DAY: Final = date(2199, 12, 31)

_TMP: Final = "__mehvar_period_"


@dataclass(frozen=True)
class Period:
    """One calendar period: its index, label and first and last Gregorian day (inclusive)."""

    index: int
    label: str
    start: date
    end: date


def check_calendar(calendar: str, period: str = "M") -> tuple[Calendar, PeriodKind]:
    """Validate the user's choice of calendar and period length (raises ``InputError``)."""
    if calendar not in get_args(Calendar):
        raise InputError(
            gettext_noop("Unknown calendar %(calendar)s: use gregorian or jalali."),
            calendar=calendar,
        )
    if period not in get_args(PeriodKind):
        raise InputError(
            gettext_noop("Unknown period %(period)s: use M (months) or W (weeks)."), period=period
        )
    return cast(Calendar, calendar), cast(PeriodKind, period)


def max_period_days(period: PeriodKind) -> int:
    """The longest a period of this kind can be, in days (31 for months in both calendars)."""
    return 31 if period == "M" else 7


def period_index_of(d: date, *, calendar: Calendar = "gregorian", period: PeriodKind = "M") -> int:
    """The index of the period holding day ``d`` (the scalar twin of :func:`add_period_index`)."""
    check_calendar(calendar, period)
    if period == "W":
        return (d - WEEK_EPOCH).days // 7
    if calendar == "jalali":
        year, month, _ = to_jalali(d)
        return year * 12 + month - 1
    return d.year * 12 + d.month - 1


def _month_start(index: int, calendar: Calendar) -> date:
    year, month0 = divmod(index, 12)
    if calendar == "jalali":
        return from_jalali(year, month0 + 1, 1)
    return date(year, month0 + 1, 1)


def _format_day(d: date, calendar: Calendar) -> str:
    year, month, day = to_jalali(d) if calendar == "jalali" else (d.year, d.month, d.day)
    return f"{year:04d}-{month:02d}-{day:02d}"


@lru_cache(maxsize=4096)
def period_info(
    index: int, *, calendar: Calendar = "gregorian", period: PeriodKind = "M"
) -> Period:
    """Label and bounds of the period with this index."""
    check_calendar(calendar, period)
    if period == "W":
        start = WEEK_EPOCH + timedelta(days=7 * index)
        return Period(index, _format_day(start, calendar), start, start + timedelta(days=6))
    year, month0 = divmod(index, 12)
    start = _month_start(index, calendar)
    end = _month_start(index + 1, calendar) - timedelta(days=1)
    return Period(index, f"{year:04d}-{month0 + 1:02d}", start, end)


def periods_between(
    first: int, last: int, *, calendar: Calendar = "gregorian", period: PeriodKind = "M"
) -> list[Period]:
    """Every period from index ``first`` to ``last`` inclusive (empty when ``last < first``)."""
    return [period_info(i, calendar=calendar, period=period) for i in range(first, last + 1)]


def periods_table(
    first: int, last: int, *, calendar: Calendar = "gregorian", period: PeriodKind = "M"
) -> ibis.Table:
    """A small table (period_index, period_label, period_start, period_end) to join labels on."""
    rows = periods_between(first, last, calendar=calendar, period=period)
    schema = pa.schema(
        [
            ("period_index", pa.int64()),
            ("period_label", pa.string()),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
        ]
    )
    columns = [
        [p.index for p in rows],
        [p.label for p in rows],
        [p.start for p in rows],
        [p.end for p in rows],
    ]
    return ibis.memtable(pa.Table.from_arrays(columns, schema=schema))


def reporting_window(
    observation_end: date, *, calendar: Calendar, period: PeriodKind, include_incomplete: bool
) -> tuple[int, date]:
    """The last period to report and the last day whose purchases count.

    Churn and cohorts share it so that both drop (or keep) the same incomplete period: the
    one holding ``observation_end``, unless that day is its last.
    """
    last = period_index_of(observation_end, calendar=calendar, period=period)
    info = period_info(last, calendar=calendar, period=period)
    if include_incomplete or info.end == observation_end:
        return last, observation_end
    return last - 1, info.start - timedelta(days=1)


@lru_cache(maxsize=1)
def _jalali_calendar() -> ibis.Table:
    """(day, month index) for every day of the supported range: 110 k rows, built once.

    Month lengths are fixed (six of 31 days, five of 30, then Esfand: 30 in jdatetime's leap
    years, else 29), so one conversion and 300 leap-year checks place every month; the tests
    check the table against jdatetime's own conversion at its ends and on random days.
    """
    first_year = to_jalali(CALENDAR_FIRST_DAY)[0]
    last_year = to_jalali(CALENDAR_LAST_DAY)[0]
    years = range(first_year, last_year + 1)
    esfand = [30 if jdatetime.date(year, 1, 1).isleap() else 29 for year in years]
    lengths = np.array([[31] * 6 + [30] * 5 + [days] for days in esfand], dtype=np.int64).ravel()
    index = np.repeat(np.arange(first_year * 12, (last_year + 1) * 12, dtype=np.int64), lengths)
    start = np.datetime64(from_jalali(first_year, 1, 1), "D")
    days = start + np.arange(index.size, dtype=np.int64)
    inside = (days >= np.datetime64(CALENDAR_FIRST_DAY)) & (
        days <= np.datetime64(CALENDAR_LAST_DAY)
    )
    table = pa.table({f"{_TMP}day": pa.array(days[inside]), f"{_TMP}index": index[inside]})
    return ibis.memtable(table)


def add_period_index(
    table: ibis.Table,
    *,
    date_col: str = "date",
    out: str = "period_index",
    calendar: Calendar = "gregorian",
    period: PeriodKind = "M",
) -> ibis.Table:
    """``table`` with column ``out``: the index of the period holding ``date_col``.

    A NULL date gives a NULL index, and so does a day outside 1900–2199 for Jalali months.
    Gregorian months and weeks are one or two integer operations per row; Jalali months are a
    join with a cached day calendar (see the module docstring), so, as after any join, the rows
    may come back in another order.
    """
    check_calendar(calendar, period)
    d = table[date_col]
    if period == "W":
        weeks = d.delta(ibis.date(WEEK_EPOCH), unit="day") // 7
        return table.mutate(**{out: weeks.cast("int64")})
    if calendar == "gregorian":
        return table.mutate(**{out: (d.year() * 12 + d.month() - 1).cast("int64")})
    calendar_days = _jalali_calendar()
    joined = table.left_join(calendar_days, d == calendar_days[f"{_TMP}day"])
    return joined.rename({out: f"{_TMP}index"}).drop(f"{_TMP}day")


def label_periods(
    table: ibis.Table,
    *,
    date_col: str = "date",
    calendar: Calendar = "gregorian",
    period: PeriodKind = "M",
    span: tuple[date, date] | None = None,
) -> ibis.Table:
    """``table`` with period_index, period_label, period_start and period_end of ``date_col``.

    The labels come from a small table of the periods between ``span``'s two days (joined on
    the index); without ``span`` one aggregate query finds the first and last day. Rows whose
    day lies outside ``span`` keep their index and get NULL labels. Row order is not kept.
    """
    check_calendar(calendar, period)
    if span is None:
        bounds = table.aggregate(lo=table[date_col].min(), hi=table[date_col].max()).to_pyarrow()
        lo, hi = bounds["lo"][0].as_py(), bounds["hi"][0].as_py()
        if lo is None or hi is None:
            lo = hi = WEEK_EPOCH
        span = (lo, hi)
    indexed = add_period_index(table, date_col=date_col, calendar=calendar, period=period)
    first, last = (period_index_of(d, calendar=calendar, period=period) for d in span)
    labels = periods_table(first, last, calendar=calendar, period=period)
    joined = indexed.left_join(labels, indexed.period_index == labels.period_index)
    return joined.drop("period_index_right")
