"""Amounts: integer Rials in storage, Toman or Rial on screen, lenient but exact parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mehvar.core.money import MAX_RIALS, InvalidAmount, Unit, format_amount, parse_amount


@pytest.mark.parametrize(
    ("rials", "kwargs", "expected"),
    [
        (1234560, {}, "۱۲۳٬۴۵۶ تومان"),
        (1234560, {"persian_digits": False}, "123,456 Toman"),
        (1234560, {"unit": "rial"}, "۱٬۲۳۴٬۵۶۰ ریال"),
        (1234560, {"unit": "rial", "persian_digits": False}, "1,234,560 Rial"),
        (1234560, {"with_unit": False}, "۱۲۳٬۴۵۶"),
        (1234565, {}, "۱۲۳٬۴۵۶٫۵ تومان"),
        (1234565, {"persian_digits": False, "with_unit": False}, "123,456.5"),
        (0, {}, "۰ تومان"),
        (5, {"persian_digits": False}, "0.5 Toman"),
        (999, {"unit": "rial", "persian_digits": False}, "999 Rial"),
        (1000, {"unit": "rial", "persian_digits": False}, "1,000 Rial"),
        (-500000, {}, "-۵۰٬۰۰۰ تومان"),
        (-5, {"persian_digits": False, "with_unit": False}, "-0.5"),
        (MAX_RIALS, {"unit": "rial", "persian_digits": False}, "9,223,372,036,854,775,807 Rial"),
    ],
)
def test_format_amount(rials: int, kwargs: dict[str, object], expected: str) -> None:
    assert format_amount(rials, **kwargs) == expected  # type: ignore[arg-type]


def test_format_amount_rejects_non_integers() -> None:
    with pytest.raises(TypeError):
        format_amount(12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_amount(True)
    with pytest.raises(ValueError, match="unit"):
        format_amount(10, unit="dollar")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "unit", "expected"),
    [
        ("1234567", "rial", 1234567),
        ("1,234,567", "rial", 1234567),
        ("۱٬۲۳۴٬۵۶۷", "rial", 1234567),
        ("١،٢٣٤،٥٦٧", "rial", 1234567),
        ("1 234 567", "rial", 1234567),
        ("۱۲۳٬۴۵۶ تومان", "toman", 1234560),
        ("123,456 Toman", "toman", 1234560),
        ("۵۰۰ ریال", "rial", 500),
        ("12.5", "toman", 125),
        ("۱۲٫۵", "toman", 125),
        ("1,234.0", "rial", 1234),
        ("-500", "rial", -500),
        ("−۵۰۰", "rial", -500),
        ("- 500", "rial", -500),
        ("+500", "rial", 500),
        ("  42  ", "rial", 42),
        ("0", "rial", 0),
        (1234, "rial", 1234),
        (1234, "toman", 12340),
        (1234.0, "rial", 1234),
        (0.1, "toman", 1),
        (Decimal("12.3"), "toman", 123),
        (str(MAX_RIALS), "rial", MAX_RIALS),
    ],
)
def test_parse_amount(raw: str | int | float | Decimal, unit: Unit, expected: int) -> None:
    assert parse_amount(raw, unit=unit) == expected


@pytest.mark.parametrize(
    ("raw", "unit", "code"),
    [
        ("", "rial", "empty"),
        ("تومان", "toman", "empty"),
        ("abc", "rial", "invalid_format"),
        ("12 34", "rial", "invalid_format"),  # not a thousands grouping
        ("1,23", "rial", "invalid_format"),  # a European decimal comma, not a grouping
        ("1234,567", "rial", "invalid_format"),
        ("--5", "rial", "invalid_format"),
        ("5-", "rial", "invalid_format"),
        ("1e5", "rial", "invalid_format"),
        ("12.5", "rial", "fraction_of_rial"),
        ("1.25", "toman", "fraction_of_rial"),
        (12.5, "rial", "fraction_of_rial"),
        ("1.000000000000000000000000000000001", "toman", "fraction_of_rial"),
        ("123 تومان", "rial", "unit_mismatch"),
        ("123 Rial", "toman", "unit_mismatch"),
        (str(MAX_RIALS + 1), "rial", "too_large"),
        (str(MAX_RIALS // 10 + 1), "toman", "too_large"),
        ("9" * 40, "rial", "too_large"),
        (float("nan"), "rial", "invalid_format"),
        (float("inf"), "rial", "invalid_format"),
        (Decimal("NaN"), "rial", "invalid_format"),
    ],
)
def test_parse_amount_errors(raw: str | float | Decimal, unit: Unit, code: str) -> None:
    with pytest.raises(InvalidAmount) as excinfo:
        parse_amount(raw, unit=unit)
    assert excinfo.value.code == code
    assert str(excinfo.value)
    assert isinstance(excinfo.value, ValueError)


def test_parse_amount_rejects_bool_and_unknown_unit() -> None:
    with pytest.raises(TypeError):
        parse_amount(True)
    with pytest.raises(ValueError, match="unit"):
        parse_amount("1", unit="usd")  # type: ignore[arg-type]


rials = st.integers(min_value=-MAX_RIALS, max_value=MAX_RIALS)
units = st.sampled_from(["toman", "rial"])


@given(rials, units, st.booleans(), st.booleans())
def test_formatted_amount_parses_back(
    amount: int, unit: Unit, persian_digits: bool, with_unit: bool
) -> None:
    text = format_amount(amount, unit=unit, persian_digits=persian_digits, with_unit=with_unit)
    assert parse_amount(text, unit=unit) == amount


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_plain_integers(amount: int) -> None:
    assert parse_amount(str(amount)) == amount
    assert parse_amount(str(amount), unit="toman") == amount * 10
    assert parse_amount(amount, unit="toman") == amount * 10


@given(rials)
def test_toman_display_is_rials_divided_by_ten(amount: int) -> None:
    text = format_amount(amount, persian_digits=False, with_unit=False)
    assert Decimal(text.replace(",", "")) * 10 == amount
