"""Provinces: the reference list, lenient name matching, and demo cities."""

from __future__ import annotations

import re

import pytest

from mehvar.core.persian import normalize_text
from mehvar.core.provinces import (
    MAJOR_CITIES,
    PROVINCE_CHOICES,
    PROVINCES,
    Province,
    normalize_province,
)

CODES = [p.code for p in PROVINCES]


def test_thirty_one_distinct_provinces() -> None:
    assert len(PROVINCES) == 31
    assert len(set(CODES)) == 31
    assert len({p.name_fa for p in PROVINCES}) == 31
    assert len({p.name_en for p in PROVINCES}) == 31


def test_codes_are_stable_slugs_that_fit_the_model_field() -> None:
    for code in CODES:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code)
        assert len(code) <= 32


def test_choices_mirror_provinces() -> None:
    assert [(p.code, p.name_fa) for p in PROVINCES] == PROVINCE_CHOICES
    assert ("tehran", "تهران") in PROVINCE_CHOICES
    assert ("razavi-khorasan", "خراسان رضوی") in PROVINCE_CHOICES


def test_persian_names_are_already_normalised() -> None:
    for province in PROVINCES:
        assert normalize_text(province.name_fa) == province.name_fa


@pytest.mark.parametrize("province", PROVINCES, ids=CODES)
def test_every_province_matches_its_own_names(province: Province) -> None:
    arabic_keyboard = province.name_fa.replace("ی", "ي").replace("ک", "ك")
    variants = [
        province.code,
        province.name_fa,
        province.name_en,
        province.name_en.upper(),
        province.name_en.lower(),
        arabic_keyboard,
        f"استان {province.name_fa}",
        f"{province.name_en} Province",
        f"  {province.name_fa.replace(' ', '  ')} ",
        " ".join(reversed(province.name_en.split())),
    ]
    for variant in variants:
        assert normalize_province(variant) == province.code, variant


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("خراسان رضوی", "razavi-khorasan"),
        ("خراسان‌رضوی", "razavi-khorasan"),
        ("Khorasan Razavi", "razavi-khorasan"),
        ("Razavi Khorasan", "razavi-khorasan"),
        ("Khorasan-e Razavi", "razavi-khorasan"),
        ("تهران", "tehran"),
        ("Tehran", "tehran"),
        ("Teheran", "tehran"),
        ("آذربايجان شرقي", "east-azerbaijan"),
        ("اذربایجان غربی", "west-azerbaijan"),
        ("Azerbaijan, West", "west-azerbaijan"),
        ("Esfahan", "isfahan"),
        ("چهار محال و بختیاری", "chaharmahal-bakhtiari"),
        ("Chaharmahal-o-Bakhtiari", "chaharmahal-bakhtiari"),
        ("سیستان‌وبلوچستان", "sistan-baluchestan"),
        ("Sistan & Baluchistan", "sistan-baluchestan"),
        ("کهگیلویه و بویر احمد", "kohgiluyeh-boyer-ahmad"),
        ("Kohgiluyeh and Boyer Ahmad", "kohgiluyeh-boyer-ahmad"),
        ("كرمانشاه", "kermanshah"),
        ("Kerman", "kerman"),
        ("Hamedan", "hamadan"),
        ("Ghazvin", "qazvin"),
        ("Guilan", "gilan"),
    ],
)
def test_normalize_province_variants(raw: str, expected: str) -> None:
    assert normalize_province(raw) == expected


@pytest.mark.parametrize(
    "raw", [None, "", "   ", "استان", "Province", "Khorasan", "آذربایجان", "Mashhad", "Paris"]
)
def test_unrecognised_provinces(raw: str | None) -> None:
    assert normalize_province(raw) is None


def test_major_cities_cover_every_province() -> None:
    assert set(MAJOR_CITIES) == set(CODES)
    for code, cities in MAJOR_CITIES.items():
        assert 3 <= len(cities) <= 5, code
        assert len(set(cities)) == len(cities), code
        for city in cities:
            assert normalize_text(city) == city
            assert re.fullmatch(r"[\u0600-\u06ff\u200c ]+", city), city


@pytest.mark.parametrize(
    ("code", "capital"),
    [
        ("tehran", "تهران"),
        ("razavi-khorasan", "مشهد"),
        ("east-azerbaijan", "تبریز"),
        ("alborz", "کرج"),
        ("khuzestan", "اهواز"),
        ("hormozgan", "بندرعباس"),
        ("kohgiluyeh-boyer-ahmad", "یاسوج"),
        ("markazi", "اراک"),
    ],
)
def test_capital_comes_first(code: str, capital: str) -> None:
    assert MAJOR_CITIES[code][0] == capital
