"""Money: amounts are stored as integer Rials and shown in Toman or Rial.

The Rial is the legal unit and the only one that is always an integer; prices are spoken and
printed in Toman (10 Rials). Storing Rials keeps arithmetic exact and unit switching a display
choice.

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext
from typing import Final, Literal

from mehvar.core.persian import to_latin_digits, to_persian_digits

__all__ = ["MAX_RIALS", "InvalidAmount", "Unit", "format_amount", "parse_amount"]

Unit = Literal["toman", "rial"]

RIALS_PER: Final[dict[str, int]] = {"rial": 1, "toman": 10}
# Amounts live in a BigIntegerField (signed 64-bit); anything larger cannot be stored.
MAX_RIALS: Final = 2**63 - 1

_UNIT_WORDS_FA: Final = {"toman": "تومان", "rial": "ریال"}
_UNIT_WORDS_EN: Final = {"toman": "Toman", "rial": "Rial"}
# Spellings accepted after a number when parsing, per unit (compared after casefold).
_UNIT_ALIASES: Final = {
    "toman": ("تومان", "تومن", "toman", "tomans", "tmn"),
    "rial": ("ریال", "rial", "rials", "irr"),
}

_PERSIAN_THOUSANDS: Final = "٬"  # U+066C ARABIC THOUSANDS SEPARATOR
_PERSIAN_DECIMAL: Final = "٫"  # U+066B ARABIC DECIMAL SEPARATOR
# Comma, Arabic thousands separator, Arabic comma (a common mistype) and the spaces some people
# group with. Spaces count only between proper 3-digit groups, so "12 34" is not read as 1234.
_THOUSANDS: Final = ",٬، \u00a0\u2009\u202f"
_MINUS: Final = "-−"  # hyphen-minus and U+2212 MINUS SIGN
_NUMBER: Final = re.compile(
    rf"(?P<sign>[+{re.escape(_MINUS)}])?\s*"
    rf"(?P<int>\d{{1,3}}(?:[{_THOUSANDS}]\d{{3}})+|\d+)"
    rf"(?:[.{_PERSIAN_DECIMAL}](?P<frac>\d+))?"
)
_INVISIBLE: Final = re.compile(r"[\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class InvalidAmount(ValueError):
    """An amount that cannot be read as a whole number of Rials.

    ``code`` is a stable machine-readable reason; ``str(error)`` is a Persian message for users.
    """

    MESSAGES: Final = {
        "empty": "مبلغ وارد نشده است.",
        "invalid_format": "مبلغ فقط باید شامل رقم، جداکنندهٔ هزارگان و علامت منفی باشد.",
        "unit_mismatch": "واحد پول نوشته‌شده با واحد مورد انتظار یکی نیست.",
        "fraction_of_rial": "مبلغ باید عدد صحیحی از ریال باشد.",
        "too_large": "مبلغ بیش از حد بزرگ است.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES[code])


def _check_unit(unit: str) -> int:
    try:
        return RIALS_PER[unit]
    except KeyError:
        raise ValueError(f"unit must be 'toman' or 'rial', not {unit!r}") from None


def _group_thousands(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head], *(digits[i : i + 3] for i in range(head, len(digits), 3))]
    return separator.join(groups)


def format_amount(
    rials: int,
    *,
    unit: Unit = "toman",
    persian_digits: bool = True,
    with_unit: bool = True,
) -> str:
    """Display an integer Rial amount, e.g. 1234560 → "۱۲۳٬۴۵۶ تومان" or "123,456 Toman".

    Persian output uses Persian digits, the Arabic thousands/decimal separators and the Persian
    unit word; ``persian_digits=False`` gives Latin digits, "," and the English unit word.
    A Rial amount not divisible by 10 shown in Toman keeps its tenth ("۱۲٫۵ تومان") rather than
    being rounded away.
    """
    if isinstance(rials, bool) or not isinstance(rials, int):
        raise TypeError(f"rials must be int, not {type(rials).__name__}")
    per_unit = _check_unit(unit)
    whole, remainder = divmod(abs(rials), per_unit)
    thousands, decimal = (_PERSIAN_THOUSANDS, _PERSIAN_DECIMAL) if persian_digits else (",", ".")
    text = _group_thousands(str(whole), thousands)
    if remainder:
        # per_unit is 10 at most, so the remainder is exactly one decimal digit.
        text += f"{decimal}{remainder}"
    if rials < 0:
        text = "-" + text
    if persian_digits:
        text = to_persian_digits(text)
    if with_unit:
        words = _UNIT_WORDS_FA if persian_digits else _UNIT_WORDS_EN
        text += " " + words[unit]
    return text


def _strip_unit_word(text: str, unit: str) -> str:
    """Remove a trailing unit word; a word naming the *other* unit is an error, not noise."""
    folded = text.casefold()
    for name, aliases in _UNIT_ALIASES.items():
        for alias in aliases:
            if folded.endswith(alias):
                if name != unit:
                    raise InvalidAmount("unit_mismatch")
                return text[: -len(alias)].rstrip()
    return text


def _decimal_from_text(raw: str, unit: str) -> Decimal:
    text = _INVISIBLE.sub("", to_latin_digits(raw)).strip()
    text = _strip_unit_word(text, unit)
    if not text:
        raise InvalidAmount("empty")
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise InvalidAmount("invalid_format")
    digits = re.sub(f"[{_THOUSANDS}]", "", match["int"])
    sign = "-" if match["sign"] and match["sign"] in _MINUS else ""
    frac = f".{match['frac']}" if match["frac"] else ""
    return Decimal(f"{sign}{digits}{frac}")


def _to_decimal(raw: str | int | float | Decimal, unit: str) -> Decimal:
    if isinstance(raw, bool):
        raise TypeError("amount must be a number or text, not bool")
    if isinstance(raw, str):
        return _decimal_from_text(raw, unit)
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        # repr() is the shortest string that round-trips, so 0.1 Toman stays exactly 1 Rial
        # instead of inheriting the binary float's 0.1000000000000000055…
        return Decimal(repr(raw))
    raise TypeError(f"amount must be str, int, float or Decimal, not {type(raw).__name__}")


def parse_amount(raw: str | int | float | Decimal, *, unit: Unit = "rial") -> int:
    """Read an amount given in ``unit`` and return it in integer Rials.

    Strings may use Persian/Arabic-Indic digits, thousands separators ("," "٬" "،", in groups of
    three), "." or "٫" as decimal point, a leading minus (refunds) and a trailing unit word that
    matches ``unit`` ("۱۲۰٬۰۰۰ تومان" with unit="toman"), so ``format_amount`` output parses
    back. The result must be a whole number of Rials: "12.5" Toman is 125 Rials, but "12.5"
    Rial is rejected. Raises ``InvalidAmount`` with a Persian message.
    """
    per_unit = _check_unit(unit)
    value = _to_decimal(raw, unit)
    if not value.is_finite():
        raise InvalidAmount("invalid_format")
    if abs(value) > MAX_RIALS:
        raise InvalidAmount("too_large")
    with localcontext() as ctx:
        # The default 28-digit context would round "1.000…001" Toman to a whole Rial; enough
        # precision for every digit of the input keeps the multiplication exact.
        ctx.prec = len(value.as_tuple().digits) + 2
        rials = value * per_unit
    if rials != rials.to_integral_value():
        raise InvalidAmount("fraction_of_rial")
    if abs(rials) > MAX_RIALS:
        raise InvalidAmount("too_large")
    return int(rials)
