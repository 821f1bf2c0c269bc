"""Iranian phone numbers: every way people write a number reaches the same E.164 form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mehvar.core.phones import (
    AREA_CODES,
    InvalidPhone,
    mobile_search_prefix,
    normalize_mobile,
    normalize_phone,
)

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

# Real operator ranges (MCI 91x/990–994, Irancell 90x/93x, RighTel 92x, MVNOs 99x).
operator = st.one_of(
    st.sampled_from(["901", "902", "903", "904", "905", "920", "921", "922"]),
    st.integers(910, 919).map(str),
    st.integers(930, 939).map(str),
    st.integers(990, 999).map(str),
)
subscriber = st.text(alphabet="0123456789", min_size=7, max_size=7)
significant = st.builds(lambda op, sub: op + sub, operator, subscriber)  # 10 digits, "9…"
separator = st.sampled_from(["", " ", "-", ".", "  ", "\u00a0"])


def write_mobile(nsn: str, form: str) -> str:
    return {
        "national": "0" + nsn,
        "bare": nsn,
        "plus": "+98" + nsn,
        "double_zero": "0098" + nsn,
        "country": "98" + nsn,
        "plus_trunk": "+98(0)" + nsn,
    }[form]


forms = st.sampled_from(["national", "bare", "plus", "double_zero", "country", "plus_trunk"])


@st.composite
def written_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(how a person wrote it, expected E.164)."""
    nsn = draw(significant)
    text = write_mobile(nsn, draw(forms))
    # Group the digits arbitrarily, as people do ("0912 123 4567", "0912-1234567").
    grouped = "".join(c + draw(separator) for c in text).strip()
    script = draw(st.sampled_from([None, PERSIAN, ARABIC]))
    if script is not None:
        grouped = grouped.translate(script)
    return grouped, "+98" + nsn


@given(written_mobiles())
def test_every_written_form_normalises_to_the_same_e164(case: tuple[str, str]) -> None:
    written, expected = case
    assert normalize_mobile(written) == expected
    assert normalize_phone(written) == expected


@given(significant)
def test_spreadsheet_integers_without_leading_zero(nsn: str) -> None:
    assert normalize_mobile(int(nsn)) == "+98" + nsn
    assert normalize_mobile(int("98" + nsn)) == "+98" + nsn


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "9121234567",
        "+989121234567",
        "00989121234567",
        "989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123.45.67",
        "+98 (912) 123-4567",
        "+98 0912 123 4567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "\u200e+98 912 123 4567\u200f",
        9121234567,
    ],
)
def test_mobile_examples(raw: str | int) -> None:
    assert normalize_mobile(raw) == "+989121234567"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        ("  - ", "empty"),
        ("0912123456", "invalid_length"),
        ("091212345678", "invalid_length"),
        ("912123456", "invalid_length"),
        ("0912abc4567", "invalid_characters"),
        ("0912 123 4567 ext 12", "invalid_characters"),
        ("+9121234567", "foreign_number"),
        ("+14155550100", "foreign_number"),
        ("0044 20 7946 0958", "foreign_number"),
        ("02188776655", "not_mobile"),
        ("+982188776655", "not_mobile"),
    ],
)
def test_invalid_mobiles(raw: str, code: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_mobile(raw)
    assert excinfo.value.code == code
    assert str(excinfo.value)  # a Persian message, not an empty error
    assert isinstance(excinfo.value, ValueError)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("021-88776655", "+982188776655"),
        ("(021) 8877 6655", "+982188776655"),
        ("+98 21 8877 6655", "+982188776655"),
        ("00982188776655", "+982188776655"),
        ("۰۳۱-۳۲۲۲۴۴۵۵", "+983132224455"),
        (2188776655, "+982188776655"),  # leading zero lost in a spreadsheet
        ("0511 1234567".replace(" ", ""), "+985111234567"),
        ("09121234567", "+989121234567"),
    ],
)
def test_phone_examples(raw: str | int, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("88776655", "invalid_length"),  # no area code: province unknown
        ("02088776655", "invalid_area_code"),
        ("01988776655", "invalid_area_code"),
        ("02108776655", "invalid_subscriber"),
        ("021-8877-665", "invalid_length"),
    ],
)
def test_invalid_phones(raw: str, code: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    assert excinfo.value.code == code


def test_one_area_code_per_province() -> None:
    assert len(AREA_CODES) == 31
    assert all(len(code) == 2 and code[0] != "0" for code in AREA_CODES)


@given(st.sampled_from(sorted(AREA_CODES)), st.text(alphabet="0123456789", min_size=7, max_size=7))
def test_every_area_code_is_accepted(area: str, rest: str) -> None:
    local = "5" + rest
    assert normalize_phone(f"0{area}-{local}") == f"+98{area}{local}"


def test_phone_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        normalize_phone(True)
    with pytest.raises(TypeError):
        normalize_phone(9121234567.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0912", "+98912"),
        ("۰۹۱۲۳", "+989123"),
        ("912345", "+98912345"),
        ("+98912", "+98912"),
        ("00989", "+989"),
        ("98912", "+98912"),
        ("0912 12", "+9891212"),
        ("+98 0912", "+98912"),
        ("021", "+9821"),
        ("09121234567", "+989121234567"),
        ("091", "+9891"),
        ("09", None),
        ("+98", None),
        ("0098", None),
        ("0", None),
        ("", None),
        ("علی", None),
        ("0912a", None),
        ("2188", None),
        ("1234567", None),
        ("+4420", None),
        ("0044", None),
        ("091212345678", None),
    ],
)
def test_mobile_search_prefix_examples(query: str, expected: str | None) -> None:
    assert mobile_search_prefix(query) == expected


@given(written_mobiles(), st.integers(min_value=1, max_value=20))
def test_search_prefix_of_a_typed_prefix_matches_the_stored_number(
    case: tuple[str, str], cut: int
) -> None:
    written, stored = case
    prefix = mobile_search_prefix(written[:cut])
    if prefix is not None:
        assert stored.startswith(prefix)
        assert len(prefix) > len("+98")


@given(written_mobiles())
def test_search_prefix_of_a_whole_number_is_the_number(case: tuple[str, str]) -> None:
    written, stored = case
    assert mobile_search_prefix(written) == stored
