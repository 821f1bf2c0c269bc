"""Persian text helpers: digit conversion, normalisation for storage, and search keys.

Iranian users type on several keyboards (standard Persian, legacy Windows Arabic, phones with
Arabic layouts) and paste from PDFs that carry presentation forms and stray invisible characters.
The same name can therefore arrive as many different code-point sequences; these helpers reduce
them to one canonical stored form (``normalize_text``) and one coarser matching form
(``search_key``).

Pure Python: no Django import, so the functions are usable from importers, scripts and tests.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = [
    "normalize_text",
    "search_key",
    "to_latin_digits",
    "to_persian_digits",
    "whole_number",
]

ZWNJ: Final = "\u200c"

_PERSIAN_DIGITS: Final = "۰۱۲۳۴۵۶۷۸۹"
_ARABIC_DIGITS: Final = "٠١٢٣٤٥٦٧٨٩"
_LATIN_DIGITS: Final = "0123456789"

_TO_LATIN: Final = str.maketrans(_PERSIAN_DIGITS + _ARABIC_DIGITS, _LATIN_DIGITS * 2)
_TO_PERSIAN: Final = str.maketrans(_LATIN_DIGITS + _ARABIC_DIGITS, _PERSIAN_DIGITS * 2)

_HARAKAT: Final = frozenset(range(0x064B, 0x0660)) | {0x0670}
# Quranic annotation marks: never meaningful in names or addresses, only copy-paste debris.
_QURANIC_MARKS: Final = (
    frozenset(range(0x06D6, 0x06DD))
    | frozenset(range(0x06DF, 0x06E9))
    | frozenset(range(0x06EA, 0x06EE))
)
_TATWEEL: Final = 0x0640
# Invisible characters that carry no meaning in stored text. ZWNJ (U+200C) is *not* here: it is
# part of Persian orthography (می‌روم). Bidi controls arrive with numbers pasted from phones.
_INVISIBLE: Final = frozenset(
    {0x200B, 0x200D, 0xFEFF, 0x00AD, 0x200E, 0x200F, 0x061C}
    | set(range(0x202A, 0x202F))
    | set(range(0x2066, 0x206A))
)


def _presentation_form_table() -> dict[int, str]:
    """Map each Arabic presentation form to its NFKC base letters, minus any diacritics.

    Only these ranges get compatibility decomposition; applying NFKC to the whole string would
    also rewrite unrelated characters (superscripts, full-width Latin, ligatures like "ﬁ").
    """
    table: dict[int, str] = {}
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFF00)):
        char = chr(cp)
        if unicodedata.category(char) == "Cn" or cp in _INVISIBLE:
            continue
        base = unicodedata.normalize("NFKC", char)
        if base == char:
            continue
        stripped = "".join(c for c in base if ord(c) not in _HARAKAT)
        # Isolated harakat forms (U+FE70…) decompose to "space + mark"; they are marks, not
        # word breaks, so they vanish instead of splitting a word in two.
        table[cp] = "" if not stripped.strip() else base
    return table


_PRESENTATION_FORMS: Final = _presentation_form_table()

_REMOVE_INVISIBLE: Final = dict.fromkeys(_INVISIBLE | {_TATWEEL})

# ي and ك come from the Arabic keyboard layout and look identical to their Persian counterparts,
# so they are typing accidents, not spelling choices. ة is kept: it must be typed deliberately
# (Shift on the Persian layout) and appears in accepted spellings (آیة‌الله, دائرةالمعارف);
# search_key folds it instead, so matching still works.
_ARABIC_KEYBOARD_LETTERS: Final = {
    0x064A: "ی",  # ARABIC LETTER YEH
    0x0649: "ی",  # ARABIC LETTER ALEF MAKSURA
    0x0643: "ک",  # ARABIC LETTER KAF
}
_MARKS_AND_DIGITS: Final = {**dict.fromkeys(_HARAKAT | _QURANIC_MARKS), **_TO_LATIN}

# Hamza above written as a separate mark: Unicode has no canonical composition for these pairs
# (ۀ decomposes to U+06D5, ئ to U+064A), so NFC leaves them apart and the mark stripping below
# would lose the hamza. The ezafe «خانهٔ» is the common case.
_HAMZA_PAIRS: Final = re.compile("([\u0647\u06cc])\u0654")
_HAMZA_COMPOSED: Final = {"\u0647": "\u06c0", "\u06cc": "\u0626"}

_SEARCH_FOLDS: Final = str.maketrans(
    {
        "آ": "ا",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ی",
        "ۀ": "ه",
        "ە": "ه",
        "ہ": "ه",
        "ھ": "ه",
        "ة": "ه",
        ZWNJ: "",
    }
)


def to_latin_digits(s: str) -> str:
    """Replace Persian (۰–۹) and Arabic-Indic (٠–٩) digits with ASCII digits."""
    return s.translate(_TO_LATIN)


def to_persian_digits(s: str | int) -> str:
    """Replace ASCII and Arabic-Indic digits with Persian digits (ints are formatted first)."""
    return str(s).translate(_TO_PERSIAN)


_WHOLE: Final = re.compile(r"[0-9]{1,18}")


def whole_number(s: str) -> int | None:
    """A non-negative whole number typed in any of the three digit scripts, else None.

    Only ASCII digits after conversion (``str.isdigit`` also takes "²", which ``int`` refuses)
    and at most 18 of them, so the value always fits a 64-bit database column.
    """
    text = to_latin_digits(s).strip()
    return int(text) if _WHOLE.fullmatch(text) else None


def _compose_hamza(s: str) -> str:
    return _HAMZA_PAIRS.sub(lambda m: _HAMZA_COMPOSED[m.group(1)], s)


def _clean_token(token: str) -> str:
    """Collapse ZWNJ runs and drop ZWNJ at the token's edges (next to a space or text end)."""
    return re.sub(ZWNJ + "+", ZWNJ, token).strip(ZWNJ)


