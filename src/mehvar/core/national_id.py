"""Iranian identifiers: national code (کد ملی), legal-entity ID (شناسه ملی) and postal code.

All three are stored as plain ASCII digit strings. Inputs may use Persian or Arabic-Indic digits
and be grouped with spaces, dashes, dots or slashes ("001-234567-8"). Spreadsheets deliver them
as integers, which is why national codes that lost their leading zeros are padded back.

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from typing import Final

from mehvar.core.persian import to_latin_digits

__all__ = [
    "InvalidNationalId",
    "company_id_check_digit",
    "is_valid_company_id",
    "is_valid_national_code",
    "is_valid_postal_code",
    "national_code_check_digit",
    "normalize_company_id",
    "normalize_national_code",
    "normalize_postal_code",
]

_SEPARATORS: Final = re.compile(r"[\s\-./_\u200c\u200e\u200f]")


class InvalidNationalId(ValueError):
    """An identifier that fails format or checksum validation.

    ``code`` is a stable machine-readable reason; ``str(error)`` is a Persian message for users.
    """

    MESSAGES: Final = {
        "empty": "شناسه وارد نشده است.",
        "invalid_characters": "شناسه فقط باید شامل رقم باشد.",
        "national_code_length": "کد ملی باید ۱۰ رقم باشد.",
        "company_id_length": "شناسهٔ ملی اشخاص حقوقی باید ۱۱ رقم باشد.",
        "postal_code_length": "کد پستی باید ۱۰ رقم باشد.",
        "repeated_digits": "شناسه نمی‌تواند از تکرار یک رقم ساخته شده باشد.",
        "national_code_checksum": "کد ملی معتبر نیست (رقم کنترل درست نیست).",
        "company_id_serial": "شناسهٔ ملی اشخاص حقوقی معتبر نیست (شمارهٔ ثبت صفر است).",
        "company_id_checksum": "شناسهٔ ملی اشخاص حقوقی معتبر نیست (رقم کنترل درست نیست).",
        "postal_code_digits": "کد پستی معتبر نیست؛ پنج رقم اول کد پستی ۰ یا ۲ ندارد.",
    }

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(self.MESSAGES[code])


def _digits(raw: str | int) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise TypeError(f"identifier must be str or int, not {type(raw).__name__}")
    if isinstance(raw, int) and raw < 0:
        raise InvalidNationalId("invalid_characters")
    text = _SEPARATORS.sub("", to_latin_digits(str(raw)))
    if not text:
        raise InvalidNationalId("empty")
    # isascii() because str.isdigit() also accepts superscripts and other scripts' digits.
    if not (text.isascii() and text.isdigit()):
        raise InvalidNationalId("invalid_characters")
    return text


def _all_same(digits: str) -> bool:
    return len(set(digits)) == 1


# --- کد ملی -------------------------------------------------------------------------------------

_NATIONAL_CODE_LENGTH: Final = 10
# The civil registry issues codes whose first digits are zero (e.g. 0012345678); once they pass
# through a number column they arrive as 8 or 9 digits, and padding restores them.
_NATIONAL_CODE_MIN_LENGTH: Final = 8


def national_code_check_digit(first_nine: str) -> int:
    """The 10th digit of a national code whose first 9 digits are given.

    s = Σ dᵢ·(10 − i) for i = 0…8, r = s mod 11; the check digit is r when r < 2, else 11 − r.
    Because r = 1 and r = 10 both give check digit 1, a single changed digit is *not* always
    detected (it is whenever the check digit itself is changed, or r stays away from 1 and 10).
    """
    if len(first_nine) != _NATIONAL_CODE_LENGTH - 1 or not first_nine.isdigit():
        raise ValueError("exactly 9 ASCII digits expected")
    remainder = sum(int(d) * (10 - i) for i, d in enumerate(first_nine)) % 11
    return remainder if remainder < 2 else 11 - remainder


def normalize_national_code(raw: str | int) -> str:
    """A validated 10-digit national code (کد ملی) as ASCII digits.

    8- and 9-digit input is left-padded with zeros; codes made of one repeated digit
    (0000000000, 1111111111, …) pass the checksum but are never issued, so they are rejected.
    """
    digits = _digits(raw)
    if not _NATIONAL_CODE_MIN_LENGTH <= len(digits) <= _NATIONAL_CODE_LENGTH:
        raise InvalidNationalId("national_code_length")
    digits = digits.zfill(_NATIONAL_CODE_LENGTH)
    if _all_same(digits):
        raise InvalidNationalId("repeated_digits")
    if national_code_check_digit(digits[:9]) != int(digits[9]):
        raise InvalidNationalId("national_code_checksum")
    return digits


def is_valid_national_code(raw: str | int) -> bool:
    try:
        normalize_national_code(raw)
    except InvalidNationalId:
        return False
    return True


# --- شناسه ملی اشخاص حقوقی ------------------------------------------------------------------------

_COMPANY_ID_LENGTH: Final = 11
_COMPANY_ID_WEIGHTS: Final = (29, 27, 23, 19, 17)


def company_id_check_digit(first_ten: str) -> int:
    """The 11th digit of a legal-entity national ID (شناسه ملی) whose first 10 digits are given.

    Algorithm (as described at aliarash.com/article/shenasameli/shenasa_meli.htm, the usual
    reference, and implemented identically by persian-tools' ``verifyIranianLegalId``):

    1. d = (10th digit) + 2 — the "decimal" offset that is added to every digit;
    2. s = Σ (dᵢ + d) · w[i mod 5] for the first 10 digits, with weights w = 29, 27, 23, 19, 17;
    3. r = s mod 11, and r = 10 becomes 0; r is the check digit.

    Worked example: 1038028479|0 → d = 9 + 2 = 11, s = 3432 = 11 · 312, r = 0 → check digit 0.
    """
    if len(first_ten) != _COMPANY_ID_LENGTH - 1 or not first_ten.isdigit():
        raise ValueError("exactly 10 ASCII digits expected")
    offset = int(first_ten[9]) + 2
    total = sum(
        (int(d) + offset) * _COMPANY_ID_WEIGHTS[i % len(_COMPANY_ID_WEIGHTS)]
        for i, d in enumerate(first_ten)
    )
    remainder = total % 11
    return 0 if remainder == 10 else remainder


def normalize_company_id(raw: str | int) -> str:
    """A validated 11-digit legal-entity national ID (شناسه ملی اشخاص حقوقی) as ASCII digits.

    No zero padding: issued IDs start with a non-zero digit, so a short value is a typo. Besides
    the checksum, the 6-digit serial (digits 4–9) must not be all zeros, as in persian-tools.
    """
    digits = _digits(raw)
    if len(digits) != _COMPANY_ID_LENGTH:
        raise InvalidNationalId("company_id_length")
    if _all_same(digits):
        raise InvalidNationalId("repeated_digits")
    if int(digits[3:9]) == 0:
        raise InvalidNationalId("company_id_serial")
    if company_id_check_digit(digits[:10]) != int(digits[10]):
        raise InvalidNationalId("company_id_checksum")
    return digits


def is_valid_company_id(raw: str | int) -> bool:
    try:
        normalize_company_id(raw)
    except InvalidNationalId:
        return False
    return True


# --- کد پستی -----------------------------------------------------------------------------------

_POSTAL_CODE_LENGTH: Final = 10
_POSTAL_FORBIDDEN_IN_ROUTING: Final = frozenset("02")


def normalize_postal_code(raw: str | int) -> str:
    """A validated 10-digit Iranian postal code (کد پستی) as ASCII digits.

    Rules enforced:

    - exactly 10 digits (5-digit routing code + 5-digit delivery code) and not one repeated digit;
    - no 0 and no 2 in the first five digits. Iran Post keeps them out of the routing part
      because handwritten ۰ and ۲ are easily misread as ۵ and ۳.

    Not enforced: the stricter community regex ``[13-9]{4}[1346-9][013-9]{5}`` (no 5 in the
    fifth digit, no 2 anywhere). We found no primary source for those extra rules, and
    rejecting a real customer's address is worse than accepting a typo.
    """
    digits = _digits(raw)
    if len(digits) != _POSTAL_CODE_LENGTH:
        raise InvalidNationalId("postal_code_length")
    if _all_same(digits):
        raise InvalidNationalId("repeated_digits")
    if _POSTAL_FORBIDDEN_IN_ROUTING & set(digits[:5]):
        raise InvalidNationalId("postal_code_digits")
    return digits


def is_valid_postal_code(raw: str | int) -> bool:
    try:
        normalize_postal_code(raw)
    except InvalidNationalId:
        return False
    return True
