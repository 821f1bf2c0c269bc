"""The Persian catalogue is complete, compiled and in use.

The interface is Persian first: an English msgid left untranslated shows English in the middle
of a Persian page, and a .po edited without recompiling changes nothing on screen. These tests
read the catalogue itself (a small parser, no third-party library), check the compiled .mo
against it, and look at a few strings through Django.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation import gettext as _

import mehvar

LC_MESSAGES = Path(mehvar.__file__).parent / "locale" / "fa" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"
FIX = "run `make messages` and translate them in src/mehvar/locale/fa/LC_MESSAGES/django.po"

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')
_CONTINUATION = re.compile(r'^"(.*)"\s*$')
_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[ds]|\{\w*\}")


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    def where(self) -> str:
        return f"django.po:{self.line}: {self.msgid!r}"


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text)


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, the header (msgid "") first; multi-line strings are joined.

    An entry is its comments, then msgctxt, msgid, msgid_plural and msgstr / msgstr[n], each
    possibly continued on the following quoted lines; a blank line, or a comment or msgid after
    a msgstr, starts the next one. Obsolete entries (#~) are read and marked.
    """
    entries: list[Entry] = []
    current: Entry | None = None
    target: tuple[str, int] | None = None  # the string a continuation line extends

    def finish() -> None:
        nonlocal current, target
        if current is not None and (current.msgstr or current.msgid):
            entries.append(current)
        current, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if current is not None and current.msgstr:
                finish()
            current = current or Entry(line=number)
            if line.startswith("#,"):
                current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        keyword = _KEYWORD.match(line)
        if keyword:
            name, index, text = keyword.group(1), keyword.group(2), _unquote(keyword.group(3))
            if name in ("msgctxt", "msgid") and current is not None and current.msgstr:
                finish()
            current = current or Entry(line=number)
            current.obsolete = current.obsolete or obsolete
            if name == "msgctxt":
                current.msgctxt, target = text, ("msgctxt", 0)
            elif name == "msgid":
                current.msgid, current.line, target = text, number, ("msgid", 0)
            elif name == "msgid_plural":
                current.msgid_plural, target = text, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                current.msgstr[slot], target = text, ("msgstr", slot)
            continue
        continuation = _CONTINUATION.match(line)
        if continuation is None or current is None or target is None:
            raise AssertionError(f"django.po:{number}: cannot read this line: {raw!r}")
        text = _unquote(continuation.group(1))
        kind, slot = target
        if kind == "msgstr":
            current.msgstr[slot] += text
        elif kind == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + text
        elif kind == "msgctxt":
            current.msgctxt = (current.msgctxt or "") + text
        else:
            current.msgid += text
    finish()
    return entries


def _header(entries: list[Entry]) -> Entry:
    assert entries, "django.po is empty"
    assert entries[0].msgid == "", 'django.po must start with its header (msgid "")'
    return entries[0]


def _messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries[1:] if not e.obsolete]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO.is_file(), f"{PO} is missing; {FIX}"
    return parse_po(PO)


def test_the_parser_reads_multiline_strings_plurals_and_flags(tmp_path: Path) -> None:
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: fa\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgid ""\n"Two "\n"lines %(n)s"\nmsgstr "دو خط %(n)s"\n\n'
        'msgctxt "menu"\nmsgid "One file"\nmsgid_plural "%(n)d files"\n'
        'msgstr[0] "یک فایل"\nmsgstr[1] ""\n"%(n)d فایل"\n\n'
        '#~ msgid "Old"\n#~ msgstr "کهنه"\n',
        encoding="utf-8",
    )
    header, two, files, old = parse_po(po)
    assert header.msgstr == {0: "Language: fa\n"}
    assert (two.msgid, two.msgstr, two.flags) == (
        "Two lines %(n)s",
        {0: "دو خط %(n)s"},
        {"fuzzy", "python-format"},
    )
    assert (files.msgctxt, files.msgid_plural, files.msgstr) == (
        "menu",
        "%(n)d files",
        {0: "یک فایل", 1: "%(n)d فایل"},
    )
    assert old.obsolete
    assert old.msgid == "Old"


def test_the_header_declares_persian_and_its_plural_rule(entries: list[Entry]) -> None:
    header = _header(entries).msgstr[0]
    assert "Language: fa\n" in header
    assert "charset=UTF-8" in header
    # The rule Django's own Persian catalogue uses; two forms, so msgstr[0] and msgstr[1].
    assert "Plural-Forms: nplurals=2; plural=(n > 1);\n" in header
    assert "fuzzy" not in _header(entries).flags, "the header is marked fuzzy; remove the flag"


