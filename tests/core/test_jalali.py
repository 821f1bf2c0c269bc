"""Jalali conversion, display and parsing."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mehvar.core.jalali import (
    JALALI_MONTHS_FA,
    InvalidDate,
    format_jalali,
    from_jalali,
    parse_date,
    to_jalali,
)


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [
        ((1300, 1, 1), date(1921, 3, 21)),
        ((1357, 11, 22), date(1979, 2, 11)),
        ((1378, 10, 11), date(2000, 1, 1)),
        ((1399, 12, 30), date(2021, 3, 20)),
        ((1403, 1, 1), date(2024, 3, 20)),
        ((1403, 1, 5), date(2024, 3, 24)),
        ((1403, 12, 30), date(2025, 3, 20)),
        ((1404, 1, 1), date(2025, 3, 21)),
        ((1404, 12, 29), date(2026, 3, 20)),
        ((1405, 1, 1), date(2026, 3, 21)),
    ],
)
def test_anchor_dates(jalali: tuple[int, int, int], gregorian: date) -> None:
    assert from_jalali(*jalali) == gregorian
    assert to_jalali(gregorian) == jalali


def test_1403_is_leap_and_1404_is_not() -> None:
    assert from_jalali(1403, 12, 30) == date(2025, 3, 20)
    with pytest.raises(InvalidDate):
        from_jalali(1404, 12, 30)


def test_leap_years_match_the_official_calendar() -> None:
    # 1403 → 1408 is a five-year gap; the 2820-year (Birashk) rule gets this wrong.
    official = {1391, 1395, 1399, 1403, 1408, 1412, 1416, 1420}
    leap = {y for y in range(1390, 1421) if _is_leap(y)}
    assert leap == official


def _is_leap(year: int) -> bool:
    try:
        from_jalali(year, 12, 30)
    except InvalidDate:
        return False
    return True


def _last_day_of_1500() -> date:
    return from_jalali(1500, 12, 30) if _is_leap(1500) else from_jalali(1500, 12, 29)


def test_every_day_from_1300_to_1500_round_trips() -> None:
    started = time.perf_counter()
    day = from_jalali(1300, 1, 1)
    end = _last_day_of_1500()
    previous = (1299, 12, 29)  # 1299 is not a leap year in the 33-year cycle
    days = 0
    while day <= end:
        current = to_jalali(day)
        _assert_next_day(previous, current)
        assert from_jalali(*current) == day
        previous = current
        day += timedelta(days=1)
        days += 1
    assert previous[0] == 1500
    assert previous[1:] in {(12, 29), (12, 30)}
    # 201 years of 365 days plus 8 leap days per 33 years: between 49 and 50 leap days.
    assert 201 * 365 + 48 <= days <= 201 * 365 + 50
    assert time.perf_counter() - started < 10


def _month_length(year: int, month: int) -> int:
    if month <= 6:
        return 31
    if month <= 11:
        return 30
    return 30 if _is_leap(year) else 29


def _assert_next_day(previous: tuple[int, int, int], current: tuple[int, int, int]) -> None:
    year, month, day = previous
    if day < _month_length(year, month):
        expected = (year, month, day + 1)
    elif month < 12:
        expected = (year, month + 1, 1)
    else:
        expected = (year + 1, 1, 1)
    assert current == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (date(2024, 3, 24), {}, "1403/01/05"),
        (date(2024, 3, 24), {"persian_digits": True}, "۱۴۰۳/۰۱/۰۵"),
        (date(2024, 3, 24), {"with_time": True}, "1403/01/05"),
        (datetime(2024, 3, 19, 20, 29, tzinfo=UTC), {"with_time": True}, "1402/12/29 23:59"),
        (datetime(2024, 3, 19, 20, 30, tzinfo=UTC), {"with_time": True}, "1403/01/01 00:00"),
        (datetime(2024, 3, 19, 20, 30, tzinfo=UTC), {}, "1403/01/01"),
        (
            datetime(2024, 3, 24, 9, 5, tzinfo=UTC),
            {"with_time": True, "persian_digits": True},
            "۱۴۰۳/۰۱/۰۵ ۱۲:۳۵",
        ),
        (
            datetime(2024, 3, 19, 20, 30, tzinfo=UTC),
            {"tz": timezone(timedelta(hours=0))},
            "1402/12/29",
        ),
    ],
)
def test_format_jalali(value: date, kwargs: dict[str, object], expected: str) -> None:
    assert format_jalali(value, **kwargs) == expected  # type: ignore[arg-type]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_jalali(datetime(2024, 3, 24, 12, 0))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        to_jalali(datetime(2024, 3, 24, 12, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1403/1/5", date(2024, 3, 24)),
        ("1403/01/05", date(2024, 3, 24)),
        ("۱۴۰۳-۰۱-۰۵", date(2024, 3, 24)),
        ("١٤٠٣/٠١/٠٥", date(2024, 3, 24)),
        ("1403.01.05", date(2024, 3, 24)),
        (" 1403/01/05 ", date(2024, 3, 24)),
        ("2024-03-24", date(2024, 3, 24)),
        ("2024/03/24", date(2024, 3, 24)),
        ("2024-03-24 00:00:00", date(2024, 3, 24)),
        ("2024-03-24T15:30", date(2024, 3, 24)),
        ("1403/12/30", date(2025, 3, 20)),
        (date(2024, 3, 24), date(2024, 3, 24)),
        (datetime(2024, 3, 24, 23, 0), date(2024, 3, 24)),  # noqa: DTZ001 (Excel: naive)
        (datetime(2024, 3, 24, 21, 0, tzinfo=UTC), date(2024, 3, 25)),  # Tehran is +03:30
    ],
)
def test_parse_date(raw: str | date, expected: date) -> None:
    assert parse_date(raw) == expected


def test_parse_date_forced_calendar() -> None:
    assert parse_date("1403/01/05", calendar="gregorian") == date(1403, 1, 5)
    assert parse_date("1750/01/01", calendar="jalali") == from_jalali(1750, 1, 1)
    assert parse_date("1699/01/01") == from_jalali(1699, 1, 1)
    assert parse_date("1700/01/01") == date(1700, 1, 1)
    with pytest.raises(ValueError, match="calendar"):
        parse_date("1403/01/05", calendar="hijri")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("1404/12/30", "invalid_date"),
        ("1403/13/01", "invalid_date"),
        ("1403/07/31", "invalid_date"),
        ("1403/00/10", "invalid_date"),
        ("2023-02-29", "invalid_date"),
        ("2024/04/31", "invalid_date"),
        ("24/03/2024", "invalid_format"),
        ("03/24/2024", "invalid_format"),
        ("1403/01-05", "invalid_format"),
        ("1403 فروردین 5", "invalid_format"),
        ("03/1/5", "invalid_format"),
        ("", "empty"),
        ("   ", "empty"),
    ],
)
def test_parse_date_errors(raw: str, code: str) -> None:
    with pytest.raises(InvalidDate) as excinfo:
        parse_date(raw)
    assert excinfo.value.code == code
    assert str(excinfo.value)


def test_parse_date_rejects_other_types() -> None:
    with pytest.raises(InvalidDate):
        parse_date(45375)  # type: ignore[arg-type]


dates = st.dates(min_value=date(1922, 1, 1), max_value=date(2120, 12, 31))


@given(dates, st.booleans())
def test_format_then_parse_round_trips(d: date, persian_digits: bool) -> None:
    assert parse_date(format_jalali(d, persian_digits=persian_digits)) == d


@given(dates)
def test_iso_strings_parse_as_gregorian(d: date) -> None:
    assert parse_date(d.isoformat()) == d
    assert parse_date(d.strftime("%Y/%m/%d")) == d


# Hypothesis takes naive bounds and attaches the zone itself.
_FROM = datetime(1950, 1, 1)  # noqa: DTZ001
_TO = datetime(2100, 1, 1)  # noqa: DTZ001


@given(st.datetimes(min_value=_FROM, max_value=_TO, timezones=st.just(UTC)))
def test_aware_datetimes_use_tehran_calendar_day(aware: datetime) -> None:
    tehran_day = aware.astimezone(ZoneInfo("Asia/Tehran")).date()
    assert to_jalali(aware) == to_jalali(tehran_day)


def test_month_names() -> None:
    assert len(JALALI_MONTHS_FA) == 12
    assert len(set(JALALI_MONTHS_FA)) == 12
    assert JALALI_MONTHS_FA[0] == "فروردین"
    assert JALALI_MONTHS_FA[6] == "مهر"
    assert JALALI_MONTHS_FA[11] == "اسفند"
