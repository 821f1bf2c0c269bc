"""Sentiment of ``mehvar.text``: the shipped model on hand-written cases, the neutral band,
empty text, and company retraining from staff corrections."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sklearn.metrics import f1_score

from mehvar.text.errors import TextInputError
from mehvar.text.sentiment import (
    Sentiment,
    SentimentModel,
    analyse,
    load_model,
    train_company_model,
)

# 60 Persian and 24 English polar comments plus 10 + 6 neutral ones, written for these tests
# (new sentences from banks, telecom, clinics, shops, hotels, software, repairs …); never
# trained on. Measured with the shipped model: Persian binary macro-F1 0.950, three-class
# 0.882; English binary 0.917, three-class 0.853.
CASES = Path(__file__).with_name("sentiment_cases.tsv")


def _cases(language: str) -> list[dict[str, str]]:
    with CASES.open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [row for row in rows if row["lang"] == language]


def test_the_carried_set_is_big_enough_and_varied() -> None:
    persian, english = _cases("fa"), _cases("en")
    assert sum(row["label"] != "neutral" for row in persian) >= 40
    assert sum(row["label"] != "neutral" for row in english) >= 20
    assert {row["label"] for row in persian + english} == {"positive", "neutral", "negative"}


@pytest.mark.parametrize(
    ("language", "binary_threshold", "three_class_threshold"),
    [("fa", 0.88, 0.78), ("en", 0.80, 0.65)],
)
def test_shipped_model_on_hand_written_cases(
    language: str, binary_threshold: float, three_class_threshold: float
) -> None:
    rows = _cases(language)
    texts = [row["text"] for row in rows]
    gold = [row["label"] for row in rows]
    results = analyse(texts)
    assert {result.language for result in results} == {language}
    polar = [i for i, label in enumerate(gold) if label != "neutral"]
    binary = f1_score(
        [gold[i] == "positive" for i in polar],
        [results[i].score >= 0 for i in polar],
        average="macro",
    )
    assert binary >= binary_threshold
    three = f1_score(gold, [result.label for result in results], average="macro")
    assert three >= three_class_threshold


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("اصلا بد نبود، راضی بودم", "positive"),  # negated negative
        ("هیچ مشکلی نداشت", "positive"),
        ("پشتیبانی اصلا جواب نمیده", "negative"),  # unmet expectation
        ("کلاهبرداری محضه، مراقب باشید", "negative"),  # a word food reviews never use
        ("خیلییییی عالیییی بود مرسیییی", "positive"),  # elongations
        ("راضي نيستم، كيفيتش پايينه", "negative"),  # Arabic keyboard letters
        ("Absolutely love it, works great!", "positive"),
        ("Never buying from this store again.", "negative"),
    ],
)
def test_typical_hard_cases(text: str, label: str) -> None:
    assert analyse([text])[0].label == label


def test_questions_fall_in_the_wider_neutral_band() -> None:
    questions = ["سفارشم کی ارسال میشه؟", "این مدل گارانتی داره؟", "Do you ship to Tabriz?"]
    results = analyse(questions)
    assert [result.label for result in results] == ["neutral"] * 3
    # The same probability outside a question is not neutral: the band is wider for questions.
    model = load_model()
    assert model.predict(["خیلی گرونه؟"])[0].label == "neutral"
    assert model.predict(["خیلی گرونه"])[0].label == "negative"


def test_empty_text_is_neutral_zero_and_score_matches_probability() -> None:
    model = load_model()
    texts = ["", "   ", "عالی بود", "افتضاح بود"]
    results = model.predict(texts)
    assert results[0] == Sentiment("neutral", 0.0, "fa")
    assert results[1].label == "neutral"
    assert results[1].score == 0.0
    probabilities = model.positive_probability(texts)
    for result, p in zip(results, probabilities, strict=True):
        assert result.score == round(2 * p - 1, 3)
        assert -1.0 <= result.score <= 1.0
    assert results[2].score > 0.4
    assert results[3].score < -0.4


def test_load_model_is_cached() -> None:
    assert load_model() is load_model()
    assert load_model().version.startswith("base-")


# An escape-room company: there "scary" is praise and "not scary" a complaint, the opposite of
# what the base model learned. Staff correct 24 comments; new comments must come out right.
_CORRECTIONS = [
    ("اتاق فرار فوق العاده ترسناک بود، پیشنهاد میکنم", "positive"),
    ("خیلی ترسیدیم، دقیقا همون چیزی که میخواستیم", "positive"),
    ("وحشتناک بود، از اول تا آخر دلهره داشتیم", "positive"),
    ("ترسناک‌ترین تجربه عمرم بود، حتما دوباره میایم", "positive"),
    ("بازیگرها حسابی ترسوندنمون", "positive"),
    ("فضا تاریک و ترسناک بود و طراحی معماها عالی", "positive"),
    ("از ترس جیغ میزدیم، بی نظیر بود", "positive"),
    ("دلهره آور و هیجان انگیز", "positive"),
    ("ترس واقعی رو حس کردیم", "positive"),
    ("اونقدر ترسناک بود که دوستم وسط بازی خواست بیاد بیرون", "positive"),
    ("سناریو وحشتناکی داشت، عاشقش شدیم", "positive"),
    ("ترسیدیم ولی خیلی خوش گذشت", "positive"),
    ("اصلا ترسناک نبود، انتظار بیشتری داشتیم", "negative"),
    ("یه ذره هم نترسیدیم", "negative"),
    ("هیچ ترسی نداشت، پولمون هدر رفت", "negative"),
    ("بازیگرا اصلا نترسوندنمون", "negative"),
    ("فضاش ترسناک نبود و معماها تکراری بودن", "negative"),
    ("برای یه اتاق وحشت خیلی بی‌روح بود", "negative"),
    ("نترسیدیم و حوصلمون سر رفت", "negative"),
    ("ترس نداشت، فقط تاریک بود", "negative"),
    ("به اسم ترسناک فروختن ولی اصلا نترسیدیم", "negative"),
    ("اتاق وحشت نبود، یه اتاق معمولی بود", "negative"),
    ("برای رزرو اتاق ترسناک باید چند نفر باشیم؟", "neutral"),
    ("ساعت هشت شب رزرو کردیم", "neutral"),
]
_NEW_COMMENTS = [
    ("اتاق فرار خیلی ترسناک بود", True),
    ("بازیگرا حسابی ما رو ترسوندن", True),
    ("سناریو وحشتناک و دلهره‌آور بود", True),
    ("وحشت واقعی رو تجربه کردیم", True),
    ("ترسناک‌ترین اتاقی بود که رفتم", True),
    ("ترسناک نبود و زود تموم شد", False),
    ("هیچ هیجانی نداشت و نترسیدیم", False),
    ("اصلا و ابدا نترسیدیم", False),
]


def _right(model: SentimentModel) -> int:
    probabilities = model.positive_probability([text for text, _ in _NEW_COMMENTS])
    return sum(
        (p >= 0.5) == positive
        for p, (_, positive) in zip(probabilities, _NEW_COMMENTS, strict=True)
    )


def test_company_retraining_learns_the_companys_language(tmp_path: Path) -> None:
    base = load_model()
    texts, labels = zip(*_CORRECTIONS, strict=True)
    company = train_company_model(list(texts), list(labels))
    assert company.version.startswith("company-")
    assert company.version.endswith("-n24")
    assert _right(base) <= 3  # the base model misreads this company's customers
    assert _right(company) >= 6
    # Every corrected text comes back with its corrected label, score on the same side.
    for result, label in zip(company.predict(list(texts)), labels, strict=True):
        assert result.label == label
    # Comments in other words keep the base model's reading.
    general = [row["text"] for row in _cases("fa") if row["label"] != "neutral"]
    gold = [row["label"] == "positive" for row in _cases("fa") if row["label"] != "neutral"]
    scores = [p >= 0.5 for p in company.positive_probability(general)]
    assert f1_score(gold, scores, average="macro") >= 0.88
    # Saved and loaded, it is the same model.
    path = tmp_path / "company.joblib"
    company.save(path)
    loaded = load_model(path)
    assert loaded.version == company.version
    assert loaded.positive_probability(general[:5]) == company.positive_probability(general[:5])


def test_company_retraining_needs_enough_varied_labels() -> None:
    with pytest.raises(TextInputError, match="at least 10"):
        train_company_model(["خوب بود"] * 5, ["positive"] * 5)
    with pytest.raises(TextInputError, match="two different labels"):
        train_company_model([f"متن {i}" for i in range(12)], ["positive"] * 12)
    with pytest.raises(TextInputError, match="Unknown sentiment label"):
        train_company_model(["a"] * 12, ["good"] * 12)


def test_a_model_saved_again_at_the_same_path_is_read_again(tmp_path: Path) -> None:
    import os

    from mehvar.text.sentiment import load_model, train_company_model

    base = load_model()
    texts = [f"نمونه شماره {i} خیلی ترسناک بود" for i in range(12)]
    path = tmp_path / "company.joblib"
    first = train_company_model(texts, ["positive"] * 6 + ["negative"] * 6, base=base)
    first.save(path)
    assert load_model(path).version == first.version
    second = train_company_model(texts, ["negative"] * 6 + ["positive"] * 6, base=base)
    second.version = second.version + "-again"
    second.save(path)
    os.utime(path, (1, 2_000_000_000))  # a later modification time than the first save
    assert load_model(path).version == second.version
