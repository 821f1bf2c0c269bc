"""Exports: formula-injection safety in both formats, Jalali and Gregorian dates, filters,
permissions, and files that import back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mehvar.core.jalali import TEHRAN
from mehvar.customers.exports import FORMULA_TRIGGERS, csv_stream, safe_cell, xlsx_file
from mehvar.customers.imports.jobs import import_job_create, import_job_start
from mehvar.customers.imports.runner import import_run
from mehvar.customers.models import Customer, ImportJob, Order, Product
from mehvar.customers.orders import LineInput, order_create

pytestmark = pytest.mark.django_db

PAYLOADS = ["=1+2", "+98912", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


def client_for(user: Any, language: str = "en") -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def read_csv(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response: Any) -> list[list[Any]]:
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- formula injection ------------------------------------------------------------------------


def test_every_trigger_is_prefixed_and_nothing_else() -> None:
    assert FORMULA_TRIGGERS == ("=", "+", "-", "@", "\t", "\r")
    assert [safe_cell(p) for p in PAYLOADS] == ["'" + p for p in PAYLOADS]
    assert [safe_cell(v) for v in ["علی", "a=b", " =x", "", -5, 3.5, None]] == [
        "علی",
        "a=b",
        " =x",
        "",
        -5,
        3.5,
        None,
    ]


def test_csv_writer_neutralises_all_six_triggers() -> None:
    body = b"".join(csv_stream(["=header"], [[p] for p in PAYLOADS] + [[-7]]))
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert rows == [["'=header"], *[["'" + p] for p in PAYLOADS], ["-7"]]


def test_xlsx_writer_neutralises_all_six_triggers() -> None:
    handle = xlsx_file(["=header"], [[p] for p in PAYLOADS] + [[-7]], calendar="gregorian")
    sheet = openpyxl.load_workbook(handle).worksheets[0]
    cells = [row[0] for row in sheet.iter_rows()]
    # XML reads a bare carriage return back as a line feed; the apostrophe is what matters.
    expected = ["'" + p.replace("\r", "\n") for p in PAYLOADS]
    assert [c.value for c in cells] == ["'=header", *expected, -7]
    # Text, never a formula; the number stays a number.
    assert [c.data_type for c in cells] == ["s"] * 7 + ["n"]


def test_customer_export_is_safe_end_to_end(
    users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    make_customer(
        first_name='=HYPERLINK("http://evil")',
        last_name="@SUM(1)",
        city="-1+1",
        mobile="09121234567",
    )
    client = client_for(users["manager"])
    with translation.override("en"):
        rows = read_csv(client.get(reverse("data:export_customers"), {"format": "csv"}))
        xlsx = read_xlsx(client.get(reverse("data:export_customers"), {"format": "xlsx"}))
    for table in (rows, xlsx):
        header, row = table
        record = dict(zip(header, row, strict=True))
        assert record["First name"] == '\'=HYPERLINK("http://evil")'
        assert record["Last name"] == "'@SUM(1)"
        assert record["City"] == "'-1+1"
        assert record["Mobile"] == "'+989121234567"


# --- dates and amounts ------------------------------------------------------------------------


def _dated_customer(make_customer: Callable[..., Any]) -> Customer:
    customer = make_customer(birth_date="1990-03-21", mobile="09121110000")
    Customer.objects.filter(pk=customer.pk).update(
        created_at=datetime(2024, 3, 20, 23, 30, tzinfo=TEHRAN)
    )
    return customer


@pytest.mark.parametrize(
    ("calendar", "birth", "created"),
    [("jalali", "1369/01/01", "1403/01/01 23:30"), ("gregorian", "1990-03-21", "2024-03-20 23:30")],
)
def test_csv_dates_follow_the_chosen_calendar(
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    calendar: str,
    birth: str,
    created: str,
) -> None:
    _dated_customer(make_customer)
    with translation.override("en"):
        header, row = read_csv(
            client_for(users["admin"]).get(reverse("data:export_customers"), {"calendar": calendar})
        )
    record = dict(zip(header, row, strict=True))
    assert (record["Birth date"], record["Created"]) == (birth, created)


def test_xlsx_dates_are_real_dates_in_gregorian_and_text_in_jalali(
    users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    _dated_customer(make_customer)
    client = client_for(users["admin"])
    with translation.override("en"):
        gregorian = read_xlsx(
            client.get(
                reverse("data:export_customers"), {"format": "xlsx", "calendar": "gregorian"}
            )
        )
        jalali = read_xlsx(
            client.get(reverse("data:export_customers"), {"format": "xlsx", "calendar": "jalali"})
        )
    g = dict(zip(gregorian[0], gregorian[1], strict=True))
    j = dict(zip(jalali[0], jalali[1], strict=True))
    # Real date cells (openpyxl reads them back as datetimes), with Tehran's wall clock time.
    assert isinstance(g["Birth date"], datetime)
    assert isinstance(g["Created"], datetime)
    assert g["Birth date"].isoformat() == "1990-03-21T00:00:00"
    assert g["Created"].isoformat() == "2024-03-20T23:30:00"
    assert (j["Birth date"], j["Created"]) == ("1369/01/01", "1403/01/01 23:30")


def test_persian_pages_export_jalali_by_default(
    users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    _dated_customer(make_customer)
    response = client_for(users["admin"], "fa").get(reverse("data:export_customers"))
    _header, row = read_csv(response)
    assert "1369/01/01" in row
    assert response["Content-Disposition"].startswith('attachment; filename="customers-14')


def _order(users: dict[str, Any], make_customer: Callable[..., Any]) -> Order:
    customer = make_customer(mobile="09121110000", external_id="C-9")
    tea = Product.objects.create(sku="=TEA", name="چای")
    return order_create(
        actor=users["admin"],
        customer=customer,
        number="S-7",
        lines=[
            LineInput(quantity=2, unit_price=1_500_005, product=tea),
            LineInput(quantity=1, unit_price=90_000, description="قند"),
        ],
        placed_at=datetime(2024, 5, 1, 10, 0, tzinfo=TEHRAN),
        discount=100_000,
    )


def test_orders_export_one_row_per_line_with_numbers(
    users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    _order(users, make_customer)
    client = client_for(users["marketing"])
    with translation.override("en"):
        table = read_xlsx(
            client.get(
                reverse("data:export_orders"),
                {"format": "xlsx", "unit": "toman", "calendar": "jalali"},
            )
        )
    header, first, second = table
    assert header[:3] == ["Order number", "Order date", "Customer"]
    assert "Unit price (Toman)" in header
    one, two = dict(zip(header, first, strict=True)), dict(zip(header, second, strict=True))
    assert (one["Order date"], one["SKU"], one["Quantity"]) == ("1403/02/12 10:00", "'=TEA", 2)
    assert one["Unit price (Toman)"] == 150_000.5
    assert one["Line amount (Toman)"] == 300_001
    assert two["Product"] == "قند"
    assert two["Unit price (Toman)"] == 9_000
    assert (
        one["Order total (Toman)"]
        == two["Order total (Toman)"]
        == (3_000_010 + 90_000 - 100_000) // 10
    )
    assert one["Discount (Toman)"] == 10_000
    with translation.override("en"):
        rows = read_csv(
            client.get(
                reverse("data:export_orders"),
                {"unit": "rial", "status": "paid", "from": "1403/02/01"},
            )
        )
    assert [row[rows[0].index("Line amount (Rial)")] for row in rows[1:]] == ["3000010", "90000"]
    with translation.override("en"):
        rows = read_csv(client.get(reverse("data:export_orders"), {"to": "2024-04-30"}))
    assert len(rows) == 1


# --- filters and permissions ------------------------------------------------------------------


def test_export_takes_the_list_filters(
    users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    make_customer(first_name="Ali", province="tehran", mobile="09121110001")
    make_customer(first_name="Sara", province="fars", mobile="09121110002")
    make_customer(first_name="Reza", province="fars", mobile="09121110003", owner=users["manager"])
    client = client_for(users["manager"])
    with translation.override("en"):
        rows = read_csv(
            client.get(reverse("data:export_customers"), {"province": "fars", "sort": "-name"})
        )
        mine = read_csv(client.get(reverse("data:export_customers"), {"mine": "1"}))
        found = read_csv(client.get(reverse("data:export_customers"), {"q": "09121110001"}))
    names = [row[rows[0].index("First name")] for row in rows[1:]]
    assert names == ["Sara", "Reza"]
    assert [row[3] for row in mine[1:]] == ["Reza"]
    assert len(found) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password"},
        {"format": "pdf"},
        {"calendar": "lunar"},
        {"owner__role": "admin"},
        {"unit": "usd"},
    ],
)
def test_unknown_parameters_are_a_400(users: dict[str, Any], params: dict[str, str]) -> None:
    response = client_for(users["admin"]).get(reverse("data:export_customers"), params)
    assert response.status_code == 400


def test_unknown_order_filters_are_a_400(users: dict[str, Any]) -> None:
    client = client_for(users["admin"])
    for params in ({"status": "lost"}, {"from": "yesterday"}, {"customer": "x"}, {"q": "a"}):
        assert client.get(reverse("data:export_orders"), params).status_code == 400


@pytest.mark.parametrize("role", ["sales", "service"])
def test_roles_without_export_get_403(
    users: dict[str, Any], make_customer: Callable[..., Any], role: str
) -> None:
    make_customer()
    client = client_for(users[role])
    for name in ("data:export_customers", "data:export_orders"):
        for fmt in ("csv", "xlsx"):
            assert client.get(reverse(name), {"format": fmt}).status_code == 403


def test_anonymous_export_goes_to_login() -> None:
    response = Client().get(reverse("data:export_customers"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["admin", "manager", "marketing"])
def test_roles_with_export_get_the_file(users: dict[str, Any], role: str) -> None:
    response = client_for(users[role]).get(reverse("data:export_customers"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Cache-Control"] == "no-store"


# --- round trips ------------------------------------------------------------------------------


def _import(
    user: Any, content: bytes, filename: str, kind: str, language: str = "en", **options: Any
) -> ImportJob:
    job = import_job_create(
        actor=user,
        kind=kind,
        upload=io.BytesIO(content),
        filename=filename,
        size=len(content),
        language=language,
        **options,
    )
    import_job_start(actor=user, job=job, dry_run=False, enqueue=lambda _id: None)
    result = import_run(job_id=job.pk)
    assert result is not None
    return result


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_exported_customer_list_imports_back_unchanged(
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    settings: Any,
    tmp_path: Path,
    fmt: str,
    language: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    make_customer(
        first_name="علی",
        mobile="09121110001",
        national_id="0012345679",
        province="fars",
        city="شیراز",
        birth_date="1370/01/01",
        tags=["VIP", "عمده"],
        lifecycle_stage="customer",
        external_id="=X1",
        email="ali@example.com",
    )
    make_customer(
        kind="company", company_name="شرکت نمونه", mobile="09121110002", first_name="", last_name=""
    )
    response = client_for(users["admin"], language).get(
        reverse("data:export_customers"), {"format": fmt, "calendar": "jalali"}
    )
    content = b"".join(response.streaming_content)
    with translation.override(language):
        job = _import(users["admin"], content, f"export.{fmt}", "customers", language)
    assert (job.total_rows, job.unchanged_count, job.rejected_count) == (2, 2, 0), list(
        job.row_errors.values_list("column", "message")
    )


def test_an_exported_order_list_imports_back_unchanged(
    users: dict[str, Any], make_customer: Callable[..., Any], settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    _order(users, make_customer)
    with translation.override("en"):
        response = client_for(users["admin"]).get(reverse("data:export_orders"), {"unit": "rial"})
        content = b"".join(response.streaming_content)
        job = _import(users["admin"], content, "orders.csv", "orders", unit="rial")
    assert (job.total_rows, job.unchanged_count) == (2, 2), list(
        job.row_errors.values_list("column", "message")
    )
    assert Order.objects.count() == 1
