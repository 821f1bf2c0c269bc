"""Reading transaction files (CSV, Excel, Parquet) into the engine and writing results out.

CSV and Parquet are read by DuckDB itself (parallel, typed by sniffing). A CSV that is not
UTF-8 — Excel on Persian Windows saves Windows-1256 — is transcoded once to a temporary UTF-8
copy, since DuckDB reads only UTF-8 without extensions it would have to download. Excel goes
through openpyxl's streaming reader.
"""

from __future__ import annotations

import csv
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis.backends.duckdb import Backend as DuckDBBackend

from mehvar.analytics.errors import InputError, gettext_noop

__all__ = ["read_table", "safe_cell", "write_csv", "write_json"]

_CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_SNIFF_BYTES = 1 << 20


def read_table(source: str | os.PathLike[str] | Any, con: DuckDBBackend) -> ibis.Table:
    """An Ibis table over ``source``: a path, an Ibis table, or an Arrow/pandas/Polars frame."""
    if isinstance(source, ibis.Table):
        return source
    if not isinstance(source, str | os.PathLike):
        return con.create_table(_fresh_name(), source)
    path = Path(source)
    if not path.is_file():
        raise InputError(gettext_noop("File not found: %(path)s"), path=str(path))
    if path.stat().st_size == 0:
        raise InputError(gettext_noop("The file is empty: %(path)s"), path=path.name)
    suffix = path.suffix.lower()
    if suffix in _PARQUET_SUFFIXES:
        try:
            return con.read_parquet(path)
        except Exception as error:  # DuckDB's errors for a broken file are untyped
            raise InputError(
                gettext_noop("Could not read %(path)s as Parquet: %(reason)s"),
                path=path.name,
                reason=str(error).splitlines()[0],
            ) from error
    if suffix in _EXCEL_SUFFIXES:
        return con.create_table(_fresh_name(), _read_excel(path))
    if suffix in _CSV_SUFFIXES:
        return _read_csv(path, con)
    raise InputError(
        gettext_noop("Unsupported file type %(suffix)s: use CSV, Excel (.xlsx) or Parquet."),
        suffix=suffix or "(none)",
    )


_names = iter(range(1, 1 << 62))


def _fresh_name() -> str:
    return f"mehvar_source_{next(_names)}"


def _read_csv(path: Path, con: DuckDBBackend) -> ibis.Table:
    utf8 = _as_utf8(path)
    try:
        if _whitespace_separated(utf8):
            return _read_whitespace(utf8, con)
        return con.read_csv(
            utf8, header=True, sample_size=-1 if path.stat().st_size < 2**24 else 20480
        )
    except Exception as error:  # DuckDB's sniffer errors are many and untyped
        raise InputError(
            gettext_noop("Could not read %(path)s as CSV: %(reason)s"),
            path=path.name,
            reason=str(error).splitlines()[0],
        ) from error


def _whitespace_separated(path: Path) -> bool:
    """Fixed-width style text (CDNOW_sample.txt): no comma, tab, ';' or '|', runs of spaces."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        lines = [line.strip() for _, line in zip(range(20), handle, strict=False) if line.strip()]
    return bool(lines) and all(
        not any(sep in line for sep in ",\t;|") and len(line.split()) > 1 for line in lines
    )


def _read_whitespace(path: Path, con: DuckDBBackend) -> ibis.Table:
    """Split each line on runs of blanks; a first line of numbers means there is no header."""
    with path.open(encoding="utf-8") as handle:
        first = handle.readline().split()
    has_header = not all(_is_number(cell) for cell in first)
    names = first if has_header else [f"column{i + 1}" for i in range(len(first))]
    quoted = str(path).replace("'", "''")
    parts = ", ".join(
        f'parts[{i + 1}] AS "{name.replace(chr(34), "")}"' for i, name in enumerate(names)
    )
    # DuckDB's CSV sniffer has no "any run of blanks" delimiter; splitting in SQL keeps it one
    # parallel pass instead of a Python loop over the lines.
    # The path is quoted above and the names are the file's own with quotes removed.
    sql = (
        f"SELECT {parts} FROM (SELECT regexp_split_to_array(trim(line), '\\s+') AS parts "  # noqa: S608
        f"FROM read_csv('{quoted}', columns={{'line': 'VARCHAR'}}, header=false, delim='\\0', "
        f"quote='', escape='', skip={1 if has_header else 0}) WHERE trim(line) <> '')"
    )
    return con.sql(sql)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _as_utf8(path: Path) -> Path:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    try:
        head.decode("utf-8")
        return path
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the sniffing boundary is still UTF-8.
        if error.start >= len(head) - 3:
            return path
    target = Path(tempfile.mkstemp(prefix="mehvar-", suffix=".csv")[1])
    with (
        path.open(encoding="cp1256", errors="replace") as src,
        target.open("w", encoding="utf-8") as dst,
    ):
        for block in iter(lambda: src.read(_SNIFF_BYTES), ""):
            dst.write(block)
    return target


def _read_excel(path: Path) -> pa.Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise InputError(
            gettext_noop("Could not read %(path)s as an Excel workbook: %(reason)s"),
            path=path.name,
            reason=str(error),
        ) from error
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = next(rows, None)
    if not header:
        raise InputError(
            gettext_noop("The workbook's first sheet is empty: %(path)s"), path=path.name
        )
    names = [
        str(cell).strip() if cell is not None else f"column_{i + 1}"
        for i, cell in enumerate(header)
    ]
    columns: list[list[Any]] = [[] for _ in names]
    for row in rows:
        if row is None or all(cell is None for cell in row):
            continue
        for i in range(len(names)):
            columns[i].append(row[i] if i < len(row) else None)
    book.close()
    return pa.table(
        {name: _arrow_column(values) for name, values in zip(names, columns, strict=True)}
    )


def _arrow_column(values: list[Any]) -> pa.Array:
    """A typed column where the cells agree on a type, text otherwise (the cleaner parses it)."""
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else _cell_text(v) for v in values], type=pa.string())


def _cell_text(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers pass."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        # 10 significant digits: 6552.7, not the binary noise 6552.700000000001.
        return f"{value:.10g}" if math.isfinite(value) else ""
    return value


def write_csv(
    path: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """UTF-8 with a BOM (Excel opens Persian text correctly), formula-safe cells."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)


def write_json(path: str | os.PathLike[str], payload: Mapping[str, Any]) -> None:
    with Path(path).open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=2, default=_json_default)
        handle.write("\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def arrow_rows(table: pa.Table) -> Iterator[tuple[Any, ...]]:
    """Rows of an Arrow table as tuples, column by column converted once (fast enough for CSV)."""
    columns = [column.to_pylist() for column in table.columns]
    return zip(*columns, strict=True)