def normalize_text(s: str) -> str:
    """Canonical form for storing user-entered Persian text. Idempotent.

    - Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF) become base letters (NFKC).
    - Arabic-keyboard ي/ى become ی and ك becomes ک; ة and ئ are kept (real Persian spellings).
    - Harakat (U+064B–U+065F, U+0670), Quranic marks and tatweel are removed, after composing
      a separately typed hamza (ه + ٔ → ۀ) so it is not lost.
    - ZWSP, ZWJ, BOM, soft hyphen and bidi controls are removed; ZWNJ runs collapse to one and
      ZWNJ next to whitespace or at either end is dropped.
    - Persian and Arabic-Indic digits become ASCII.
    - Whitespace runs (any Unicode space, tabs, newlines) become one space; ends are stripped.
    """
    s = s.translate(_PRESENTATION_FORMS).translate(_REMOVE_INVISIBLE)
    s = unicodedata.normalize("NFC", s)
    s = _compose_hamza(s.translate(_ARABIC_KEYBOARD_LETTERS))
    s = s.translate(_MARKS_AND_DIGITS)
    tokens = (_clean_token(token) for token in s.split())
    s = " ".join(token for token in tokens if token)
    # Removing characters can leave base + combining mark pairs adjacent that NFC composes;
    # recomposing here keeps a second pass a no-op.
    return unicodedata.normalize("NFC", s)


def search_key(s: str) -> str:
    """A coarse, case-insensitive key for prefix search. Idempotent.

    On top of ``normalize_text``: casefold, fold alef/waw/yeh hamza and madda variants to the
    bare letter, heh variants (ۀ ە ة …) to ه, and remove ZWNJ so «محمد‌رضا» matches «محمدرضا».
    Words stay separated by single spaces.
    """
    s = normalize_text(s)
    # casefold can emit decomposed sequences (ǰ → j + ◌̌); NFC keeps the key in one form.
    return unicodedata.normalize("NFC", s.casefold()).translate(_SEARCH_FOLDS)
