"""Read uploaded CSV and XLSX files as a stream of rows, in bounded memory.

CSV comes from Excel (UTF-8 with a BOM, or "Unicode text" in UTF-16), from old Windows tools in
Windows-1256 (Arabic code page, the usual Persian legacy encoding), and with ",", ";", tab or
"|" between cells. XLSX is read with openpyxl in read-only mode, which parses the sheet XML as
it goes instead of building the workbook in memory.

Row numbers are the ones a person sees when the file is opened in Excel: the header is row 1 (or
wherever the first non-empty row is) and fully empty rows are skipped but still counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ALLOWED_EXTENSIONS = (".csv", ".xlsx")
MAX_COLUMNS = 200
_BLOCK = 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|", "،")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the pre-2007 .xls format
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class ImportFileError(Exception):
    """The file cannot be read as a table; ``message`` says why in the user's language."""

    def __init__(self, code: str, message: str | Promise) -> None:
        super().__init__(str(message))
        self.code = code
        self.message = message


def extension_of(filename: str) -> str:
    return PurePath(filename).suffix.lower()


def check_extension(filename: str) -> str:
    extension = extension_of(filename)
    if extension == ".xls":
        raise ImportFileError(
            "old_excel", _("This is the old Excel format (.xls). Save it as .xlsx or CSV.")
        )
    if extension not in ALLOWED_EXTENSIONS:
        raise ImportFileError("extension", _("Only CSV and Excel (.xlsx) files can be imported."))
    return extension


