"""Iranian phone numbers: normalisation to E.164 and search prefixes.

Numbers are stored as E.164 ("+989121234567") so that one customer typed five different ways is
still one customer. Input arrives as Iranians write it: with or without the trunk 0, with +98 or
0098, grouped by spaces, dashes, dots or parentheses, in Persian or Arabic-Indic digits, and from
spreadsheets as integers that have lost their leading zero.

Numbering plan enforced (Communications Regulatory Authority of Iran):

- mobile: 9 + 9 digits after the country code (national form 09xx xxx xxxx);
- landline: a 2-digit area code (one per province, listed in ``AREA_CODES``) + an 8-digit
  subscriber number that does not start with 0 (national form 0xx xxxx xxxx).

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from typing import Final

from mehvar.core.persian import to_latin_digits

__all__ = [
    "AREA_CODES",
    "InvalidPhone",
    "mobile_search_prefix",
    "normalize_mobile",
    "normalize_phone",
]

COUNTRY_CODE: Final = "98"

# Landline area codes after the 2011 renumbering, one per province.
AREA_CODES: Final = frozenset(
    {
        "11",  # Mazandaran
        "13",  # Gilan
        "17",  # Golestan
        "21",  # Tehran
        "23",  # Semnan
        "24",  # Zanjan
        "25",  # Qom
        "26",  # Alborz
        "28",  # Qazvin
        "31",  # Isfahan
        "34",  # Kerman
        "35",  # Yazd
        "38",  # Chaharmahal and Bakhtiari
        "41",  # East Azerbaijan
        "44",  # West Azerbaijan
        "45",  # Ardabil
        "51",  # Razavi Khorasan
        "54",  # Sistan and Baluchestan
        "56",  # South Khorasan
        "58",  # North Khorasan
        "61",  # Khuzestan
        "66",  # Lorestan
        "71",  # Fars
        "74",  # Kohgiluyeh and Boyer-Ahmad
        "76",  # Hormozgan
        "77",  # Bushehr
        "81",  # Hamadan
        "83",  # Kermanshah
        "84",  # Ilam
        "86",  # Markazi
        "87",  # Kurdistan
    }
)

_NATIONAL_LENGTH: Final = 10  # significant digits after +98, for mobiles and landlines alike
# Grouping characters people put inside numbers; anything else (letters, "#", "ext") is an error,
# because silently dropping it could turn two numbers or an extension into a wrong number.
_SEPARATORS: Final = re.compile(r"[\s\-.()/\u00a0\u200c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NUMBER: Final = re.compile(r"\+?\d+")


class InvalidPhone(ValueError):
    """A phone number that cannot be a valid Iranian number.

    ``code`` is a stable machine-readable reason; ``str(error)`` is a Persian message for users.
    """

    MESSAGES: Final = {
        "empty": "شماره تلفن وارد نشده است.",
        "invalid_characters": "شماره تلفن فقط می‌تواند شامل رقم، فاصله، خط تیره و + باشد.",
        "invalid_length": "تعداد ارقام شماره تلفن درست نیست.",
        "foreign_number": "فقط شماره‌های ایران (+۹۸) پذیرفته می‌شود.",
        "not_mobile": "این شماره، شمارهٔ تلفن همراه نیست؛ شمارهٔ همراه با ۰۹ شروع می‌شود.",
        "invalid_area_code": "پیش‌شمارهٔ شهر معتبر نیست.",
        "invalid_subscriber": "شمارهٔ تلفن ثابت نباید پس از پیش‌شماره با صفر شروع شود.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES[code])


def _compact(raw: str | int) -> str:
    """Latin digits with grouping characters removed, leading "+" kept."""
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise TypeError(f"phone number must be str or int, not {type(raw).__name__}")
    text = _SEPARATORS.sub("", to_latin_digits(str(raw)))
    if not text:
        raise InvalidPhone("empty")
    if not _NUMBER.fullmatch(text):
        raise InvalidPhone("invalid_characters")
    return text


def _national_significant(raw: str | int) -> str:
    """The digits after +98, whichever of the usual prefixes the input used."""
    text = _compact(raw)
    if text.startswith("+"):
        digits = text[1:]
        if not digits.startswith(COUNTRY_CODE):
            raise InvalidPhone("foreign_number")
        digits = digits[len(COUNTRY_CODE) :]
    elif text.startswith("00"):
        if not text.startswith("00" + COUNTRY_CODE):
            raise InvalidPhone("foreign_number")
        digits = text[2 + len(COUNTRY_CODE) :]
    elif text.startswith("0"):
        digits = text[1:]
    elif text.startswith(COUNTRY_CODE) and len(text) == len(COUNTRY_CODE) + _NATIONAL_LENGTH:
        # "98912…" without "+": the length tells it apart from a local number.
        digits = text[len(COUNTRY_CODE) :]
    else:
        digits = text
    # "+98 (0) 912 …": some people keep the trunk 0 after the country code.
    if len(digits) == _NATIONAL_LENGTH + 1 and digits.startswith("0"):
        digits = digits[1:]
    if len(digits) != _NATIONAL_LENGTH:
        raise InvalidPhone("invalid_length")
    return digits


def _validate_landline(digits: str) -> None:
    if digits[:2] not in AREA_CODES:
        raise InvalidPhone("invalid_area_code")
    if digits[2] == "0":
        raise InvalidPhone("invalid_subscriber")


def normalize_mobile(raw: str | int) -> str:
    """Normalise an Iranian mobile number to E.164, e.g. "۰۹۱۲-۱۲۳ ۴۵۶۷" → "+989121234567".

    Accepts 09121234567, 9121234567, +989121234567, 00989121234567, 989121234567 and
    +98 (0) 912…, grouped with spaces, dashes, dots or parentheses, in any digit script.
    Raises ``InvalidPhone`` for anything else, including valid landline numbers.
    """
    digits = _national_significant(raw)
    if not digits.startswith("9"):
        raise InvalidPhone("not_mobile")
    return f"+{COUNTRY_CODE}{digits}"


def normalize_phone(raw: str | int) -> str:
    """Normalise any Iranian mobile or landline number to E.164.

    "021-88776655" → "+982188776655"; mobiles as in ``normalize_mobile``. A landline needs its
    area code: an 8-digit local number is rejected because the province cannot be guessed.
    """
    digits = _national_significant(raw)
    if not digits.startswith("9"):
        _validate_landline(digits)
    return f"+{COUNTRY_CODE}{digits}"


_MIN_QUERY_DIGITS: Final = 3
_INTERNATIONAL_PREFIXES: Final = ("+" + COUNTRY_CODE, "00" + COUNTRY_CODE)


def mobile_search_prefix(query: str) -> str | None:
    """The E.164 prefix that stored numbers must start with to match a partly typed number.

    "0912" → "+98912", "۰۹۱۲۳" → "+989123", "912345" → "+98912345", "+98912" → "+98912",
    "00989" → "+989", "021" → "+9821" (landlines are stored as E.164 too).

    Returns None when the query is not a phone-like prefix: fewer than 3 digits, letters,
    another country's prefix, or digits that start with neither 0, 9 nor 98 (such as "2188",
    which may as well be part of a postal or customer code). A query too short to narrow
    anything down ("0098", "+98") also returns None.
    """
    try:
        text = _compact(query)
    except InvalidPhone:
        return None
    if sum(c.isdigit() for c in text) < _MIN_QUERY_DIGITS:
        return None
    for prefix in _INTERNATIONAL_PREFIXES:
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            break
    else:
        if text.startswith(("+", "00")):
            return None
        if text.startswith("0"):
            rest = text[1:]
        elif text.startswith(COUNTRY_CODE):
            # No mobile range starts 098, so a leading 98 is the country code.
            rest = text[len(COUNTRY_CODE) :]
        elif text.startswith("9"):
            rest = text
        else:
            return None
    # "+98 0912…" and "00980…": the trunk 0 after the country code is not stored.
    if rest.startswith("0"):
        rest = rest[1:]
    if not rest or len(rest) > _NATIONAL_LENGTH:
        return None
    return f"+{COUNTRY_CODE}{rest}"
