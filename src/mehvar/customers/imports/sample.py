"""Realistic import files of any size, for tests, benchmarks (``bench/``) and demos.

Rows are drawn from a seeded generator, so the same arguments give the same file. Files are
written row by row (CSV through the csv module, XLSX through openpyxl's write-only mode), so a
million-row file needs no more memory than a ten-row one.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from mehvar.core.jalali import format_jalali
from mehvar.core.national_id import national_code_check_digit
from mehvar.core.provinces import MAJOR_CITIES, PROVINCES

CUSTOMER_HEADERS = [
    "شناسه",
    "نام",
    "نام خانوادگی",
    "موبایل",
    "کد ملی",
    "ایمیل",
    "استان",
    "شهر",
    "تاریخ تولد",
    "کد پستی",
    "برچسب",
]
ORDER_HEADERS = [
    "شماره سفارش",
    "تاریخ",
    "موبایل",
    "نام",
    "نام خانوادگی",
    "کد کالا",
    "نام کالا",
    "تعداد",
    "قیمت واحد",
    "تخفیف",
    "کانال",
]

_FIRST = ["علی", "محمد", "زهرا", "فاطمه", "رضا", "مریم", "حسین", "سارا", "مهدی", "نرگس", "امیر"]
_LAST = ["رضایی", "محمدی", "حسینی", "احمدی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی", "نوری"]
_TAGS = ["وفادار", "عمده", "VIP", "نمایشگاه", ""]
_PRODUCTS = [("P-100", "چای ممتاز", 850_000), ("P-200", "زعفران نیم مثقال", 1_900_000)]
_PRODUCTS += [("P-300", "قهوه ترک", 640_000), ("P-400", "عسل طبیعی", 1_250_000)]
_CHANNELS = ["حضوری", "سایت", "تلفنی", "اینستاگرام"]
# The kinds of mistakes real files carry, one per bad row, in turn.
_BAD = ("mobile", "national_id", "province", "name", "birth_date")


def national_code(index: int) -> str:
    """A valid national code, different for every index below 10**9 (7919 is prime to 10)."""
    first = f"{(index * 7919 + 104_729) % 10**9:09d}"
    return first + str(national_code_check_digit(first))


def postal_code(rng: random.Random) -> str:
    routing = "".join(rng.choice("13456789") for _ in range(5))
    return routing + f"{rng.randrange(10**5):05d}"


def customer_rows(count: int, *, seed: int = 0, bad_every: int = 0) -> Iterator[list[str]]:
    """Rows under ``CUSTOMER_HEADERS``; every ``bad_every``-th row has one mistake.

    Row i has external id C{i}, mobile 0912{i:07d} and national code :func:`national_code`
    (i), so identifiers never collide between rows (up to ten million rows).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
    provinces = [p for p in PROVINCES if p.code in MAJOR_CITIES]
    bad_kinds = iter(_BAD * (count // max(bad_every, 1) + 1))
    for index in range(1, count + 1):
        province = rng.choice(provinces)
        row = [
            f"C{index}",
            rng.choice(_FIRST),
            rng.choice(_LAST),
            f"0912{index:07d}",
            national_code(index),
            f"user{index}@example.com" if rng.random() < 0.6 else "",
            province.name_fa,
            rng.choice(MAJOR_CITIES[province.code]),
            f"13{rng.randrange(30, 83)}/{rng.randrange(1, 13):02d}/{rng.randrange(1, 29):02d}",
            postal_code(rng),
            rng.choice(_TAGS),
        ]
        if bad_every and index % bad_every == 0:
            mistake = next(bad_kinds)
            if mistake == "mobile":
                row[3] = "0912123"
            elif mistake == "national_id":
                row[4] = row[4][:9] + str((int(row[4][9]) + 1) % 10)
            elif mistake == "province":
                row[6] = "آتلانتیس"
            elif mistake == "name":
                row[1] = row[2] = ""
            else:
                row[8] = "1399/13/40"
        yield row


def order_rows(count: int, *, seed: int = 0, customers: int = 1000) -> Iterator[list[str]]:
    """Order lines under ``ORDER_HEADERS``: ``count`` orders of one to three lines each, for
    the customers of :func:`customer_rows` (mobile 0912{i:07d}, i ≤ ``customers``)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sample data, not a secret
    for number in range(1, count + 1):
        customer = rng.randrange(1, customers + 1)
        day = format_jalali(_day(rng))
        lines = rng.sample(_PRODUCTS, rng.randrange(1, 4))
        discount = rng.choice(["", "", "50000"])
        channel = rng.choice(_CHANNELS)
        for sku, name, price in lines:
            yield [
                f"S-{number}",
                day,
                f"0912{customer:07d}",
                rng.choice(_FIRST),
                rng.choice(_LAST),
                sku,
                name,
                str(rng.randrange(1, 4)),
                str(price),
                discount,
                channel,
            ]


def _day(rng: random.Random) -> date:
    return date(2023, 1, 1) + timedelta(days=rng.randrange(700))


def write_csv(
    path: Path, headers: list[str], rows: Iterator[list[str]], *, encoding: str = "utf-8-sig"
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, headers: list[str], rows: Iterator[list[str]]) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def write_customers(
    path: Path, count: int, *, seed: int = 0, bad_every: int = 0, encoding: str = "utf-8-sig"
) -> Path:
    """A customers file (CSV or XLSX by ``path``'s suffix) with Persian headers."""
    rows = customer_rows(count, seed=seed, bad_every=bad_every)
    if path.suffix.lower() == ".xlsx":
        return write_xlsx(path, CUSTOMER_HEADERS, rows)
    return write_csv(path, CUSTOMER_HEADERS, rows, encoding=encoding)
