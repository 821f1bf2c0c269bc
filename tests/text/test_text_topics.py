"""Keywords and topics of ``mehvar.text``."""

from __future__ import annotations

from mehvar.text.topics import Keyword, keywords_of, top_keywords


def test_top_keywords_count_texts_drop_stop_words_and_merge_spellings() -> None:
    texts = [
        "بسته‌بندی خوب بود و پیک هم مودب بود",
        "بسته بندی عالی ولی پیک پیک پیک دیر اومد",  # repeats count once per text
        "بستهبندی خراب بود",
        "قیمت از همه جا بالاتر بود",
    ]
    keywords = top_keywords(texts, limit=3)
    assert keywords == [Keyword("بسته بندی", 3), Keyword("پیک", 2), Keyword("بالاتر", 1)]
    every = {keyword.term for keyword in top_keywords(texts, limit=100)}
    assert not every & {"بود", "و", "هم", "از", "ولی", "اومد", "همه", "جا"}
    assert "پیک دیر" in every  # a bigram of two kept words
    assert "پیک پیک" not in every


def test_top_keywords_order_is_count_then_term() -> None:
    texts = ["delivery late", "delivery rude", "courier late", "zebra"]
    assert top_keywords(texts, limit=4) == [
        Keyword("delivery", 2),
        Keyword("late", 2),
        Keyword("courier", 1),
        Keyword("courier late", 1),
    ]


def test_keywords_of_one_text_by_repetition_then_position() -> None:
    text = "پشتیبانی جواب نداد، پشتیبانی اصلا پاسخگو نیست و اینترنت قطعه"
    assert keywords_of(text, limit=3) == ["پشتیبانی", "جواب", "نداد"]
    assert keywords_of("", limit=3) == []
    assert keywords_of("و از به", limit=3) == []
