"""Comments customers left elsewhere (a review site, a call-centre export), from a file.

Two synchronous steps. :func:`upload_keep` checks an uploaded CSV, TSV or XLSX file, keeps it
under ``DATA_DIR`` (named by the uploader and the file's SHA-256, never by the user's file name)
and returns its columns in a signed token. :func:`comments_file_import` reads it again with the
columns the person chose, stores every valid row in one transaction, reports every other one by
row number, and deletes the file. The import first claims the file by renaming it, so a form
sent twice imports once: the second request finds no file. Reading and decoding (UTF-8 with or
without BOM, UTF-16, Windows-1256; comma, tab or semicolon) is
:func:`mehvar.text.files.read_table`, which also stops at the row and column limits.

A row's reference column is stored as ``<source>:<reference>`` (the source is a short name the
person gives, «دیجی‌کالا», "Instagram", by default the file's name), so review 17 of one site is
not taken for review 17 of another. A row without a reference of its own is named
``<SHA-256 prefix>:<row>``, so importing the same file again stores nothing new. Control
characters (NUL and the rest of C0 but tab and line breaks; PostgreSQL refuses NUL) in the
text, customer and reference cells become spaces and are counted in the report. Customers are
matched by mobile (any digits, any format), national code, external id or mehvar's own number;
a row whose customer is not found is stored anonymous and counted.
"""

from __future__ import annotations

import hashlib
import re
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Final, Literal

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from mehvar.core.errors import PermissionDenied, ValidationFailed
from mehvar.core.jalali import TEHRAN, InvalidDate, parse_date
from mehvar.core.models import User
from mehvar.core.persian import to_latin_digits, whole_number
from mehvar.core.phones import InvalidPhone, normalize_mobile
from mehvar.core.roles import Perm, has_perm
from mehvar.customers.fields import FieldError
from mehvar.customers.imports.base import clean_any_national_id
from mehvar.customers.models import Customer
from mehvar.feedback import voice
from mehvar.feedback.voice import ImportedComment
from mehvar.text.errors import TextInputError
from mehvar.text.files import (
    EMPTY_FILE,
    TOO_LARGE_UNPACKED,
    TOO_MANY_COLUMNS,
    TOO_MANY_ROWS,
    Table,
    read_table,
)

MAX_ROWS: Final = 20_000
MAX_TEXT: Final = 5_000
MAX_COLUMNS: Final = 200
MAX_BYTES: Final = 20 * 1024 * 1024
EXTENSIONS: Final = (".csv", ".tsv", ".txt", ".xlsx")
KEEP_SECONDS: Final = 24 * 3600  # an upload whose columns were never chosen is removed after
SAMPLE_ROWS: Final = 3
REFERENCE_LENGTH: Final = 64  # Comment.ref_id
_CHUNK: Final = 500  # rows per store: the duplicate check is one ``IN`` query per chunk
_SALT: Final = "mehvar.feedback.comment-import"
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_ZIP_MAGIC: Final = b"PK\x03\x04"
SOURCE_LENGTH: Final = 40  # a source's name, as the column step asks for it
# C0 control characters but tab, line feed and carriage return; and DEL. PostgreSQL refuses NUL.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Legacy (Windows-1256, Arabic keyboard) files spell ی and ک with the Arabic letters.
_ARABIC_LETTERS: Final = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})

MatchBy = Literal["auto", "mobile", "national_id", "external_id", "id"]
MATCH_BY: Final[tuple[MatchBy, ...]] = ("auto", "mobile", "national_id", "external_id", "id")


# --- the upload ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """A kept file, as the column step needs it; ``token`` names it in the next request."""

    token: str
    name: str
    columns: list[str]
    samples: list[list[str]]
    rows: int


@dataclass(frozen=True, slots=True)
class _Kept:
    path: Path
    sha256: str
    name: str
    columns: list[str]
    rows: int


def may_import_comments(user: User) -> bool:
    return has_perm(user, Perm.CUSTOMER_IMPORT)


def _require(actor: User) -> None:
    if not may_import_comments(actor):
        raise PermissionDenied(_("Your role may not import this."))


def _folder() -> Path:
    return Path(settings.DATA_DIR) / "uploads" / "comments"


def _size_limit() -> int:
    return min(MAX_BYTES, int(settings.MEHVAR_IMPORT_MAX_BYTES))


def _file_error(message: str) -> ValidationFailed:
    return ValidationFailed({"file": message})


