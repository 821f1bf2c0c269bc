"""The business-hours clock behind service-desk SLAs.

An SLA such as "answer within 8 hours" means 8 *working* hours: the clock runs only while the
desk is open. A ``WorkWeek`` says when that is: opening hours per weekday in one time zone,
plus holiday dates that are off whatever their weekday.

The Iranian week starts on Saturday and its weekend is Friday. ``WorkWeek.iranian()`` is the
common office pattern: Saturday to Wednesday 08:00–16:00, Thursday a half day 08:00–12:00 and
Friday off, in Tehran time. Public holidays are not weekdays and must be passed as dates:
``calendar_ir.fixed_holidays`` gives the solar ones, the lunar ones come from the admin.

Everything is counted in whole seconds over real elapsed time. Opening hours are wall-clock
times in ``week.tz``, so a day's open interval is built in local time and then measured in UTC:
on a day when the clocks change, a 01:00–05:00 shift lasts 3 or 5 real hours, not 4. Iran has
had no DST since 2022, but the week may be in any zoneinfo zone. A local time that falls in a
DST gap is read as zoneinfo reads it (``fold=0``: the offset in force before the change), and a
repeated local time means its first occurrence.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Final

from mehvar.core.jalali import TEHRAN

__all__ = [
    "WorkWeek",
    "add_business_seconds",
    "business_seconds",
    "deadline",
    "describe",
]

_ONE_DAY: Final = timedelta(days=1)
_ONE_SECOND: Final = timedelta(seconds=1)

# A calendar that lets no working time through for this long is misconfigured (every day a
# holiday), not a slow desk: stop and say so rather than walk towards year 9999.
_MAX_IDLE_DAYS: Final = 5 * 366


@dataclass(frozen=True)
class WorkWeek:
    """Opening hours per weekday in one time zone, and local dates that are off.

    ``days`` maps Python's weekday (Monday 0 … Sunday 6) to ``(opens, closes)``, naive wall-clock
    times in ``tz`` with ``opens < closes`` on the same day; a weekday that is absent is off.
    """

    tz: tzinfo
    days: Mapping[int, tuple[time, time]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if not isinstance(self.tz, tzinfo):
            raise ValueError(f"tz must be a tzinfo, got {self.tz!r}")
        days: dict[int, tuple[time, time]] = {}
        for weekday, hours in dict(self.days).items():
            if not isinstance(weekday, int) or isinstance(weekday, bool) or not 0 <= weekday <= 6:
                raise ValueError(f"weekday keys are 0 (Monday) to 6 (Sunday), got {weekday!r}")
            opens, closes = hours
            for value in (opens, closes):
                if not isinstance(value, time):
                    raise ValueError(f"opening hours must be datetime.time, got {value!r}")
                # The zone belongs to the week; a time with its own zone would mean two clocks.
                if value.tzinfo is not None:
                    raise ValueError(f"opening hours must be naive times, got {value!r}")
                # The clock counts whole seconds; sub-second hours would make totals drift.
                if value.microsecond:
                    raise ValueError(f"opening hours must be whole seconds, got {value!r}")
            if not opens < closes:
                raise ValueError(
                    f"weekday {weekday}: opening time {opens} must be before closing time {closes}"
                )
            days[weekday] = (opens, closes)
        holidays = frozenset(self.holidays)
        for day in holidays:
            # A datetime is a date subclass but never equals a date: as a holiday it would
            # silently match nothing.
            if not isinstance(day, date) or isinstance(day, datetime):
                raise ValueError(f"holidays must be dates, got {day!r}")
        # A read-only copy: the caller's dict changing later must not move deadlines.
        object.__setattr__(self, "days", MappingProxyType(days))
        object.__setattr__(self, "holidays", holidays)

    def __hash__(self) -> int:
        return hash((self.tz, tuple(sorted(self.days.items())), self.holidays))

    @classmethod
    def iranian(cls, *, tz: tzinfo = TEHRAN, holidays: Iterable[date] = ()) -> WorkWeek:
        """Saturday to Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday off."""
        full = (time(8), time(16))
        # Python numbers weekdays from Monday: Saturday is 5, Sunday 6, Thursday 3, Friday 4.
        return cls(
            tz=tz,
            days={5: full, 6: full, 0: full, 1: full, 2: full, 3: (time(8), time(12))},
            holidays=frozenset(holidays),
        )

    def is_working_day(self, day: date) -> bool:
        """Whether the local date ``day`` has any open time: a weekday with hours, no holiday."""
        _require_date(day)
        # Asked of the interval, not the weekday, so it agrees with working_seconds_of even on
        # the odd DST day whose opening hour falls in the gap and swallows the whole day.
        return self._interval(day) is not None

    def working_seconds_of(self, day: date) -> int:
        """Working seconds of the local date ``day``: 0 for a day off or a holiday."""
        _require_date(day)
        interval = self._interval(day)
        if interval is None:
            return 0
        return (interval[1] - interval[0]) // _ONE_SECOND

    def _interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The open interval of ``day`` in UTC, or None when nothing is open."""
        if day in self.holidays:
            return None
        hours = self.days.get(day.weekday())
        if hours is None:
            return None
        # Subtracting two datetimes that share a tzinfo ignores their offsets (wall-clock
        # arithmetic), so each end is moved to UTC before anything is measured.
        opens = datetime.combine(day, hours[0], tzinfo=self.tz).astimezone(UTC)
        closes = datetime.combine(day, hours[1], tzinfo=self.tz).astimezone(UTC)
        # An opening time inside a DST gap can land after a closing time just past it.
        if closes <= opens:
            return None
        return opens, closes


