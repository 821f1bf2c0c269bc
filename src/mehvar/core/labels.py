"""Labels that depend on the page's language, shared by every app's pages and charts.

Unlike the pure helpers (``jalali``, ``persian``) these read Django's active language: Persian
pages get Persian month names and digits, English pages the transliterated names.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from django.utils import translation

from mehvar.core.jalali import JALALI_MONTHS_FA, to_jalali
from mehvar.core.persian import to_persian_digits

JALALI_MONTHS_EN: Final = (
    "Farvardin", "Ordibehesht", "Khordad", "Tir", "Mordad", "Shahrivar",
    "Mehr", "Aban", "Azar", "Dey", "Bahman", "Esfand",
)  # fmt: skip


def is_persian() -> bool:
    """Whether the page is Persian (the default when no language is active)."""
    return (translation.get_language() or "fa").startswith("fa")


def month_label(day: date) -> str:
    """The Jalali month of ``day``: "فروردین ۱۴۰۳" on Persian pages, "Farvardin 1403" else."""
    year, month, _day = to_jalali(day)
    if is_persian():
        return f"{JALALI_MONTHS_FA[month - 1]} {to_persian_digits(year)}"
    return f"{JALALI_MONTHS_EN[month - 1]} {year}"
