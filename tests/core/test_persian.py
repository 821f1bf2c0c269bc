"""Persian text normalisation: exact examples plus properties over arbitrary and hostile text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mehvar.core.persian import normalize_text, search_key, to_latin_digits, to_persian_digits

ZWNJ = "\u200c"

# Characters that exercise every rule: Persian/Arabic letters and their look-alikes, harakat,
# hamza marks, presentation forms, invisible characters, digits in three scripts, spaces.
TRICKY = (
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأإٱؤئءة"
    "يىكۀەہھ"
    "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0653\u0654\u0655\u0670\u0640"
    "\u06d6\u06e1\u06ed"
    "ﻣﺤﻤﺪﻻﷲﯾﮑ\ufe76\ufe70\ufefc"
    "\u200b\u200c\u200d\ufeff\u00ad\u200e\u200f\u202b\u2067"
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
    " \t\n\u00a0\u2003\u202f"
    "aAeéE\u0301\u0307İßǰ-."
)
tricky_text = st.text(alphabet=TRICKY, max_size=40)
any_text = st.one_of(tricky_text, st.text(max_size=40))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ﻣﺤﻤﺪ", "محمد"),  # presentation forms from PDFs
        ("ﻻ", "لا"),
        ("ﷲ", "الله"),  # ligature decomposes with a shadda, which is then stripped
        ("علي", "علی"),
        ("مصطفى", "مصطفی"),
        ("كاشان", "کاشان"),
        ("مسئول", "مسئول"),  # ئ is Persian spelling, kept
        ("آیة‌الله", "آیة‌الله"),  # ة kept in stored text
        ("مُحَمَّد", "محمد"),
        ("ســــلام", "سلام"),
        ("خانهٔ من", "خانۀ من"),  # separate hamza mark composed, not lost
        ("ا\u0653", "آ"),  # NFC composes madda
        ("محمد\u200c\u200c\u200cرضا", "محمد\u200cرضا"),
        ("\u200cسلام\u200c \u200cدنیا\u200c", "سلام دنیا"),
        ("می\u200bروم", "میروم"),  # ZWSP is not a ZWNJ
        ("\ufeffسلام\u00ad", "سلام"),
        ("\u200e+98 912\u200f", "+98 912"),
        ("۱۲۳٤٥٦", "123456"),
        ("  سلام \t\n  دنیا\u00a0 ", "سلام دنیا"),
        ("e\u200b\u0301", "é"),
        ("", ""),
    ],
)
def test_normalize_text_examples(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("محمد‌رضا", "محمدرضا"),
        ("محمد رضا", "محمد رضا"),
        ("آرش", "ارش"),
        ("أحمد", "احمد"),
        ("مسؤول", "مسوول"),
        ("پائیز", "پاییز"),
        ("خانۀ", "خانه"),
        ("خانهٔ", "خانه"),
        ("فاطمة", "فاطمه"),
        ("علي", "علی"),
        ("كيان", "کیان"),
        ("ALI Rezaei", "ali rezaei"),
        ("۰۹۱۲", "0912"),
    ],
)
def test_search_key_equates_variants(a: str, b: str) -> None:
    assert search_key(a) == search_key(b)


def test_search_key_keeps_words_apart() -> None:
    assert search_key("  محمد   رضا ") == "محمد رضا"
    assert search_key("محمد رضا") != search_key("محمدرضا")
    assert search_key("آذربایجان") == "اذربایجان"


def test_digit_conversion_examples() -> None:
    assert to_latin_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩") == "0123456789 0123456789"
    assert to_persian_digits("0912-٣٤٥") == "۰۹۱۲-۳۴۵"
    assert to_persian_digits(1403) == "۱۴۰۳"
    assert to_persian_digits(-7) == "-۷"


@given(any_text)
def test_normalize_text_is_idempotent(s: str) -> None:
    once = normalize_text(s)
    assert normalize_text(once) == once


@given(any_text)
def test_search_key_is_idempotent(s: str) -> None:
    once = search_key(s)
    assert search_key(once) == once


@given(any_text)
def test_search_key_ignores_prior_normalisation(s: str) -> None:
    assert search_key(normalize_text(s)) == search_key(s)


@given(tricky_text)
def test_normalize_text_output_is_clean(s: str) -> None:
    out = normalize_text(s)
    assert out == out.strip()
    assert "  " not in out
    assert not re.search(r"\s", out.replace(" ", ""))
    assert not re.search("[يىك\u0640\u064b-\u065f\u0670\u200b\u200d\ufeff\u00ad]", out)
    assert not re.search("[۰-۹٠-٩]", out)
    assert not re.search("[\ufb50-\ufdff\ufe70-\ufefe]", out)
    assert ZWNJ * 2 not in out
    assert not out.startswith(ZWNJ)
    assert not out.endswith(ZWNJ)
    assert f" {ZWNJ}" not in out
    assert f"{ZWNJ} " not in out


@given(tricky_text)
def test_search_key_output_is_folded(s: str) -> None:
    key = search_key(s)
    assert not re.search(f"[آأإٱؤئۀەةA-Z{ZWNJ}]", key)


persian_word = st.text(alphabet="ابپتجچخدرزسشعفقکگلمنوهی", min_size=1, max_size=10)


@given(st.lists(persian_word, min_size=1, max_size=4), st.data())
def test_arabic_keyboard_spelling_normalises_to_persian(
    words: list[str], data: st.DataObject
) -> None:
    persian = " ".join(words)
    arabic = "".join(
        data.draw(st.sampled_from(["ي", "ى"])) if c == "ی" else "ك" if c == "ک" else c
        for c in persian
    )
    assert normalize_text(arabic) == persian


@given(st.lists(persian_word, min_size=2, max_size=4))
def test_zwnj_between_word_parts_does_not_change_search_key(parts: list[str]) -> None:
    assert search_key(ZWNJ.join(parts)) == search_key("".join(parts))


@given(st.integers())
def test_digit_round_trip(n: int) -> None:
    persian = to_persian_digits(n)
    assert not re.search("[0-9]", persian)
    assert to_latin_digits(persian) == str(n)


@pytest.mark.parametrize(
    ("text", "number"),
    [("۱۲", 12), (" 7 ", 7), ("٣٠", 30), ("²", None), ("-3", None), ("1" * 19, None), ("", None)],
)
def test_whole_number(text: str, number: int | None) -> None:
    from mehvar.core.persian import whole_number

    assert whole_number(text) == number