def test_every_message_is_translated_and_none_is_fuzzy(entries: list[Entry]) -> None:
    messages = _messages(entries)
    assert len(messages) > 100, "the catalogue looks truncated"
    untranslated = [
        e.where()
        for e in messages
        if not e.msgstr
        or not all(e.msgstr.values())
        or (e.msgid_plural is not None and sorted(e.msgstr) != [0, 1])
    ]
    fuzzy = [e.where() for e in messages if "fuzzy" in e.flags]
    problems = []
    if untranslated:
        problems.append(
            f"{len(untranslated)} message(s) have no Persian translation:\n"
            + "\n".join(untranslated)
        )
    if fuzzy:
        problems.append(
            f"{len(fuzzy)} message(s) are marked fuzzy, so Django ignores them; check each "
            "translation and remove the flag:\n" + "\n".join(fuzzy)
        )
    assert not problems, f"{FIX}.\n" + "\n".join(problems)


def test_translations_keep_the_placeholders_and_the_edges(entries: list[Entry]) -> None:
    wrong = []
    for e in _messages(entries):
        sources = [e.msgid] + ([e.msgid_plural] if e.msgid_plural else [])
        wanted = sorted(set(_PLACEHOLDER.findall(" ".join(sources))))
        for slot, text in e.msgstr.items():
            found = sorted(set(_PLACEHOLDER.findall(text)))
            # A singular form may leave the count out ("یک فایل"), never add one.
            ok = found == wanted or (e.msgid_plural is not None and set(found) <= set(wanted))
            if not ok:
                wrong.append(f"{e.where()} [{slot}]: placeholders {found} instead of {wanted}")
            for edge in ("\n", " "):
                if e.msgid.startswith(edge) != text.startswith(edge) or (
                    e.msgid.endswith(edge) != text.endswith(edge)
                ):
                    wrong.append(f"{e.where()} [{slot}]: leading/trailing {edge!r} differs")
    assert not wrong, "\n".join(wrong)


def test_the_compiled_catalogue_is_up_to_date(entries: list[Entry]) -> None:
    assert MO.is_file(), f"{MO} is missing; run `make messages`"
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for e in _messages(entries):
        if e.msgid_plural is None:
            if e.msgctxt is None:
                got = compiled.gettext(e.msgid)
            else:
                got = compiled.pgettext(e.msgctxt, e.msgid)
            if got != e.msgstr.get(0):
                stale.append(f"{e.where()}: .mo gives {got!r}")
            continue
        for n, slot in ((1, 0), (2, 1)):
            if e.msgctxt is None:
                got = compiled.ngettext(e.msgid, e.msgid_plural, n)
            else:
                got = compiled.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
            if got != e.msgstr.get(slot):
                stale.append(f"{e.where()} (n={n}): .mo gives {got!r}")
    assert not stale, (
        f"django.mo does not match django.po for {len(stale)} message(s); run `make messages` "
        "(compilemessages) and commit the .mo:\n" + "\n".join(stale[:50])
    )


def test_the_plural_rule_picks_the_persian_forms() -> None:
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    # Django's Persian rule: 0 and 1 take msgstr[0], more take msgstr[1].
    assert compiled.plural(0) == 0  # type: ignore[attr-defined]
    assert compiled.plural(1) == 0  # type: ignore[attr-defined]
    assert compiled.plural(2) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("english", "persian"),
    [
        ("Customers", "مشتریان"),
        ("Customer", "مشتری"),
        ("Timeline", "خط زمانی"),
        ("Consent", "رضایت ارتباطی"),
        ("Import", "ورود داده"),
        ("Export", "خروجی"),
        ("Lead", "سرنخ"),
        ("Prospect", "مشتری بالقوه"),
        ("Advocate", "مشتری حامی"),
        ("Former customer", "مشتری سابق"),
        ("Admin", "مدیر سیستم"),
        ("Manager", "مدیر"),
        ("Sales", "فروش"),
        ("Marketing", "بازاریابی"),
        ("Unsubscribe link", "پیوند لغو اشتراک"),
        ("Log in", "ورود"),
    ],
)
def test_key_words_come_out_in_persian(english: str, persian: str) -> None:
    with translation.override("fa"):
        assert _(english) == persian
    with translation.override("en"):
        assert _(english) == english


def test_a_persian_message_keeps_its_values() -> None:
    with translation.override("fa"):
        text = _("%(done)s of %(total)s rows") % {"done": "۳", "total": "۱۰"}
    assert text == "۳ از ۱۰ ردیف"


def test_model_labels_and_choices_are_persian() -> None:
    from mehvar.customers.models import Customer, LifecycleStage

    with translation.override("fa"):
        assert str(Customer._meta.verbose_name_plural) == "مشتریان"
        assert str(LifecycleStage.LEAD.label) == "سرنخ"