def cell_value(value: Any) -> Any:
    """A cell as the cleaners want it: text stripped, whole floats as ints (a mobile typed into
    a number cell arrives as 9121234567.0), dates kept as dates, empty as None."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().strip("\ufeff")
        if text[:1] == "'" and text[1:2] in _FORMULA_TRIGGERS:
            # Our exports (and careful people) guard such cells against formula injection
            # with an apostrophe; the value is what follows it ("'+98912…" is a mobile).
            text = text[1:]
        return text or None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, int | date | datetime):
        return value
    return str(value)


def cell_text(value: Any) -> str:
    """A cell as it is shown back to the user in the error report."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Sheet:
    """One table: its headers and a way to walk its data rows (as often as needed)."""

    headers: list[str]
    header_row: int
    _rows: Any = field(repr=False)
    # Data rows an XLSX sheet declares (its <dimension>), read without walking the sheet; an
    # estimate (it may count trailing empty rows), None for CSV.
    declared_rows: int | None = None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) for each non-empty data row; cells padded to the header width."""
        width = len(self.headers)
        for number, raw in self._rows():
            if number <= self.header_row:
                continue
            cells = [cell_value(v) for v in raw[:width]]
            if not any(c is not None for c in cells):
                continue
            if len(cells) < width:
                cells.extend([None] * (width - len(cells)))
            yield number, cells


def _headers(raw: list[Any]) -> list[str]:
    headers: list[str] = []
    for index, value in enumerate(raw, start=1):
        text = cell_text(cell_value(value))[:100]
        headers.append(text or str(_("Column %(n)d") % {"n": index}))
    # Trailing unnamed columns (stray formatting in Excel) are not columns anyone meant.
    while headers and not cell_value(raw[len(headers) - 1]):
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise ImportFileError(
            "too_many_columns", _("The file has more than %(n)d columns.") % {"n": MAX_COLUMNS}
        )
    return headers


def _find_header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, list[str]]:
    for number, raw in rows:
        if any(cell_value(v) is not None for v in raw):
            return number, _headers(raw)
    raise ImportFileError("empty", _("The file is empty: no header row was found."))


# --- CSV --------------------------------------------------------------------------------------


def sniff_encoding(stream: IO[bytes]) -> str:
    """utf-8-sig / utf-16 by their BOM, utf-8 if the whole file decodes as such, else cp1256.

    The whole file is decoded once (block by block): a Windows-1256 file is often valid UTF-8
    in its first kilobytes, which are plain ASCII headers or digits.
    """
    stream.seek(0)
    head = stream.read(4)
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    elif head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            "not_csv", _("This is an Excel workbook, not a CSV file. Save it with .xlsx.")
        )
    else:
        encoding = "utf-8"
    stream.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    binary = False
    try:
        while block := stream.read(_BLOCK):
            if b"\x00" in block:
                binary = True
                break
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        if encoding == "utf-8-sig":
            raise ImportFileError(
                "encoding", _("The file says it is UTF-8 but is not; save it again as CSV UTF-8.")
            ) from None
        encoding = "cp1256"
        stream.seek(0)
        while block := stream.read(_BLOCK):
            if b"\x00" in block:
                binary = True
                break
    if binary:
        raise ImportFileError("not_text", _("This is not a CSV file: it contains binary data."))
    stream.seek(0)
    return encoding


def sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(stream: IO[bytes], encoding: str) -> Any:
    def rows() -> Iterator[tuple[int, list[Any]]]:
        stream.seek(0)
        text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        try:
            first = ""
            for _attempt in range(50):  # the header may come after a few blank lines
                first = text.readline()
                if first.strip() or not first:
                    break
            delimiter = sniff_delimiter(first)
            text.seek(0)
            reader = csv.reader(text, delimiter=delimiter)
            # The record number is the row Excel shows for the file (quoted line breaks stay
            # inside their cell, as they do in Excel).
            yield from enumerate(reader, start=1)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ImportFileError(
                "bad_csv", _("The CSV file is damaged: %(error)s") % {"error": str(exc)}
            ) from exc
        finally:
            # Let go of the binary stream without closing it: the caller owns it.
            text.detach()

    return rows


def _open_csv(stream: IO[bytes]) -> Sheet:
    encoding = sniff_encoding(stream)
    rows = _csv_rows(stream, encoding)
    header_row, headers = _find_header(rows())
    return Sheet(headers=headers, header_row=header_row, _rows=rows)


# --- XLSX -------------------------------------------------------------------------------------


def _open_xlsx(stream: IO[bytes]) -> tuple[Sheet, Any]:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    stream.seek(0)
    head = stream.read(4)
    stream.seek(0)
    if head.startswith(_OLE_MAGIC):
        raise ImportFileError(
            "old_excel", _("This is the old Excel format (.xls). Save it as .xlsx or CSV.")
        )
    if not head.startswith(_ZIP_MAGIC):
        raise ImportFileError("not_xlsx", _("This is not an Excel (.xlsx) file."))
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise ImportFileError("not_xlsx", _("This is not an Excel (.xlsx) file.")) from exc
    if not workbook.worksheets:
        workbook.close()
        raise ImportFileError("empty", _("The workbook has no sheet."))
    worksheet = workbook.worksheets[0]
    # The sheet's declared size (<dimension>) is only an estimate for the progress bar: some
    # programs write it wrong ("A1"), and read-only mode would then stop after that row.
    max_row = worksheet.max_row
    worksheet.reset_dimensions()

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            # min_row=1: read-only sheets fill the gaps, so the position is the Excel row.
            for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), 1):
                yield number, list(values)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise ImportFileError("not_xlsx", _("The Excel file is damaged.")) from exc

    try:
        header_row, headers = _find_header(rows())
    except ImportFileError:
        workbook.close()
        raise
    declared = max_row - header_row if isinstance(max_row, int) and max_row > header_row else None
    sheet = Sheet(headers=headers, header_row=header_row, _rows=rows, declared_rows=declared)
    return sheet, workbook


@contextmanager
def open_sheet(stream: IO[bytes], filename: str) -> Iterator[Sheet]:
    """The table in ``stream``; ``filename`` (the user's) decides the expected format."""
    extension = check_extension(filename)
    if extension == ".csv":
        yield _open_csv(stream)
        return
    sheet, workbook = _open_xlsx(stream)
    try:
        yield sheet
    finally:
        workbook.close()