def _sweep(folder: Path) -> None:
    """Remove uploads left behind (the person never chose the columns)."""
    cutoff = time.time() - KEEP_SECONDS
    for path in folder.glob("*-*.*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:  # removed by a concurrent sweep
            continue


def _head(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(len(_ZIP_MAGIC))


def _read(path: Path) -> Table:
    """The table in a kept file, or ``ValidationFailed`` saying why it cannot be read."""
    if path.suffix == ".xlsx" and _head(path) != _ZIP_MAGIC:
        raise _file_error(_("This is not an Excel (.xlsx) file."))
    try:
        # The limits are checked while reading: a file past them is not read to its end.
        return read_table(path, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    except TextInputError as exc:
        # The library's message names our stored path; say it in the reader's words instead.
        raise _file_error(_reading_error(exc)) from exc
    except (zipfile.BadZipFile, InvalidFileException, EOFError, TypeError) as exc:  # damaged
        raise _file_error(_("This file cannot be read as CSV, TSV or Excel (.xlsx).")) from exc


def _reading_error(exc: TextInputError) -> str:
    if exc.template == EMPTY_FILE:
        return _("The file is empty: no header row was found.")
    if exc.template == TOO_MANY_COLUMNS:
        return _("The file has more than %(n)d columns.") % {"n": MAX_COLUMNS}
    if exc.template == TOO_MANY_ROWS:
        rows = exc.params.get("rows")
        if isinstance(rows, int):  # a CSV is counted to its end; an Excel sheet is not
            return _("The file has %(rows)d rows; import at most %(max)d at a time. Split it.") % {
                "rows": rows,
                "max": MAX_ROWS,
            }
        return _(
            "The file has more than %(max)d rows; import at most %(max)d at a time. Split it."
        ) % {"max": MAX_ROWS}
    if exc.template == TOO_LARGE_UNPACKED:
        return _("This Excel file unpacks to more than %(mb)d MB. Save it as CSV, or split it.") % {
            "mb": exc.params["mb"]
        }
    return _("This file cannot be read as CSV, TSV or Excel (.xlsx).")


def upload_keep(*, actor: User, upload: IO[bytes], filename: str, size: int) -> Upload:
    """Check an uploaded file and keep it for the column step; nothing is imported yet.

    Raises ``PermissionDenied``, or ``ValidationFailed`` with ``{"file": reason}``.
    """
    _require(actor)
    limit = _size_limit()
    if size > limit:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    extension = PurePath(filename).suffix.lower()
    if extension == ".xls":
        raise _file_error(_("This is the old Excel format (.xls). Save it as .xlsx or CSV."))
    if extension not in EXTENSIONS:
        raise _file_error(_("Only CSV, TSV and Excel (.xlsx) files can be imported."))
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise _file_error(_("The file is larger than %(mb)d MB.") % {"mb": limit // (1024 * 1024)})
    sha256 = hashlib.sha256(data).hexdigest()
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    _sweep(folder)
    # The uploader's id in the name: a token can only ever point at its own person's file.
    path = folder / f"{actor.pk}-{sha256}{extension}"
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    partial.replace(path)
    try:
        table = _read(path)
    except ValidationFailed:
        path.unlink(missing_ok=True)
        raise
    name = PurePath(filename).name[-200:]
    token = signing.dumps(
        {
            "u": actor.pk,
            "s": sha256,
            "e": extension,
            "n": name,
            "c": [column[:100] for column in table.columns],
            "r": len(table.rows),
        },
        salt=_SALT,
        compress=True,
    )
    samples = [[cell[:80] for cell in row] for row in table.rows[:SAMPLE_ROWS]]
    return Upload(token, name, table.columns, samples, len(table.rows))


def _kept(actor: User, token: str) -> _Kept:
    gone = _file_error(_("This upload is no longer here; upload the file again."))
    try:
        data = signing.loads(token, salt=_SALT, max_age=KEEP_SECONDS)
    except signing.BadSignature as exc:
        raise gone from exc
    if not isinstance(data, dict) or data.get("u") != actor.pk:
        raise gone
    sha256, extension = str(data.get("s", "")), str(data.get("e", ""))
    if extension not in EXTENSIONS or len(sha256) != 64:
        raise gone
    path = _folder() / f"{actor.pk}-{sha256}{extension}"
    if not path.is_file():
        raise gone
    columns = [str(column) for column in data.get("c") or []]
    return _Kept(path, sha256, str(data.get("n", "")), columns, int(data.get("r") or 0))


def upload_get(*, actor: User, token: str) -> Upload:
    """A kept upload again, for its column step (its headers travel in the token)."""
    _require(actor)
    kept = _kept(actor, token)
    return Upload(token, kept.name, kept.columns, [], kept.rows)


# --- reading the rows ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Columns:
    """The chosen columns, as 0-based indexes into the file's header; None when not chosen."""

    text: int
    customer: int | None = None
    match_by: MatchBy = "auto"
    date: int | None = None
    reference: int | None = None
    source: str = ""  # names the reference's namespace; blank: the file's name


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int  # as a spreadsheet numbers it: the header is row 1
    message: str


@dataclass(frozen=True, slots=True)
class _Row:
    row: int
    text: str
    customer: str  # the cell, as written
    occurred_at: datetime
    reference: str
    cleaned: int = 0  # cells whose control characters became spaces


def _clean(cell: str) -> tuple[str, bool]:
    """The cell with its control characters as spaces, and whether it had any."""
    cleaned = _CONTROL.sub(" ", cell)
    return cleaned, cleaned != cell


def source_name(value: str, *, file_name: str = "") -> str:
    """A source's name as stored in front of its references: one line, at most 40 characters;
    blank: the file's name without its extension."""
    name = " ".join(_CONTROL.sub(" ", value).split())[:SOURCE_LENGTH]
    if not name:
        name = " ".join(_CONTROL.sub(" ", PurePath(file_name).stem).split())[:SOURCE_LENGTH]
    return name or "file"


def _text(cell: str) -> str:
    text = cell.strip().translate(_ARABIC_LETTERS)
    if text[:1] == "'" and text[1:2] in _FORMULA_START:
        # A cell guarded against formula injection (as our own exports write it).
        text = text[1:]
    return text


def _reference(cell: str, *, sha256: str, row: int, source: str = "") -> str:
    reference = cell.strip()
    if not reference:
        # The file's own digest: the same file is the same rows, whatever source it is given.
        return f"{sha256[:16]}:{row}"
    if source:
        reference = f"{source}:{reference}"
    if len(reference) > REFERENCE_LENGTH:
        # A long reference (a review's address) is kept as its digest, which is exactly as
        # unique; cutting it short could make two reviews one.
        return hashlib.sha256(reference.encode()).hexdigest()
    return reference


def _occurred_at(cell: str, now: datetime) -> datetime:
    if not cell.strip():
        return now
    day = parse_date(cell, calendar="auto")
    return datetime(day.year, day.month, day.day, tzinfo=TEHRAN)


def read_rows(
    table: Table, columns: Columns, *, sha256: str, now: datetime
) -> tuple[list[_Row], list[RowProblem]]:
    """The usable rows and, by row number, what is wrong with the others (pure).

    A reference is stored as ``<columns.source>:<cell>`` (``columns.source`` as given: see
    :func:`source_name`).
    """
    width = len(table.columns)
    for index in (columns.text, columns.customer, columns.date, columns.reference):
        if index is not None and not 0 <= index < width:
            raise ValidationFailed({"columns": _("The columns do not match the file.")})
    rows: list[_Row] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for position, cells in enumerate(table.rows):
        number = position + 2
        wrong: list[str] = []
        text_cell, text_cleaned = _clean(cells[columns.text])
        text = _text(text_cell)
        if not text:
            wrong.append(_("The text is empty."))
        elif len(text) > MAX_TEXT:
            wrong.append(
                _("The text is longer than %(max)d characters (%(length)d).")
                % {"max": MAX_TEXT, "length": len(text)}
            )
        occurred_at = now
        if columns.date is not None:
            cell = cells[columns.date]
            try:
                occurred_at = _occurred_at(cell, now)
            except InvalidDate:
                wrong.append(
                    _("“%(value)s” is not a date; write it like 1403/01/05 or 2024-03-24.")
                    % {"value": cell.strip()[:40]}
                )
        raw, raw_cleaned = _clean(cells[columns.reference] if columns.reference is not None else "")
        reference = _reference(raw, sha256=sha256, row=number, source=columns.source)
        if reference in seen:
            wrong.append(
                _("The reference “%(value)s” is already in row %(row)d.")
                % {"value": raw.strip()[:40], "row": seen[reference]}
            )
        else:
            seen[reference] = number
        if wrong:
            problems.extend(RowProblem(number, message) for message in wrong)
            continue
        customer_cell, customer_cleaned = _clean(
            cells[columns.customer] if columns.customer is not None else ""
        )
        cleaned = sum((text_cleaned, raw_cleaned, customer_cleaned))
        rows.append(_Row(number, text, customer_cell.strip(), occurred_at, reference, cleaned))
    return rows, problems


# --- matching customers -------------------------------------------------------------------------


def _keys(value: str, match_by: MatchBy) -> list[tuple[str, str]]:
    """The (field, normalised value) pairs a cell may name a customer by, in order of trust."""
    keys: list[tuple[str, str]] = []
    if match_by in ("auto", "mobile"):
        with suppress(InvalidPhone):
            keys.append(("mobile", normalize_mobile(value)))
    if match_by in ("auto", "national_id"):
        try:
            national_id = clean_any_national_id(value)
        except FieldError:
            national_id = None
        if national_id:
            keys.append(("national_id", national_id))
    if match_by in ("auto", "external_id"):
        external = to_latin_digits(value).strip()
        if external and len(external) <= REFERENCE_LENGTH:
            keys.append(("external_id", external))
    if match_by == "id":
        number = whole_number(value.strip().lstrip("#"))
        if number is not None:
            keys.append(("pk", str(number)))
    return keys


def match_customers(values: Iterable[str], match_by: MatchBy) -> dict[str, Customer]:
    """The customer each cell names (one query per kind of key); merged records lead to the
    record they were merged into."""
    wanted: dict[str, set[str]] = {}
    keys_of = {value: _keys(value, match_by) for value in set(values) if value}
    for pairs in keys_of.values():
        for name, key in pairs:
            wanted.setdefault(name, set()).add(key)
    found: dict[tuple[str, str], Customer] = {}
    for name, keys in wanted.items():
        for chunk in _chunks(sorted(keys), _CHUNK):
            lookup = [int(k) for k in chunk] if name == "pk" else chunk
            for customer in Customer.objects.filter(**{f"{name}__in": lookup}):
                found[(name, str(getattr(customer, name)))] = customer
    matched: dict[str, Customer] = {}
    for value, pairs in keys_of.items():
        hit = next((found[pair] for pair in pairs if pair in found), None)
        if hit is not None:
            matched[value] = _surviving(hit)
    return matched


def _surviving(customer: Customer) -> Customer:
    """The record a merged customer lives on in (merges are rare: a query per hop is fine)."""
    for _hop in range(5):
        if customer.merged_into_id is None:
            break
        survivor = Customer.objects.filter(pk=customer.merged_into_id).first()
        if survivor is None:
            break
        customer = survivor
    return customer


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportReport:
    name: str
    read: int  # data rows in the file
    stored: int  # new comments
    duplicates: int  # valid rows already imported before
    unmatched: int  # valid rows whose customer cell names no customer we know (kept anonymous)
    anonymous: int  # valid rows without a customer cell
    cleaned: int = 0  # cells of the valid rows whose control characters became spaces
    problems: list[RowProblem] = field(default_factory=list)
    sentiments: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        return len({problem.row for problem in self.problems})


def comments_file_import(*, actor: User, token: str, columns: Columns) -> ImportReport:
    """Store the valid rows of a kept upload in one transaction; report every other row.

    Raises ``PermissionDenied``, or ``ValidationFailed`` (``file``: the upload is gone or
    unreadable; ``columns``: the columns do not fit the file).
    """
    _require(actor)
    if columns.match_by not in MATCH_BY:
        raise ValidationFailed({"match_by": _("Choose how customers are found.")})
    kept = _kept(actor, token)
    # Claim the file: of two requests for one upload (a form sent twice) only one can rename
    # it, and the other is told it is gone. The name keeps the extension the reader goes by.
    claimed = kept.path.with_name(f"{kept.path.stem}.claimed{kept.path.suffix}")
    try:
        kept.path.rename(claimed)
    except FileNotFoundError as exc:
        raise _file_error(_("This upload is no longer here; upload the file again.")) from exc
    try:
        report = _import(actor, replace(kept, path=claimed), columns)
    except BaseException:
        # Nothing was stored: give the file back, so the columns can be corrected and sent again.
        with suppress(OSError):
            claimed.rename(kept.path)
        raise
    claimed.unlink(missing_ok=True)
    return report


def _import(actor: User, kept: _Kept, columns: Columns) -> ImportReport:
    table = _read(kept.path)
    columns = replace(columns, source=source_name(columns.source, file_name=kept.name))
    rows, problems = read_rows(table, columns, sha256=kept.sha256, now=timezone.now())
    customers = match_customers((row.customer for row in rows), columns.match_by)
    imported = [
        ImportedComment(
            customer=customers.get(row.customer),
            text=row.text,
            occurred_at=row.occurred_at,
            reference=row.reference,
        )
        for row in rows
    ]
    stored = 0
    sentiments: Counter[str] = Counter()
    with transaction.atomic():
        # In chunks, so the duplicate check stays a bounded ``IN`` query; one transaction, so
        # a failure stores nothing at all.
        for start in range(0, len(imported), _CHUNK):
            for comment in voice.comments_import(
                actor=actor, rows=imported[start : start + _CHUNK]
            ):
                stored += 1
                sentiments[comment.sentiment] += 1
    unmatched = sum(
        1 for row, item in zip(rows, imported, strict=True) if row.customer and not item.customer
    )
    anonymous = sum(1 for row in rows if not row.customer)
    return ImportReport(
        name=kept.name,
        read=len(table.rows),
        stored=stored,
        duplicates=len(rows) - stored,
        unmatched=unmatched,
        anonymous=anonymous,
        cleaned=sum(row.cleaned for row in rows),
        problems=sorted(problems, key=lambda problem: problem.row),
        sentiments=dict(sentiments),
    )
