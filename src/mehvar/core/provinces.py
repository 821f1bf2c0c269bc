"""The 31 provinces of Iran, with lenient matching of how people write their names.

A province is stored by its stable slug (``Province.code``), never by its display name, so
renamed or re-spelled names do not split customers into groups.

Pure Python: no Django import.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from mehvar.core.persian import search_key

__all__ = ["MAJOR_CITIES", "PROVINCES", "PROVINCE_CHOICES", "Province", "normalize_province"]


class Province(NamedTuple):
    code: str
    name_fa: str
    name_en: str


# Ordered by Persian name, as in Iranian forms and official lists.
PROVINCES: Final[tuple[Province, ...]] = (
    Province("east-azerbaijan", "آذربایجان شرقی", "East Azerbaijan"),
    Province("west-azerbaijan", "آذربایجان غربی", "West Azerbaijan"),
    Province("ardabil", "اردبیل", "Ardabil"),
    Province("isfahan", "اصفهان", "Isfahan"),
    Province("alborz", "البرز", "Alborz"),
    Province("ilam", "ایلام", "Ilam"),
    Province("bushehr", "بوشهر", "Bushehr"),
    Province("tehran", "تهران", "Tehran"),
    Province("chaharmahal-bakhtiari", "چهارمحال و بختیاری", "Chaharmahal and Bakhtiari"),
    Province("south-khorasan", "خراسان جنوبی", "South Khorasan"),
    Province("razavi-khorasan", "خراسان رضوی", "Razavi Khorasan"),
    Province("north-khorasan", "خراسان شمالی", "North Khorasan"),
    Province("khuzestan", "خوزستان", "Khuzestan"),
    Province("zanjan", "زنجان", "Zanjan"),
    Province("semnan", "سمنان", "Semnan"),
    Province("sistan-baluchestan", "سیستان و بلوچستان", "Sistan and Baluchestan"),
    Province("fars", "فارس", "Fars"),
    Province("qazvin", "قزوین", "Qazvin"),
    Province("qom", "قم", "Qom"),
    Province("kurdistan", "کردستان", "Kurdistan"),
    Province("kerman", "کرمان", "Kerman"),
    Province("kermanshah", "کرمانشاه", "Kermanshah"),
    Province("kohgiluyeh-boyer-ahmad", "کهگیلویه و بویراحمد", "Kohgiluyeh and Boyer-Ahmad"),
    Province("golestan", "گلستان", "Golestan"),
    Province("gilan", "گیلان", "Gilan"),
    Province("lorestan", "لرستان", "Lorestan"),
    Province("mazandaran", "مازندران", "Mazandaran"),
    Province("markazi", "مرکزی", "Markazi"),
    Province("hormozgan", "هرمزگان", "Hormozgan"),
    Province("hamadan", "همدان", "Hamadan"),
    Province("yazd", "یزد", "Yazd"),
)

PROVINCE_CHOICES: Final[list[tuple[str, str]]] = [(p.code, p.name_fa) for p in PROVINCES]

# Spellings seen in the wild besides name_fa, name_en and the code: transliterations, older
# romanisations, and Persian without "و" or with it glued on by a ZWNJ (search keys drop ZWNJ,
# so "سیستان‌وبلوچستان" cannot be split back into words and needs its own entry).
_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "east-azerbaijan": (
        "Azarbaijan Sharghi",
        "Azerbaijan Sharqi",
        "East Azarbaijan",
        "Eastern Azerbaijan",
        "آذربایجان‌شرقی",
    ),
    "west-azerbaijan": (
        "Azarbaijan Gharbi",
        "West Azarbaijan",
        "Western Azerbaijan",
        "آذربایجان‌غربی",
    ),
    "ardabil": ("Ardebil",),
    "isfahan": ("Esfahan", "Ispahan"),
    "alborz": (),
    "ilam": (),
    "bushehr": ("Booshehr", "Bushire", "Bushehre"),
    "tehran": ("Teheran",),
    "chaharmahal-bakhtiari": (
        "Chahar Mahal and Bakhtiari",
        "Chaharmahal va Bakhtiari",
        "Chaharmahal-o-Bakhtiari",
        "Chahar Mahaal and Bakhtiari",
        "Chaharmahal Bakhtiari",
        "چهار محال و بختیاری",
        "چهارمحال بختیاری",
        "چهارمحال‌وبختیاری",
    ),
    "south-khorasan": ("Khorasan Jonubi", "Khorasan Jonoobi", "Southern Khorasan"),
    "razavi-khorasan": ("Khorasan Razavi", "Khorassan Razavi", "Khorasan-e Razavi"),
    "north-khorasan": ("Khorasan Shomali", "Northern Khorasan"),
    "khuzestan": ("Khouzestan", "Khuzistan"),
    "zanjan": (),
    "semnan": (),
    "sistan-baluchestan": (
        "Sistan and Baluchistan",
        "Sistan va Baluchestan",
        "Sistan Baluchestan",
        "Sistan-Baluchistan",
        "سیستان بلوچستان",
        "سیستان‌وبلوچستان",
    ),
    "fars": ("Pars",),
    "qazvin": ("Ghazvin", "Qazwin"),
    "qom": ("Ghom", "Qum"),
    "kurdistan": ("Kordestan", "Kurdestan"),
    "kerman": (),
    "kermanshah": ("Kermanshahan", "Kirmanshah"),
    "kohgiluyeh-boyer-ahmad": (
        "Kohgiluyeh and Boyer Ahmad",
        "Kohgiluyeh va Boyer-Ahmad",
        "Kohkiluyeh and Boyer-Ahmad",
        "Kohgiluyeh and Boyerahmad",
        "Kohgiloyeh and Boyerahmad",
        "کهکیلویه و بویراحمد",
        "کهگیلویه و بویر احمد",
        "کهگیلویه بویراحمد",
        "کهگیلویه‌وبویراحمد",
    ),
    "golestan": (),
    "gilan": ("Guilan",),
    "lorestan": ("Luristan",),
    "mazandaran": (),
    "markazi": ("Central",),
    "hormozgan": (),
    "hamadan": ("Hamedan",),
    "yazd": (),
}

# Words that decorate a province name without identifying it: "استان تهران", "Tehran Province",
# "Sistan va Baluchestan", "Khorasan-e Razavi".
_FILLER_WORDS: Final = frozenset(
    {"استان", "ostan", "province", "of", "the", "and", "va", "o", "e", "و", "&"}
)
_WORD_BREAKS: Final = re.compile(r"[\s\-_.,،/()]+")


def _keys(name: str) -> tuple[str, str]:
    """Two match keys: words joined in order (so spacing differences vanish) and sorted (so
    "Khorasan Razavi" meets "Razavi Khorasan")."""
    words = [w for w in _WORD_BREAKS.split(search_key(name)) if w and w not in _FILLER_WORDS]
    return "".join(words), "".join(sorted(words))


def _build_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for province in PROVINCES:
        names = (province.code, province.name_fa, province.name_en, *_ALIASES[province.code])
        for name in names:
            for key in _keys(name):
                existing = index.setdefault(key, province.code)
                if existing != province.code:
                    raise AssertionError(f"{name!r} is ambiguous: {existing} / {province.code}")
    return index


_INDEX: Final = _build_index()


def normalize_province(raw: str | None) -> str | None:
    """The province code for a name in Persian (Arabic ي/ك, ZWNJ and spacing tolerated) or
    English (several romanisations, either word order), or None when it is not recognised.

    "خراسان رضوی", "Khorasan Razavi", "Razavi Khorasan", "استان تهران", "Tehran" → a code.
    """
    if not raw:
        return None
    ordered, unordered = _keys(raw)
    if not ordered:
        return None
    return _INDEX.get(ordered) or _INDEX.get(unordered)


# Capital first, then other large cities; used to generate realistic demo data.
MAJOR_CITIES: Final[dict[str, list[str]]] = {
    "east-azerbaijan": ["تبریز", "مراغه", "مرند", "میانه", "اهر"],
    "west-azerbaijan": ["ارومیه", "خوی", "مهاباد", "بوکان", "میاندوآب"],
    "ardabil": ["اردبیل", "پارس‌آباد", "مشگین‌شهر", "خلخال"],
    "isfahan": ["اصفهان", "کاشان", "خمینی‌شهر", "نجف‌آباد", "شاهین‌شهر"],
    "alborz": ["کرج", "فردیس", "نظرآباد", "هشتگرد"],
    "ilam": ["ایلام", "دهلران", "ایوان", "آبدانان"],
    "bushehr": ["بوشهر", "برازجان", "گناوه", "کنگان"],
    "tehran": ["تهران", "اسلامشهر", "شهریار", "ورامین", "پاکدشت"],
    "chaharmahal-bakhtiari": ["شهرکرد", "بروجن", "فارسان", "لردگان"],
    "south-khorasan": ["بیرجند", "قائن", "فردوس", "نهبندان"],
    "razavi-khorasan": ["مشهد", "نیشابور", "سبزوار", "تربت حیدریه", "قوچان"],
    "north-khorasan": ["بجنورد", "شیروان", "اسفراین"],
    "khuzestan": ["اهواز", "دزفول", "آبادان", "خرمشهر", "بهبهان"],
    "zanjan": ["زنجان", "ابهر", "خرمدره", "قیدار"],
    "semnan": ["سمنان", "شاهرود", "دامغان", "گرمسار"],
    "sistan-baluchestan": ["زاهدان", "زابل", "چابهار", "ایرانشهر", "سراوان"],
    "fars": ["شیراز", "مرودشت", "جهرم", "کازرون", "فسا"],
    "qazvin": ["قزوین", "تاکستان", "الوند", "آبیک"],
    "qom": ["قم", "جعفریه", "قنوات", "کهک"],
    "kurdistan": ["سنندج", "سقز", "مریوان", "بانه", "بیجار"],
    "kerman": ["کرمان", "سیرجان", "رفسنجان", "جیرفت", "بم"],
    "kermanshah": ["کرمانشاه", "اسلام‌آباد غرب", "کنگاور", "هرسین"],
    "kohgiluyeh-boyer-ahmad": ["یاسوج", "دهدشت", "دوگنبدان", "سی‌سخت"],
    "golestan": ["گرگان", "گنبد کاووس", "بندر ترکمن", "آزادشهر"],
    "gilan": ["رشت", "بندر انزلی", "لاهیجان", "لنگرود", "آستارا"],
    "lorestan": ["خرم‌آباد", "بروجرد", "دورود", "الیگودرز", "کوهدشت"],
    "mazandaran": ["ساری", "بابل", "آمل", "قائم‌شهر", "نوشهر"],
    "markazi": ["اراک", "ساوه", "خمین", "محلات", "دلیجان"],
    "hormozgan": ["بندرعباس", "میناب", "قشم", "بندر لنگه"],
    "hamadan": ["همدان", "ملایر", "نهاوند", "تویسرکان", "اسدآباد"],
    "yazd": ["یزد", "میبد", "اردکان", "بافق", "مهریز"],
}
