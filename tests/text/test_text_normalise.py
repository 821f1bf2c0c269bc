"""Normalisation, stop words and language detection of ``mehvar.text``."""

from __future__ import annotations

import pytest

from mehvar.text.normalise import model_text, normalise
from mehvar.text.sentiment import detect_language
from mehvar.text.stopwords import ENGLISH, PERSIAN, is_stop_word


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("می‌خوام", "میخوام"),  # ZWNJ
        ("می خوام", "میخوام"),  # the prefix written apart
        ("میخوام", "میخوام"),
        ("نمی شه", "نمیشه"),
        ("كيفيت", "کیفیت"),  # Arabic kaf and yeh
        ("خیلیییی خوبببب بود!!!", "خیلی خوب بود!"),  # elongation and repeated punctuation
        ("اصلن راضی نیستم", "اصلا راضی نیستم"),  # chat spelling
        ("اصلاً", "اصلا"),  # tanwin
        ("واقعن عالیه", "واقعا عالیه"),
        ("خیلی ک بد بود", "خیلی که بد بود"),
        ("سفارش ۱۲۳ و ٤٥", "سفارش 123 و 45"),  # Persian and Arabic-Indic digits
        ("خانهٔ", "خانه"),  # hamza above, folded to heh
        ("آروم", "اروم"),  # madda folded
        ("کتاب ها خوب تر", "کتابها خوبتر"),  # suffixes written apart
        ("عالـــی", "عالی"),  # tatweel
        ("\u200fسلام\u200e", "سلام"),  # bidi marks
        ("SOOOO Goood", "soo good"),  # English: lower case, runs cut to two
        ("  چند   فاصله\n", "چند فاصله"),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_is_idempotent() -> None:
    text = "می‌خوام بگم خیلیییی كيفيت ۱۲ عالـــی بود ولی ک اصلن!!"
    assert normalise(normalise(text)) == normalise(text)


def test_model_text_hides_numbers() -> None:
    assert model_text("سفارش ۴۵۸۲۱ دیر رسید") == "سفارش 0 دیر رسید"


def test_stop_words_cover_both_languages_and_keep_sentiment_words() -> None:
    assert len(PERSIAN) > 300
    assert {"از", "رو", "واسه", "میشه", "اینا", "که"} <= PERSIAN
    assert {"the", "and", "was"} <= ENGLISH
    assert not {"خوب", "بد", "عالی", "پیک", "قیمت"} & PERSIAN
    assert is_stop_word(normalise("همه‌چی").split()[0])
    assert is_stop_word("123")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("سلام، سفارشم کی میرسه؟", "fa"),
        ("The order arrived late", "en"),
        ("گوشی Samsung Galaxy خریدم", "fa"),  # mostly Persian letters
        ("I bought it from دیجی‌کالا yesterday and it works", "en"),
        ("123 !!!", "fa"),  # no letters: Persian by default
        ("", "fa"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language
