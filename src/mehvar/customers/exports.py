"""Exports of customer and order lists to CSV and Excel, and of an import's error report.

- Safe against spreadsheet formula injection (SECURITY.md #6; SuiteCRM CVE-2021-25960): a text
  cell that starts with ``= + - @``, a tab or a carriage return gets a leading apostrophe, so
  Excel and LibreOffice show it as text instead of running it. A mobile stored as
  "+98912…" therefore reads "'+98912…"; that is the accepted price of the rule.
- CSV is UTF-8 with a byte-order mark, which is what makes Excel read Persian correctly, and is
  streamed row by row. XLSX is written by openpyxl's write-only mode to a temporary file, so
  neither format holds the whole list in memory.
- Dates are Jalali text ("1403/01/05", Latin digits so they sort and filter) or Gregorian
  (ISO text in CSV, real date cells in Excel). Amounts are numbers, in Toman or Rial.
- Headers are the import's field names in the viewer's language, so an exported file can be
  imported again and its columns are recognised.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.core.jalali import format_jalali
from mehvar.core.labels import is_persian
from mehvar.core.provinces import PROVINCES
from mehvar.customers.imports.columns import target_label
from mehvar.customers.models import (
    AcquisitionSource,
    Customer,
    CustomerKind,
    ImportJob,
    ImportKind,
    LifecycleStage,
    OrderChannel,
    OrderLine,
    OrderStatus,
)

Calendar = Literal["jalali", "gregorian"]
Unit = Literal["toman", "rial"]
Format = Literal["csv", "xlsx"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BATCH = 2000


def safe_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


class DateCell:
    """A date or time to be written as text in CSV and as a native cell in Excel."""

    __slots__ = ("text", "value")

    def __init__(self, value: date | datetime | None, calendar: Calendar) -> None:
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        if value is None:
            self.text = ""
        elif calendar == "jalali":
            self.text = format_jalali(value, with_time=isinstance(value, datetime))
        elif isinstance(value, datetime):
            self.text = value.strftime("%Y-%m-%d %H:%M")
        else:
            self.text = value.isoformat()
        # Excel has no time zones: a time is written as the wall clock in Tehran.
        self.value = value.replace(tzinfo=None) if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Column:
    label: str | Promise
    value: Callable[[Any], Any]


# --- writers ----------------------------------------------------------------------------------


def _csv_value(value: Any) -> Any:
    if isinstance(value, DateCell):
        return value.text
    if value is None:
        return ""
    return safe_cell(value)


def csv_stream(headers: list[str], rows: Iterable[list[Any]]) -> Iterator[bytes]:
    """A UTF-8 CSV with a BOM, yielded in pieces of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    writer.writerow([_csv_value(h) for h in headers])
    for count, row in enumerate(rows, start=1):
        writer.writerow([_csv_value(v) for v in row])
        if count % 500 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_file(headers: list[str], rows: Iterable[list[Any]], *, calendar: Calendar) -> IO[bytes]:
    """An .xlsx in a temporary file (deleted when closed), positioned at its start."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    if translation.get_language_bidi():
        sheet.sheet_view.rightToLeft = True
    sheet.append([safe_cell(h) for h in headers])
    date_format = "yyyy-mm-dd"
    time_format = "yyyy-mm-dd hh:mm"
    for row in rows:
        cells: list[Any] = []
        for value in row:
            if isinstance(value, DateCell):
                if calendar == "gregorian" and value.value is not None:
                    cell = WriteOnlyCell(sheet, value=value.value)
                    cell.number_format = (
                        time_format if isinstance(value.value, datetime) else date_format
                    )
                    cells.append(cell)
                else:
                    cells.append(value.text)
            elif isinstance(value, str):
                # Control characters are not allowed in XML; they carry nothing a reader needs.
                cells.append(safe_cell(ILLEGAL_CHARACTERS_RE.sub("", value)))
            else:
                cells.append(value)
        sheet.append(cells)
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes (and so deletes) it
    workbook.save(handle)
    handle.seek(0)
    return handle


# --- customers --------------------------------------------------------------------------------


_persian = is_persian


def _province(code: str) -> str:
    province = next((p for p in PROVINCES if p.code == code), None)
    if province is None:
        return code
    return province.name_fa if _persian() else province.name_en


def _label(enum: Any, value: str) -> str:
    return str(enum(value).label) if value else ""


def _tags(customer: Customer) -> str:
    return ", ".join(tag.name for tag in customer.tags.all())


def customer_columns(calendar: Calendar) -> list[Column]:
    def field(name: str) -> str | Promise:
        return target_label(ImportKind.CUSTOMERS, name)

    return [
        Column(_("mehvar ID"), lambda c: c.pk),
        Column(field("external_id"), lambda c: c.external_id or ""),
        Column(field("kind"), lambda c: _label(CustomerKind, c.kind)),
        Column(field("first_name"), lambda c: c.first_name),
        Column(field("last_name"), lambda c: c.last_name),
        Column(field("company_name"), lambda c: c.company_name),
        Column(field("job_title"), lambda c: c.job_title),
        Column(field("mobile"), lambda c: c.mobile or ""),
        Column(field("other_phones"), lambda c: ", ".join(c.other_phones or [])),
        Column(field("email"), lambda c: c.email),
        Column(field("national_id"), lambda c: c.national_id or ""),
        Column(field("birth_date"), lambda c: DateCell(c.birth_date, calendar)),
        Column(field("province"), lambda c: _province(c.province)),
        Column(field("city"), lambda c: c.city),
        Column(field("address"), lambda c: c.address),
        Column(field("postal_code"), lambda c: c.postal_code),
        Column(
            field("acquisition_source"),
            lambda c: _label(AcquisitionSource, c.acquisition_source),
        ),
        Column(field("lifecycle_stage"), lambda c: _label(LifecycleStage, c.lifecycle_stage)),
        Column(field("tags"), _tags),
        Column(_("Owner"), lambda c: str(c.owner) if c.owner_id else ""),
        Column(_("Created"), lambda c: DateCell(c.created_at, calendar)),
    ]


def customer_rows(customers: QuerySet[Customer], columns: list[Column]) -> Iterator[list[Any]]:
    queryset = customers.prefetch_related("tags")
    for customer in queryset.iterator(chunk_size=_BATCH):
        yield [column.value(customer) for column in columns]


# --- orders -----------------------------------------------------------------------------------


def _amount(rials: int, unit: Unit) -> int | Decimal:
    if unit == "rial" or rials % 10 == 0:
        return rials if unit == "rial" else rials // 10
    return Decimal(rials) / 10


def order_columns(calendar: Calendar, unit: Unit) -> list[Column]:
    unit_name = _("Toman") if unit == "toman" else _("Rial")

    def field(name: str) -> str | Promise:
        return target_label(ImportKind.ORDERS, name)

    def money(name: str) -> str:
        return f"{field(name)} ({unit_name})"

    return [
        Column(field("order_number"), lambda line: line.order.number),
        Column(field("placed_at"), lambda line: DateCell(line.order.placed_at, calendar)),
        Column(_("Customer"), lambda line: line.order.customer.display_name),
        Column(field("mobile"), lambda line: line.order.customer.mobile or ""),
        Column(field("national_id"), lambda line: line.order.customer.national_id or ""),
        Column(field("customer_external_id"), lambda line: line.order.customer.external_id or ""),
        Column(field("channel"), lambda line: _label(OrderChannel, line.order.channel)),
        Column(field("status"), lambda line: _label(OrderStatus, line.order.status)),
        Column(field("sku"), lambda line: line.product.sku if line.product_id else ""),
        Column(field("product_name"), lambda line: line.description),
        Column(field("quantity"), lambda line: line.quantity),
        Column(money("unit_price"), lambda line: _amount(line.unit_price, unit)),
        Column(money("amount"), lambda line: _amount(line.line_total, unit)),
        Column(money("discount"), lambda line: _amount(line.order.discount, unit)),
        Column(f"{_('Order total')} ({unit_name})", lambda line: _amount(line.order.total, unit)),
        Column(field("note"), lambda line: line.order.note),
    ]


def order_rows(lines: QuerySet[OrderLine], columns: list[Column]) -> Iterator[list[Any]]:
    queryset = lines.select_related("order", "order__customer", "product")
    for line in queryset.iterator(chunk_size=_BATCH):
        yield [column.value(line) for column in columns]


# --- the import error report --------------------------------------------------------------------


def error_report_rows(job: ImportJob) -> tuple[list[str], Iterator[list[Any]]]:
    headers = [str(_("Row")), str(_("Column")), str(_("Value")), str(_("Reason"))]
    errors = job.row_errors.order_by("row", "id").values_list("row", "column", "value", "message")

    def rows() -> Iterator[list[Any]]:
        for row, column, value, message in errors.iterator(chunk_size=_BATCH):
            yield [row, column, value, message]

    return headers, rows()


# --- choosing a format ------------------------------------------------------------------------


@dataclass
class Export:
    filename: str
    content_type: str
    csv: Iterator[bytes] | None = None
    xlsx: IO[bytes] | None = None


def build_export(
    *,
    name: str,
    columns: list[Column],
    rows: Iterator[list[Any]],
    fmt: Format,
    calendar: Calendar,
) -> Export:
    headers = [str(column.label) for column in columns]
    stamp = timezone.localdate().isoformat()
    if calendar == "jalali":
        stamp = format_jalali(timezone.localdate()).replace("/", "-")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "xlsx":
        return Export(filename, XLSX_CONTENT_TYPE, xlsx=xlsx_file(headers, rows, calendar=calendar))
    return Export(filename, CSV_CONTENT_TYPE, csv=csv_stream(headers, rows))
