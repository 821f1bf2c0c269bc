"""Keywords: what customers talk about, as words and two-word phrases.

Words are matched in their normalised form (so «بسته‌بندی», «بسته بندی» typed with ZWNJ and
«بستهبندی» count together) but shown in the spelling customers used most. Stop words in Persian
and English are dropped; a bigram is two adjacent words that are both kept. A term counts once
per text that mentions it, so one long rant cannot dominate the dashboard.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Final

from mehvar.core.persian import normalize_text
from mehvar.text.normalise import normalise
from mehvar.text.stopwords import is_stop_word

__all__ = ["Keyword", "keywords_of", "terms", "top_keywords"]

# ZWNJ belongs to the word in Persian («بسته‌بندی»): a token keeps it for display.
_TOKEN: Final = re.compile(r"[\w\u200c]+")


@dataclass(frozen=True, slots=True)
class Keyword:
    term: str
    count: int  # number of texts that mention it


def _tokens(text: str) -> list[tuple[str, str]]:
    """(key, shown) for each word; key is ``""`` for a stop word (it breaks bigrams)."""
    out = []
    for token in _TOKEN.findall(normalize_text(text).lower()):
        shown = token.strip("\u200c")
        key = normalise(shown).replace(" ", "")
        out.append(("" if not key or is_stop_word(key) else key, shown))
    return out


def terms(text: str) -> list[tuple[str, str]]:
    """The (key, shown) unigrams and bigrams of one text, in reading order (repeats kept)."""
    words = _tokens(text)
    found = [(key, shown) for key, shown in words if key]
    for (key1, shown1), (key2, shown2) in pairwise(words):
        # The bigram's key has no space, so «بسته بندی» counts with «بسته‌بندی»/«بستهبندی».
        if key1 and key2 and key1 != key2:
            found.append((key1 + key2, f"{shown1} {shown2}"))
    return found


def _shown(forms: Counter[str]) -> str:
    # The spelling most customers used; on a tie the longer one (it keeps its ZWNJ or space),
    # then the alphabetically first, for stable output.
    return min(forms, key=lambda form: (-forms[form], -len(form), form))


def top_keywords(texts: Iterable[str], *, limit: int = 20) -> list[Keyword]:
    """The ``limit`` terms mentioned by the most texts (count desc, then term asc)."""
    mentions: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text in texts:
        seen = set()
        for key, shown in terms(text):
            spellings.setdefault(key, Counter())[shown] += 1
            seen.add(key)
        mentions.update(seen)
    ranked = [Keyword(_shown(spellings[key]), count) for key, count in mentions.items()]
    ranked.sort(key=lambda keyword: (-keyword.count, keyword.term))
    return ranked[:limit]


def keywords_of(text: str, limit: int = 5) -> list[str]:
    """The ``limit`` most repeated terms of one text (first mention breaks ties)."""
    found: Sequence[tuple[str, str]] = terms(text)
    counts = Counter(key for key, _ in found)
    first: dict[str, tuple[int, str]] = {}
    for position, (key, shown) in enumerate(found):
        first.setdefault(key, (position, shown))
    order = sorted(counts, key=lambda key: (-counts[key], first[key][0]))
    return [first[key][1] for key in order[:limit]]
