"""Jalali (Solar Hijri) dates: conversion, display and lenient parsing of imported dates.

Dates are stored as Gregorian ``date``/aware ``datetime``; the Jalali calendar is a display and
input concern. Conversion is delegated to jdatetime, whose 33-year leap cycle matches the
official calendar over the years a CRM deals with (1403 is a leap year, 1404 is not).

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo

import jdatetime

from mehvar.core.persian import to_latin_digits, to_persian_digits

__all__ = [
    "JALALI_MONTHS_FA",
    "TEHRAN",
    "InvalidDate",
    "format_jalali",
    "from_jalali",
    "parse_date",
    "to_jalali",
]

TEHRAN: Final = ZoneInfo("Asia/Tehran")

JALALI_MONTHS_FA: Final[list[str]] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
]

# In "auto" mode a year below this is Jalali: Jalali years in use are ~1300–1500 and Gregorian
# ones ~1900–2100, so the gap leaves no ambiguity.
_AUTO_JALALI_BELOW: Final = 1700

_DATE_PATTERN: Final = re.compile(
    r"(?P<year>\d{4})(?P<sep>[/\-.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})"
    # Spreadsheet and CSV exports append a time ("2024-03-24 00:00:00"); the date is what counts.
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)

Calendar = Literal["auto", "jalali", "gregorian"]


class InvalidDate(ValueError):
    """A date that cannot be parsed or does not exist in its calendar.

    ``code`` is a stable machine-readable reason; ``str(error)`` is a Persian message for users.
    """

    MESSAGES: Final = {
        "empty": "تاریخ وارد نشده است.",
        "invalid_format": "قالب تاریخ شناخته نشد؛ به شکل ۱۴۰۳/۰۱/۰۵ یا 2024-03-24 وارد کنید.",
        "invalid_date": "چنین تاریخی در تقویم وجود ندارد.",
        "invalid_type": "مقدار واردشده تاریخ نیست.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES[code])


def _require_aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        # A naive datetime has no defined calendar day in Tehran; guessing shifts dates by a
        # day around midnight, so callers must say which zone they mean.
        raise ValueError("naive datetime: attach a timezone before converting to Jalali")


def _local_date(value: date | datetime, tz: tzinfo) -> date:
    if isinstance(value, datetime):
        _require_aware(value)
        return value.astimezone(tz).date()
    return value


def to_jalali(d: date | datetime, *, tz: tzinfo = TEHRAN) -> tuple[int, int, int]:
    """(year, month, day) in the Jalali calendar; aware datetimes are first converted to ``tz``."""
    local = _local_date(d, tz)
    j = jdatetime.date.fromgregorian(date=local)
    return (j.year, j.month, j.day)


def from_jalali(year: int, month: int, day: int) -> date:
    """The Gregorian date of a Jalali date; ``InvalidDate`` if it does not exist (1404/12/30)."""
    try:
        result: date = jdatetime.date(year, month, day).togregorian()
    except (ValueError, OverflowError) as exc:
        raise InvalidDate("invalid_date") from exc
    return result


def format_jalali(
    d: date | datetime,
    *,
    with_time: bool = False,
    persian_digits: bool = False,
    tz: tzinfo = TEHRAN,
) -> str:
    """Format as "1403/01/05", or "1403/01/05 14:30" with ``with_time`` for datetimes.

    Datetimes are converted to ``tz`` first; naive datetimes raise ``ValueError``. ``with_time``
    is ignored for plain dates so one template filter can serve date and datetime fields.
    """
    if isinstance(d, datetime):
        _require_aware(d)
        d = d.astimezone(tz)
    year, month, day = to_jalali(d, tz=tz)
    text = f"{year:04d}/{month:02d}/{day:02d}"
    if with_time and isinstance(d, datetime):
        text += f" {d.hour:02d}:{d.minute:02d}"
    return to_persian_digits(text) if persian_digits else text


def _from_gregorian(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise InvalidDate("invalid_date") from exc


def parse_date(raw: date | datetime | str, *, calendar: Calendar = "auto") -> date:
    """A Gregorian ``date`` from what people and spreadsheets put in a date column.

    Accepts ``date``/``datetime`` objects (Excel cells; aware datetimes are taken in Tehran
    time, naive ones as they are) and year-first strings with "/", "-" or "." separators in
    any digit script: "1403/1/5", "۱۴۰۳-۰۱-۰۵", "1403.01.05", "2024-03-24", "2024/03/24".
    ``calendar="auto"`` reads a year below 1700 as Jalali and any other as Gregorian;
    "jalali" and "gregorian" force one. Day-first forms ("24/03/2024") are rejected because
    day/month order is ambiguous. Raises ``InvalidDate`` with a Persian message.
    """
    if calendar not in ("auto", "jalali", "gregorian"):
        raise ValueError(f"unknown calendar {calendar!r}")
    if isinstance(raw, datetime):
        return raw.astimezone(TEHRAN).date() if raw.tzinfo is not None else raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise InvalidDate("invalid_type")
    text = to_latin_digits(raw).strip()
    if not text:
        raise InvalidDate("empty")
    match = _DATE_PATTERN.fullmatch(text)
    if match is None:
        raise InvalidDate("invalid_format")
    year, month, day = (int(match[name]) for name in ("year", "month", "day"))
    jalali = calendar == "jalali" or (calendar == "auto" and year < _AUTO_JALALI_BELOW)
    return from_jalali(year, month, day) if jalali else _from_gregorian(year, month, day)
