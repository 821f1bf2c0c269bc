"""National code, legal-entity ID and postal code validation.

The check digits are recomputed here from the published formulas rather than taken from the
module, so a wrong weight or offset in the implementation cannot agree with itself.
"""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mehvar.core.national_id import (
    InvalidNationalId,
    company_id_check_digit,
    is_valid_company_id,
    is_valid_national_code,
    is_valid_postal_code,
    national_code_check_digit,
    normalize_company_id,
    normalize_national_code,
    normalize_postal_code,
)

digits9 = st.text(alphabet="0123456789", min_size=9, max_size=9)
digits10 = st.text(alphabet="0123456789", min_size=10, max_size=10)


def national_remainder(first_nine: str) -> int:
    return sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True)) % 11


def reference_national_check(first_nine: str) -> int:
    r = national_remainder(first_nine)
    return r if r < 2 else 11 - r


def reference_company_check(first_ten: str) -> int:
    offset = int(first_ten[9]) + 2
    weights = [29, 27, 23, 19, 17, 29, 27, 23, 19, 17]
    r = sum((int(d) + offset) * w for d, w in zip(first_ten, weights, strict=True)) % 11
    return 0 if r == 10 else r


# --- کد ملی -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["0499370899", "0790419904", "1583250689", "0684159414", "4400276201", "2540201288"]
)
def test_known_valid_national_codes(code: str) -> None:
    assert normalize_national_code(code) == code
    assert is_valid_national_code(code)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("68415941", "0068415941"),  # 8 digits: two leading zeros lost
        ("684159414", "0684159414"),
        (684159414, "0684159414"),  # spreadsheet integer
        ("۰۶۸-۴۱۵۹۴۱-۴", "0684159414"),
        ("٠٦٨٤١٥٩٤١٤", "0684159414"),
        (" 068 415 9414 ", "0684159414"),
        ("068.415.941.4", "0684159414"),
    ],
)
def test_national_code_normalisation(raw: str | int, expected: str) -> None:
    assert normalize_national_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("1234567", "national_code_length"),
        ("12345678901", "national_code_length"),
        ("06841594a4", "invalid_characters"),
        ("0684159415", "national_code_checksum"),
        ("1234567890", "national_code_checksum"),
        ("0000000000", "repeated_digits"),
        ("1111111111", "repeated_digits"),
        ("00000000", "repeated_digits"),
        (-684159414, "invalid_characters"),
    ],
)
def test_invalid_national_codes(raw: str | int, code: str) -> None:
    with pytest.raises(InvalidNationalId) as excinfo:
        normalize_national_code(raw)
    assert excinfo.value.code == code
    assert str(excinfo.value)
    assert not is_valid_national_code(raw)


@pytest.mark.parametrize("digit", "0123456789")
def test_repeated_digit_codes_pass_the_checksum_yet_are_rejected(digit: str) -> None:
    # Why the repeated-digit rule exists: the mod-11 sum alone accepts all ten of them.
    assert national_code_check_digit(digit * 9) == int(digit)
    assert not is_valid_national_code(digit * 10)


@given(digits9)
def test_generated_national_code_is_valid(first_nine: str) -> None:
    assume(len(set(first_nine)) > 1)
    code = first_nine + str(reference_national_check(first_nine))
    assert national_code_check_digit(first_nine) == reference_national_check(first_nine)
    assert normalize_national_code(code) == code


@given(digits9, st.integers(0, 9), st.integers(1, 9))
def test_changing_any_single_digit_invalidates_a_national_code(
    first_nine: str, position: int, delta: int
) -> None:
    assume(len(set(first_nine)) > 1)
    code = first_nine + str(reference_national_check(first_nine))
    changed_digit = (int(code[position]) + delta) % 10
    mutated = code[:position] + str(changed_digit) + code[position + 1 :]
    if not is_valid_national_code(mutated):
        return
    # The one blind spot of the official scheme: remainders 1 and 10 share check digit 1, so
    # a changed data digit can go unnoticed there. A changed check digit never does.
    assert position != 9
    assert {national_remainder(code[:9]), national_remainder(mutated[:9])} == {1, 10}


def test_check_digit_blind_spot_is_real() -> None:
    # 100000001 → remainder 1; 300000001 → remainder 10; both get check digit 1.
    assert is_valid_national_code("1000000011")
    assert is_valid_national_code("3000000011")


@given(digits9)
def test_only_one_check_digit_is_valid(first_nine: str) -> None:
    assume(len(set(first_nine)) > 1)
    valid = [d for d in "0123456789" if is_valid_national_code(first_nine + d)]
    assert valid == [str(reference_national_check(first_nine))]


# --- شناسه ملی اشخاص حقوقی ------------------------------------------------------------------------


def test_known_company_ids() -> None:
    assert normalize_company_id("10380284790") == "10380284790"
    assert normalize_company_id("۱۰۳-۸۰۲۸-۴۷۹۰") == "10380284790"
    assert normalize_company_id(10380284790) == "10380284790"
    assert company_id_check_digit("1038028479") == 0
    assert not is_valid_company_id("10380284792")
    assert not is_valid_company_id("10380285692")
    assert not is_valid_company_id("09748208301")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("1038028479", "company_id_length"),
        ("103802847900", "company_id_length"),
        ("11111111111", "repeated_digits"),
        ("10300000004", "company_id_serial"),
        ("10380284791", "company_id_checksum"),
        ("1038028479x", "invalid_characters"),
    ],
)
def test_invalid_company_ids(raw: str, code: str) -> None:
    with pytest.raises(InvalidNationalId) as excinfo:
        normalize_company_id(raw)
    assert excinfo.value.code == code


@given(digits10)
def test_generated_company_id_is_valid_with_exactly_one_check_digit(first_ten: str) -> None:
    assume(int(first_ten[3:9]) != 0)
    check = reference_company_check(first_ten)
    assert company_id_check_digit(first_ten) == check
    assert normalize_company_id(first_ten + str(check)) == first_ten + str(check)
    others = [d for d in "0123456789" if d != str(check)]
    assert not any(is_valid_company_id(first_ten + d) for d in others)


# --- کد پستی -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1193653471", "1193653471"),
        ("11936-53471", "1193653471"),
        ("۱۱۹۳۶ ۵۳۴۷۱", "1193653471"),
        (1193653471, "1193653471"),
        ("1193602200", "1193602200"),  # 0 and 2 are fine in the delivery part
    ],
)
def test_valid_postal_codes(raw: str | int, expected: str) -> None:
    assert normalize_postal_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("119365347", "postal_code_length"),
        ("11936534711", "postal_code_length"),
        ("1111111111", "repeated_digits"),
        ("0423437584", "postal_code_digits"),
        ("1293653471", "postal_code_digits"),
        ("1193053471", "postal_code_digits"),
        ("", "empty"),
    ],
)
def test_invalid_postal_codes(raw: str, code: str) -> None:
    with pytest.raises(InvalidNationalId) as excinfo:
        normalize_postal_code(raw)
    assert excinfo.value.code == code
    assert not is_valid_postal_code(raw)


@given(
    st.text(alphabet="13456789", min_size=5, max_size=5),
    st.text(alphabet="0123456789", min_size=5, max_size=5),
)
def test_postal_code_rule(routing: str, delivery: str) -> None:
    code = routing + delivery
    assume(len(set(code)) > 1)
    assert is_valid_postal_code(code)
    for position in range(5):
        for bad in "02":
            assert not is_valid_postal_code(code[:position] + bad + code[position + 1 :])
