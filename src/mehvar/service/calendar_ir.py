"""Iran's official public holidays that fall on fixed dates of the solar (Jalali) calendar.

Those are Nowruz (1–4 Farvardin), Islamic Republic Day (12 Farvardin), Nature Day (13
Farvardin), the death of Imam Khomeini and the 15 Khordad uprising (14 and 15 Khordad),
Revolution Day (22 Bahman) and oil nationalisation (29 Esfand). Being solar, each lands on a
known Gregorian date, which ``fixed_holidays`` computes.

The other official holidays follow the lunar (Hijri) calendar: Tasua and Ashura, Eid al-Fitr,
Eid al-Adha and the rest move about eleven days earlier every solar year, and their exact day
depends on the sighting of the moon as announced each year. The admin enters them in the holiday
table; this module never guesses them.

Pure Python: no Django import.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from mehvar.core.jalali import from_jalali

__all__ = ["FIXED_HOLIDAYS", "fixed_holidays"]

# (Jalali month, day, Persian name, English name), in calendar order.
FIXED_HOLIDAYS: Final[tuple[tuple[int, int, str, str], ...]] = (
    (1, 1, "نوروز", "Nowruz"),
    (1, 2, "نوروز", "Nowruz"),
    (1, 3, "نوروز", "Nowruz"),
    (1, 4, "نوروز", "Nowruz"),
    (1, 12, "روز جمهوری اسلامی", "Islamic Republic Day"),
    (1, 13, "روز طبیعت، سیزده‌بدر", "Nature Day"),
    (3, 14, "رحلت امام خمینی", "Death of Imam Khomeini"),
    (3, 15, "قیام ۱۵ خرداد", "15 Khordad uprising"),
    (11, 22, "پیروزی انقلاب اسلامی", "Revolution Day"),
    (12, 29, "ملی شدن صنعت نفت", "Oil nationalisation"),
)


def fixed_holidays(jalali_year: int) -> list[tuple[date, str, str]]:
    """``(gregorian date, Persian name, English name)`` for each fixed solar holiday of the year.

    The Jalali year runs from late March to late March, so 22 Bahman and 29 Esfand of year Y
    fall in the Gregorian year after Nowruz of Y. Raises ``InvalidDate`` (a ``ValueError``) for
    a year outside the calendar.
    """
    return [
        (from_jalali(jalali_year, month, day), name_fa, name_en)
        for month, day, name_fa, name_en in FIXED_HOLIDAYS
    ]