def _require_date(day: date) -> None:
    if isinstance(day, datetime):
        raise TypeError("pass a local date, not a datetime: which day it is depends on the zone")


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        # Guessing a zone would shift the clock by hours; the caller must say which one.
        raise ValueError(f"{name} is a naive datetime: attach a timezone")


def _first_day(instant: datetime, week: WorkWeek) -> date:
    """The local day before ``instant``'s own, so no interval reaching into it is missed."""
    local_day = instant.astimezone(week.tz).date()
    return local_day - _ONE_DAY if local_day > date.min else local_day


def business_seconds(start: datetime, end: datetime, week: WorkWeek) -> int:
    """Whole working seconds in ``[start, end)``; 0 when ``end <= start``.

    Both datetimes must be aware; they may be in any zone. A fraction of a second left over at
    the end is dropped, so ``business_seconds(s, add_business_seconds(s, n, w), w) == n``.
    """
    _require_aware(start, "start")
    _require_aware(end, "end")
    start_utc = start.astimezone(UTC)
    end_utc = end.astimezone(UTC)
    if end_utc <= start_utc:
        return 0
    total = timedelta(0)
    day = _first_day(start_utc, week)
    last_day = end_utc.astimezone(week.tz).date()
    while day <= last_day:
        interval = week._interval(day)
        if interval is not None:
            low = max(interval[0], start_utc)
            high = min(interval[1], end_utc)
            if high > low:
                total += high - low
        day += _ONE_DAY
    return total // _ONE_SECOND


def add_business_seconds(start: datetime, seconds: int, week: WorkWeek) -> datetime:
    """The earliest instant ``t >= start`` with ``business_seconds(start, t) == seconds``.

    So a target that runs out exactly at closing time is due at closing time, not at the next
    opening. ``seconds == 0`` gives ``start``. The result is in ``week.tz``.

    Raises ``ValueError`` for negative ``seconds``, a naive ``start``, a week with no working
    weekday, or a calendar with no working time for about five years (every day a holiday).
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"seconds must be an int, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds}")
    _require_aware(start, "start")
    if not week.days:
        raise ValueError("the work week has no working day: no deadline can ever be reached")
    start_utc = start.astimezone(UTC)
    if seconds == 0:
        return start_utc.astimezone(week.tz)
    remaining = timedelta(seconds=seconds)
    day = _first_day(start_utc, week)
    idle_days = 0
    while True:
        interval = week._interval(day)
        if interval is not None and interval[1] > start_utc:
            low = max(interval[0], start_utc)
            available = interval[1] - low
            if remaining <= available:
                return (low + remaining).astimezone(week.tz)
            remaining -= available
            idle_days = 0
        else:
            idle_days += 1
            if idle_days > _MAX_IDLE_DAYS:
                raise ValueError(
                    f"no working time in the {_MAX_IDLE_DAYS} days after {start.isoformat()}: "
                    "check the holidays of this work week"
                )
        try:
            day += _ONE_DAY
        except OverflowError:
            raise ValueError("the business clock ran past the end of the calendar") from None


def deadline(start: datetime, target_seconds: int, paused_seconds: int, week: WorkWeek) -> datetime:
    """A ticket's SLA deadline: ``target_seconds`` of business time after ``start``, pushed back
    by the ``paused_seconds`` of business time its timer was stopped (waiting on the customer).
    """
    if paused_seconds < 0:
        raise ValueError(f"paused_seconds must not be negative, got {paused_seconds}")
    return add_business_seconds(start, target_seconds + paused_seconds, week)


def describe(seconds: int) -> tuple[int, int]:
    """``(hours, minutes)`` for display, leftover seconds dropped: 5,399 s is (1, 29).

    A negative duration (time overdue) gives both parts negative, truncated towards zero the
    same way: -5,399 s is (-1, -29).
    """
    magnitude_minutes = abs(seconds) // 60
    hours, minutes = divmod(magnitude_minutes, 60)
    return (-hours, -minutes) if seconds < 0 else (hours, minutes)
