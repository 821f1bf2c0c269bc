"""Normalisation of Persian and English text for matching: models, lexicon and keywords.

``mehvar.core.persian.normalize_text`` gives the canonical *stored* form (it keeps ZWNJ, ة and
Persian spelling choices). Matching needs a coarser form, because the same word reaches us in
many spellings: «می‌خوام», «میخوام» and «می خوام»; «خیلیییی»; «اصلن» for «اصلا»; «ك» from an
Arabic keyboard. ``normalise`` folds all of them to one form. Its output is for machines (it
drops ZWNJ, so «بسته‌بندی» becomes «بستهبندی»); show people the original text.

Everything here is a module-level function: the trained pipelines reference ``normalise_all`` by
name, and a pickle can only load a function it can import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from mehvar.core.persian import normalize_text

__all__ = ["model_text", "normalise", "normalise_all", "tokens"]

# Letters that a Persian reader sees as the same letter. Madda and hamza seats are folded too:
# people type «اروم» for «آروم» and «پائین» for «پایین» interchangeably.
_LETTER_FOLDS: Final = str.maketrans(
    {
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "ئ": "ی",
        "ء": "",
        "\u200c": "",  # ZWNJ: joined, so «می‌خوام» == «میخوام»; spaced prefixes are joined below
        "‍": "",
        "«": '"',
        "»": '"',
    }
)

# Three or more of one Arabic-script letter never occur in Persian spelling: «خیلیییی» → «خیلی».
_PERSIAN_RUN: Final = re.compile(r"([\u0600-\u06ff])\1{2,}")
# Latin words double letters legitimately (good, too), so a run is cut to two: «soooo» → «soo».
_LATIN_RUN: Final = re.compile(r"([a-z])\1{2,}")
# Repeated punctuation adds emphasis, not meaning the n-grams can use: «!!!» → «!», «؟؟» → «؟».
_PUNCT_RUN: Final = re.compile(r"([!?.؟،,])\1+")

# The verbal prefixes written as a separate word («می خوام») are joined to their verb, as are
# plural and comparative suffixes written apart («کتاب ها», «خوب تر»). Only whole-word matches.
_SPACED_PREFIX: Final = re.compile(r"(?<![\w])(ن?می) (?=[\u0600-\u06ff])")
_SPACED_SUFFIX: Final = re.compile(r"(?<=[\u0600-\u06ff]) (ها|های|هایی|هام|هات|تر|ترین)(?![\w])")

# Colloquial or phonetic spellings of common words, mapped to the usual written form. Only
# unambiguous whole words: «ک» is always «که» in chat, never a word of its own.
_INFORMAL: Final[dict[str, str]] = {
    "اصلن": "اصلا",
    "واقعن": "واقعا",
    "حتمن": "حتما",
    "دقیقن": "دقیقا",
    "کلن": "کلا",
    "لطفن": "لطفا",
    "فعلن": "فعلا",
    "ظاهرن": "ظاهرا",
    "تقریبن": "تقریبا",
    "اتفاقن": "اتفاقا",
    "شدیدن": "شدیدا",
    "کاملن": "کاملا",
    "مطمینن": "مطمینا",
    "اخرن": "اخرا",
    "ک": "که",
    "ب": "به",
    "چ": "چه",
    "مچکرم": "متشکرم",
    "مچکر": "متشکر",
    "مرسیی": "مرسی",
    "تشکور": "تشکر",
    "افتزاح": "افتضاح",
    "افتضاهه": "افتضاحه",
    "خعلی": "خیلی",
    "خیلیی": "خیلی",
    "عالیی": "عالی",
    "نمیشع": "نمیشه",
    "میشع": "میشه",
    "خوبع": "خوبه",
    "عالیع": "عالیه",
    "بدع": "بده",
    "ن": "نه",
    "ن،": "نه",
    "ینی": "یعنی",
    "یعنیی": "یعنی",
    "دیه": "دیگه",
    "دگ": "دیگه",
    "دگه": "دیگه",
    "بعدن": "بعدا",
}

_WORD: Final = re.compile(r"\w+", re.UNICODE)
_ARABIC_SCRIPT_WORD: Final = re.compile(r"[\u0600-\u06ff]")


def _fold_informal(text: str) -> str:
    words = text.split(" ")
    return " ".join(_INFORMAL.get(word, word) for word in words)


def normalise(text: str) -> str:
    """The matching form of ``text``: folded letters, Latin digits, no ZWNJ, lower case.

    Idempotent. Persian: Arabic ي/ك/ة/ۀ/أ → Persian letters, all digit scripts → 0–9, harakat,
    tatweel and bidi marks removed, ZWNJ removed and spaced «می »/«نمی » and «ها»/«تر» joined,
    letter runs («خیلیییی») collapsed, common chat spellings («اصلن», «ک») mapped. English:
    lower case, letter runs cut to two. Punctuation is kept («؟» marks a question).
    """
    text = normalize_text(text).translate(_LETTER_FOLDS)
    text = text.lower()
    text = _PERSIAN_RUN.sub(r"\1", text)
    text = _LATIN_RUN.sub(r"\1\1", text)
    text = _PUNCT_RUN.sub(r"\1", text)
    text = " ".join(text.split())
    text = _SPACED_PREFIX.sub(r"\1", text)
    text = _SPACED_SUFFIX.sub(r"\1", text)
    return _fold_informal(text)


def model_text(text: str) -> str:
    """What the n-gram features see: the matching form with every number replaced by ``0``.

    Order numbers and prices carry no sentiment; one token for all of them keeps the
    vocabulary small and the features general.
    """
    return re.sub(r"\d+", "0", normalise(text))


def normalise_all(texts: Iterable[str]) -> list[str]:
    """``model_text`` over a batch; the first step of the trained pipelines."""
    return [model_text(text) for text in texts]


def tokens(text: str) -> list[str]:
    """The words of already normalised ``text`` (letters and digits; punctuation dropped)."""
    return _WORD.findall(text)


def is_persian_word(word: str) -> bool:
    """True when ``word`` contains an Arabic-script letter."""
    return _ARABIC_SCRIPT_WORD.search(word) is not None
