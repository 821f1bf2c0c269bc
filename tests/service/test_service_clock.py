"""The business-hours clock behind SLAs, and Iran's fixed solar holidays.

The worked examples can be checked with a calendar and a pencil; the properties pin down what
"the earliest instant with n business seconds" means for any start, target and holiday set.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mehvar.core.jalali import TEHRAN, from_jalali
from mehvar.service.calendar_ir import fixed_holidays
from mehvar.service.clock import (
    WorkWeek,
    add_business_seconds,
    business_seconds,
    deadline,
    describe,
)

BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600
SECOND = timedelta(seconds=1)
IRANIAN = WorkWeek.iranian()

# Python weekdays: Monday 0 … Sunday 6.
THURSDAY, FRIDAY, SATURDAY = 3, 4, 5

quick = settings(max_examples=200, deadline=None)


def tehran(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=TEHRAN)


def utc(value: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo compare and subtract by wall clock, fold ignored: UTC
    # makes every comparison below one of real instants.
    return value.astimezone(UTC)


# --- strategies ----------------------------------------------------------------------------

minute_starts = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - bounds are naive by hypothesis's design
    max_value=datetime(2028, 12, 31, 23, 59),  # noqa: DTZ001
    timezones=st.just(TEHRAN),
).map(lambda d: d.replace(second=0, microsecond=0))

targets = st.integers(min_value=0, max_value=300 * HOUR)


@st.composite
def hours_of_a_day(draw: st.DrawFn) -> tuple[time, time]:
    opens = draw(st.integers(0, 24 * 60 - 2))
    closes = draw(st.integers(opens + 1, 24 * 60 - 1))
    return time(opens // 60, opens % 60), time(closes // 60, closes % 60)


@st.composite
def scenarios(draw: st.DrawFn, *, any_week: bool = True) -> tuple[datetime, WorkWeek]:
    """A start and a work week whose holidays fall near it, where they can matter."""
    start = draw(minute_starts)
    offsets = draw(st.sets(st.integers(-2, 120), max_size=30))
    holidays = frozenset(start.date() + timedelta(days=k) for k in offsets)
    if any_week and draw(st.booleans()):
        days = draw(st.dictionaries(st.integers(0, 6), hours_of_a_day(), min_size=1))
        tz = draw(st.sampled_from([TEHRAN, BERLIN, ZoneInfo("America/New_York")]))
        return start.astimezone(tz), WorkWeek(tz=tz, days=days, holidays=holidays)
    return start, WorkWeek.iranian(holidays=holidays)


# --- worked examples (Tehran, Iranian week) ------------------------------------------------


def test_the_example_dates_fall_on_the_weekdays_they_are_named_for() -> None:
    assert [tehran(2025, 5, d).strftime("%A") for d in (14, 15, 16, 17, 18)] == [
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]


def test_wednesday_afternoon_with_an_eight_hour_target() -> None:
    # 1 h on Wednesday (15-16), 4 h on Thursday (8-12), Friday off, 3 h on Saturday (8-11).
    opened = tehran(2025, 5, 14, 15)
    due = add_business_seconds(opened, 8 * HOUR, IRANIAN)
    assert due == tehran(2025, 5, 17, 11)
    assert due.tzinfo is TEHRAN
    assert business_seconds(opened, due, IRANIAN) == 8 * HOUR


def test_thursday_before_noon_carries_over_the_weekend() -> None:
    # 1 h on Thursday (11-12), Friday off, 1 h on Saturday (8-9).
    assert add_business_seconds(tehran(2025, 5, 15, 11), 2 * HOUR, IRANIAN) == tehran(
        2025, 5, 17, 9
    )


def test_a_holiday_on_saturday_moves_the_deadline_to_sunday() -> None:
    week = WorkWeek.iranian(holidays=[date(2025, 5, 17)])
    assert add_business_seconds(tehran(2025, 5, 15, 11), 2 * HOUR, week) == tehran(2025, 5, 18, 9)


def test_a_start_before_opening_counts_from_opening() -> None:
    assert add_business_seconds(tehran(2025, 5, 17, 6, 30), HOUR, IRANIAN) == tehran(2025, 5, 17, 9)
    assert business_seconds(tehran(2025, 5, 17, 6, 30), tehran(2025, 5, 17, 9), IRANIAN) == HOUR


def test_a_start_after_closing_counts_from_the_next_opening() -> None:
    assert add_business_seconds(tehran(2025, 5, 17, 18), HOUR, IRANIAN) == tehran(2025, 5, 18, 9)
    # Thursday evening: the next opening is Saturday.
    assert add_business_seconds(tehran(2025, 5, 15, 13), HOUR, IRANIAN) == tehran(2025, 5, 17, 9)


def test_a_target_that_runs_out_at_closing_is_due_at_closing() -> None:
    # The earliest instant, not the next opening: due 16:00 Saturday, not 08:00 Sunday.
    assert add_business_seconds(tehran(2025, 5, 17, 15), HOUR, IRANIAN) == tehran(2025, 5, 17, 16)


def test_zero_seconds_is_the_start_itself_even_off_hours() -> None:
    friday_night = tehran(2025, 5, 16, 22)
    assert add_business_seconds(friday_night, 0, IRANIAN) == friday_night


def test_a_start_in_another_zone_is_the_same_instant() -> None:
    opened = datetime(2025, 5, 14, 11, 30, tzinfo=UTC)  # 15:00 in Tehran (+03:30)
    assert add_business_seconds(opened, 8 * HOUR, IRANIAN) == tehran(2025, 5, 17, 11)


def test_paused_time_pushes_the_deadline_back_in_business_time() -> None:
    opened = tehran(2025, 5, 14, 15)
    assert deadline(opened, 8 * HOUR, 0, IRANIAN) == tehran(2025, 5, 17, 11)
    assert deadline(opened, 8 * HOUR, 2 * HOUR, IRANIAN) == tehran(2025, 5, 17, 13)
    # Paused past Saturday's close: 8 + 6 = 14 h is Saturday's full day and 1 h of Sunday.
    assert deadline(opened, 8 * HOUR, 6 * HOUR, IRANIAN) == tehran(2025, 5, 18, 9)


def test_a_fraction_of_a_second_is_kept_on_the_instant_and_dropped_from_the_count() -> None:
    start = tehran(2025, 5, 17, 8).replace(microsecond=500_000)
    due = add_business_seconds(start, 1, IRANIAN)
    assert due == tehran(2025, 5, 17, 8).replace(second=1, microsecond=500_000)
    assert business_seconds(start, due, IRANIAN) == 1
    assert business_seconds(start, due - timedelta(microseconds=1), IRANIAN) == 0


def test_the_iranian_week() -> None:
    saturday = date(2025, 5, 17)
    hours = [IRANIAN.working_seconds_of(saturday + timedelta(days=k)) // HOUR for k in range(7)]
    # Saturday, Sunday, Monday, Tuesday, Wednesday, Thursday, Friday.
    assert hours == [8, 8, 8, 8, 8, 4, 0]
    assert [IRANIAN.is_working_day(saturday + timedelta(days=k)) for k in range(7)] == [
        True,
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    holiday = WorkWeek.iranian(holidays=[saturday])
    assert not holiday.is_working_day(saturday)
    assert holiday.working_seconds_of(saturday) == 0


def test_nowruz_1404_and_29_esfand_1403_stop_the_clock() -> None:
    holidays = [day for year in (1403, 1404) for day, _fa, _en in fixed_holidays(year)]
    week = WorkWeek.iranian(holidays=holidays)
    # Tuesday 1403/12/28 15:00. 1 h that day; Wednesday 29 Esfand is a holiday; Thursday 30
    # Esfand (1403 is a leap year) 4 h; Friday 1 Farvardin and 2-4 Farvardin off; Tuesday 5
    # Farvardin 8:00 + 3 h.
    opened = tehran(2025, 3, 18, 15)
    assert from_jalali(1403, 12, 28) == opened.date()
    due = add_business_seconds(opened, 8 * HOUR, week)
    assert due == tehran(2025, 3, 25, 11)
    assert from_jalali(1404, 1, 5) == due.date()
    # The whole of Nowruz counts for nothing.
    assert business_seconds(tehran(2025, 3, 21), tehran(2025, 3, 25), week) == 0
    # Without the holidays the same ticket is due on Wednesday 29 Esfand: 1 h + 7 h.
    assert add_business_seconds(opened, 8 * HOUR, IRANIAN) == tehran(2025, 3, 19, 15)


# --- time zones with daylight saving -------------------------------------------------------

# The last Sunday of March 2025 is the 30th: Berlin goes from 02:00 CET to 03:00 CEST. The last
# Sunday of October 2025 is the 26th: 03:00 CEST goes back to 02:00 CET.
NIGHT_SHIFT = WorkWeek(tz=BERLIN, days=dict.fromkeys(range(7), (time(1), time(5))))
OFFICE = WorkWeek(tz=BERLIN, days=dict.fromkeys(range(5), (time(9), time(17))))


def test_a_night_shift_is_as_long_as_the_clocks_say() -> None:
    assert NIGHT_SHIFT.working_seconds_of(date(2025, 3, 29)) == 4 * HOUR
    assert NIGHT_SHIFT.working_seconds_of(date(2025, 3, 30)) == 3 * HOUR  # an hour skipped
    assert NIGHT_SHIFT.working_seconds_of(date(2025, 10, 26)) == 5 * HOUR  # an hour repeated
    saturday = datetime(2025, 3, 29, tzinfo=BERLIN)
    assert business_seconds(saturday, saturday + timedelta(days=2), NIGHT_SHIFT) == 7 * HOUR


def test_adding_across_spring_forward_lands_after_the_gap() -> None:
    # 04:00-05:00 CET on Saturday is 1 h; Sunday from 01:00 CET, 1 h more is 02:00 CET, which
    # the clocks call 03:00 CEST. Wall-clock arithmetic would say 02:00, a time that never was.
    due = add_business_seconds(datetime(2025, 3, 29, 4, tzinfo=BERLIN), 2 * HOUR, NIGHT_SHIFT)
    assert utc(due) == datetime(2025, 3, 30, 1, tzinfo=UTC)
    assert (due.hour, due.utcoffset()) == (3, timedelta(hours=2))


def test_adding_across_fall_back_counts_the_repeated_hour() -> None:
    start = datetime(2025, 10, 26, 1, tzinfo=BERLIN)  # 01:00 CEST = 23:00 UTC on the 25th
    due = add_business_seconds(start, 2 * HOUR, NIGHT_SHIFT)
    # 2 real hours later: the second 02:00 of the night, in CET.
    assert utc(due) == datetime(2025, 10, 26, 1, tzinfo=UTC)
    assert (due.hour, due.fold, due.utcoffset()) == (2, 1, timedelta(hours=1))
    assert business_seconds(start, due, NIGHT_SHIFT) == 2 * HOUR


def test_an_office_week_across_the_last_sunday_of_march() -> None:
    friday = datetime(2025, 3, 28, 16, tzinfo=BERLIN)  # CET, +01:00
    due = add_business_seconds(friday, 2 * HOUR, OFFICE)
    assert due == datetime(2025, 3, 31, 10, tzinfo=BERLIN)  # CEST, +02:00
    assert due.utcoffset() == timedelta(hours=2)
    assert business_seconds(friday, due, OFFICE) == 2 * HOUR
    # 65 real hours passed (not the 66 the wall clock suggests), 2 of them working.
    assert utc(due) - utc(friday) == timedelta(hours=65)


# --- errors ---------------------------------------------------------------------------------


def test_a_week_with_no_working_day_raises_instead_of_hanging() -> None:
    closed = WorkWeek(tz=TEHRAN, days={})
    with pytest.raises(ValueError, match="no working day"):
        add_business_seconds(tehran(2025, 5, 17), HOUR, closed)
    assert business_seconds(tehran(2025, 5, 17), tehran(2026, 5, 17), closed) == 0


def test_a_calendar_of_holidays_only_raises_instead_of_hanging() -> None:
    first = date(2025, 1, 1)
    every_day = [first + timedelta(days=k) for k in range(6 * 366)]
    started = clock.perf_counter()
    with pytest.raises(ValueError, match="no working time"):
        add_business_seconds(tehran(2025, 1, 1), HOUR, WorkWeek.iranian(holidays=every_day))
    assert clock.perf_counter() - started < 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_business_seconds(datetime(2025, 5, 17, 8), HOUR, IRANIAN)  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive"):
        business_seconds(tehran(2025, 5, 17), datetime(2025, 5, 18), IRANIAN)  # noqa: DTZ001
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(tehran(2025, 5, 17), -1, IRANIAN)
    with pytest.raises(ValueError, match="negative"):
        deadline(tehran(2025, 5, 17), HOUR, -1, IRANIAN)
    with pytest.raises(TypeError, match="date, not a datetime"):
        IRANIAN.is_working_day(tehran(2025, 5, 17))


@pytest.mark.parametrize(
    ("days", "holidays", "message"),
    [
        ({0: (time(16), time(8))}, (), "before closing"),
        ({0: (time(8), time(8))}, (), "before closing"),
        ({7: (time(8), time(16))}, (), "weekday"),
        ({-1: (time(8), time(16))}, (), "weekday"),
        ({0: (time(8, tzinfo=UTC), time(16))}, (), "naive"),
        ({0: (time(8, 0, 0, 1), time(16))}, (), "whole seconds"),
        ({0: (time(8), time(16))}, (datetime(2025, 5, 17, tzinfo=UTC),), "dates"),
    ],
)
def test_an_ill_formed_week_is_refused(
    days: dict[int, tuple[time, time]], holidays: tuple[date, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkWeek(tz=TEHRAN, days=days, holidays=frozenset(holidays))


def test_a_week_does_not_change_when_the_dict_it_was_built_from_does() -> None:
    days = {0: (time(8), time(16))}
    week = WorkWeek(tz=TEHRAN, days=days)
    days[1] = (time(8), time(16))
    assert 1 not in week.days
    assert hash(week) == hash(WorkWeek(tz=TEHRAN, days={0: (time(8), time(16))}))


def test_two_thousand_business_hours_are_added_quickly() -> None:
    start = tehran(2025, 5, 14, 15)
    best = float("inf")
    for _ in range(3):
        started = clock.perf_counter()
        due = add_business_seconds(start, 2000 * HOUR, IRANIAN)
        best = min(best, clock.perf_counter() - started)
    assert business_seconds(start, due, IRANIAN) == 2000 * HOUR
    assert best < 0.05


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, (0, 0)),
        (59, (0, 0)),
        (60, (0, 1)),
        (5399, (1, 29)),
        (8 * HOUR, (8, 0)),
        (-5399, (-1, -29)),
    ],
)
def test_describe(seconds: int, expected: tuple[int, int]) -> None:
    assert describe(seconds) == expected


# --- properties -----------------------------------------------------------------------------


@quick
@given(scenarios(), targets)
def test_round_trip(scenario: tuple[datetime, WorkWeek], n: int) -> None:
    start, week = scenario
    due = add_business_seconds(start, n, week)
    assert utc(due) >= utc(start)
    assert due.tzinfo is week.tz
    assert business_seconds(start, due, week) == n


@quick
@given(scenarios(), st.integers(min_value=1, max_value=300 * HOUR))
def test_the_result_is_the_earliest_such_instant(
    scenario: tuple[datetime, WorkWeek], n: int
) -> None:
    start, week = scenario
    due = utc(add_business_seconds(start, n, week))
    # One second earlier the n-th second has not yet been worked.
    assert business_seconds(start, due - SECOND, week) == n - 1


@quick
@given(scenarios(), targets, targets)
def test_adding_in_two_steps_is_adding_the_sum(
    scenario: tuple[datetime, WorkWeek], a: int, b: int
) -> None:
    # Holds for every a, b >= 0 because add() returns the *earliest* instant: after a step that
    # ends at closing time the next step starts from there, not from the next opening. What
    # does NOT hold is undoing a count: add(s, business_seconds(s, t)) is only <= t, since t may
    # lie outside working hours (the next property).
    start, week = scenario
    step = add_business_seconds(start, a, week)
    assert utc(add_business_seconds(step, b, week)) == utc(add_business_seconds(start, a + b, week))


@quick
@given(scenarios(), targets, st.integers(-3 * 24 * HOUR, 3 * 24 * HOUR))
def test_counting_and_adding_are_inverse_as_far_as_they_can_be(
    scenario: tuple[datetime, WorkWeek], n: int, offset: int
) -> None:
    # business_seconds(s, t) >= n exactly when t >= add(s, n): add() is the least t reaching n.
    # t is drawn around the deadline so that both sides of it are tried.
    start, week = scenario
    due = utc(add_business_seconds(start, n, week))
    t = max(utc(start), due + offset * SECOND)
    assert (business_seconds(start, t, week) >= n) == (t >= due)
    assert utc(add_business_seconds(start, business_seconds(start, t, week), week)) <= t


@quick
@given(scenarios(), targets, targets)
def test_later_targets_give_strictly_later_deadlines(
    scenario: tuple[datetime, WorkWeek], a: int, b: int
) -> None:
    start, week = scenario
    low, high = sorted((a, b))
    first, second = (utc(add_business_seconds(start, n, week)) for n in (low, high))
    assert first < second if low < high else first == second


# Up to 30 days either side of a start, in minutes: far enough to cross weeks and holidays.
nearby = st.integers(-30 * 24 * 60, 30 * 24 * 60)


@quick
@given(scenarios(), nearby, nearby)
def test_counts_add_up_over_a_split_point(
    scenario: tuple[datetime, WorkWeek], to_b: int, to_c: int
) -> None:
    a, week = scenario
    b, c = (utc(a) + timedelta(minutes=k) for k in (to_b, to_c))
    first, middle, last = sorted((utc(a), b, c))
    whole = business_seconds(first, last, week)
    assert whole == business_seconds(first, middle, week) + business_seconds(middle, last, week)
    # The count never runs backwards, and never faster than real time.
    assert business_seconds(last, first, week) == 0
    assert 0 <= business_seconds(first, middle, week) <= whole
    assert whole <= (last - first) // SECOND


@quick
@given(scenarios())
def test_a_day_by_day_sum_matches_the_count_from_midnight_to_midnight(
    scenario: tuple[datetime, WorkWeek],
) -> None:
    start, week = scenario
    first_day = start.astimezone(week.tz).date()
    days = [first_day + timedelta(days=k) for k in range(10)]
    midnight = datetime.combine(first_day, time(), tzinfo=week.tz)
    ten_days_on = datetime.combine(first_day + timedelta(days=10), time(), tzinfo=week.tz)
    assert business_seconds(midnight, ten_days_on, week) == sum(
        week.working_seconds_of(day) for day in days
    )
    for day in days:
        assert (week.working_seconds_of(day) > 0) == week.is_working_day(day)


@quick
@given(scenarios(any_week=False))
def test_fridays_and_holidays_never_count_and_thursday_is_half_a_day(
    scenario: tuple[datetime, WorkWeek],
) -> None:
    start, week = scenario
    day = start.date()
    friday = day + timedelta(days=(FRIDAY - day.weekday()) % 7)
    thursday = friday - timedelta(days=1)

    def whole_day(d: date) -> int:
        return business_seconds(tehran(d.year, d.month, d.day), tehran(*_next(d)), week)

    assert whole_day(friday) == 0
    assert whole_day(thursday) == (0 if thursday in week.holidays else 4 * HOUR)
    for holiday in week.holidays:
        assert whole_day(holiday) == 0
    # A deadline never falls on a Friday or a holiday (a due time at 00:00 would have been
    # reached at the previous day's closing).
    due = add_business_seconds(start, 1, week).date()
    assert due.weekday() != FRIDAY
    assert due not in week.holidays


def _next(d: date) -> tuple[int, int, int]:
    following = d + timedelta(days=1)
    return following.year, following.month, following.day


@settings(max_examples=100, deadline=None)
@given(scenarios(any_week=False), st.integers(min_value=0, max_value=3 * 24 * 60))
def test_the_count_matches_a_minute_by_minute_tally(
    scenario: tuple[datetime, WorkWeek], minutes: int
) -> None:
    # An independent oracle: walk the range a minute at a time and ask of each minute whether
    # the Iranian week has it open. Everything here is minute-aligned, so the tally is exact.
    start, week = scenario
    open_minutes = 0
    for k in range(minutes):
        moment = (utc(start) + timedelta(minutes=k)).astimezone(TEHRAN)
        weekday = moment.weekday()
        if weekday == FRIDAY or moment.date() in week.holidays:
            continue
        closes = time(12) if weekday == THURSDAY else time(16)
        if time(8) <= moment.time() < closes:
            open_minutes += 1
    end = utc(start) + timedelta(minutes=minutes)
    assert business_seconds(start, end, week) == open_minutes * 60


# --- Iran's fixed solar holidays -------------------------------------------------------------


def test_fixed_holidays_of_1403() -> None:
    holidays = {day: (fa, en) for day, fa, en in fixed_holidays(1403)}
    assert len(holidays) == 10
    assert [day for day, _fa, _en in fixed_holidays(1403)] == sorted(holidays)
    # Nowruz 1403 began on Wednesday 20 March 2024.
    for k in range(4):
        assert holidays[date(2024, 3, 20) + timedelta(days=k)] == ("نوروز", "Nowruz")
    assert holidays[date(2024, 3, 31)][1] == "Islamic Republic Day"
    assert holidays[date(2024, 4, 1)][1] == "Nature Day"
    assert holidays[date(2024, 6, 3)][1] == "Death of Imam Khomeini"
    assert holidays[date(2024, 6, 4)][1] == "15 Khordad uprising"
    assert holidays[date(2025, 2, 10)] == ("پیروزی انقلاب اسلامی", "Revolution Day")
    assert holidays[date(2025, 3, 19)] == ("ملی شدن صنعت نفت", "Oil nationalisation")


def test_fixed_holidays_of_1404() -> None:
    days = [day for day, _fa, _en in fixed_holidays(1404)]
    assert days[0] == date(2025, 3, 21)  # 1 Farvardin 1404
    assert days[:4] == [date(2025, 3, 21) + timedelta(days=k) for k in range(4)]
    assert days[-2:] == [date(2026, 2, 11), date(2026, 3, 20)]  # 22 Bahman, 29 Esfand 1404
    assert all(day.year in (2025, 2026) for day in days)


def test_fixed_holidays_give_persian_names_for_every_day() -> None:
    for _day, name_fa, name_en in fixed_holidays(1404):
        assert name_fa
        assert name_en
        assert any("\u0600" <= char <= "\u06ff" for char in name_fa)
