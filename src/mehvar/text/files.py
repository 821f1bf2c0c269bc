"""Files in and out for ``mehvar text``: read a table, add sentiment, write CSV, evaluate labels.

Tables are read as strings, every row and column kept in order: the output is the input plus two
columns, so people can match it back line by line. CSV and TSV are sniffed (comma, tab,
semicolon; UTF-8 with or without BOM, UTF-16 with BOM, else Windows-1256 as legacy Persian
Excel writes it); ``.xlsx`` is read with openpyxl (first sheet).

A file is never trusted to be as small as it looks: an ``.xlsx`` whose parts unpack to more than
:data:`MAX_UNPACKED_BYTES` is refused before it is opened, a sheet's stated dimensions are
ignored (one cell at XFD1 would otherwise make every row 16,384 cells wide), no row wider than
``max_columns`` (at most :data:`MAX_COLUMNS`) is read, and reading stops at the first row beyond
``max_rows``.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from mehvar.core.persian import to_latin_digits
from mehvar.text.errors import TextInputError, gettext_noop

if TYPE_CHECKING:  # the model (scikit-learn) is imported only when a file is scored
    from mehvar.text.sentiment import Label, SentimentModel

__all__ = [
    "Evaluation",
    "Table",
    "add_sentiment",
    "column_index",
    "evaluate",
    "read_table",
    "write_csv",
]

FILE_NOT_FOUND = gettext_noop("File not found: %(path)s")
EMPTY_FILE = gettext_noop("The file %(path)s has no header row.")
UNREADABLE = gettext_noop("Cannot read %(path)s as CSV, TSV or XLSX: %(reason)s")
MISSING_COLUMN = gettext_noop("No column %(column)r. Columns in the file: %(available)s")
UNKNOWN_LABELS = gettext_noop(
    "Unknown labels in column %(column)r: %(values)s. Use positive/negative/neutral (or pos/neg/"
    "neu, happy/sad, مثبت/منفی/خنثی), star ratings 1–5, or 0/1 with --positive-label."
)
POSITIVE_LABEL_NOT_FOUND = gettext_noop(
    "--positive-label %(label)r is not one of the labels in the file: %(values)s"
)
NOTHING_TO_EVALUATE = gettext_noop("No row has both a text and a label to evaluate.")
TOO_MANY_ROWS = gettext_noop("%(path)s has more than %(max)d rows.")
TOO_MANY_COLUMNS = gettext_noop("%(path)s has more than %(max)d columns.")
TOO_LARGE_UNPACKED = gettext_noop(
    "%(path)s unpacks to more than %(mb)d MB; split it or save it as CSV."
)

ADDED_COLUMNS: Final = ("sentiment", "score")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
_NUMBER: Final = re.compile(r"^[+-]?\d+([.,]\d+)?$")
MAX_COLUMNS: Final = 1_000  # no table is read wider than this, whatever the caller allows
MAX_UNPACKED_BYTES: Final = 200 * 1024 * 1024  # an .xlsx's parts, unpacked (a zip bomb's size)
_EXCEL_ROWS: Final = 1_048_576  # the most rows a sheet can have (blank ones included)


class Writable(Protocol):
    """Anything text can be written to: an open file, ``sys.stdout``, a command's stdout."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True, slots=True)
class Table:
    columns: list[str]
    rows: list[list[str]]  # each as long as ``columns``


# --- reading ----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Persian Excel on Windows saves "CSV" in the ANSI code page, which is Windows-1256.
        return data.decode("cp1256", errors="replace")


def _delimiter(text: str, suffix: str) -> str:
    if suffix in {".tsv", ".tab"}:
        return "\t"
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",\t;", key=first.count)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_unpacked(path: Path) -> None:
    """Refuse an .xlsx whose parts unpack to more than :data:`MAX_UNPACKED_BYTES`.

    The sizes are the zip's own; a part cannot unpack to more than it declares (Python's
    ``zipfile`` stops there), so this bounds what openpyxl can be made to read.
    """
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED_BYTES:
        raise TextInputError(
            TOO_LARGE_UNPACKED, path=str(path), mb=MAX_UNPACKED_BYTES // (1024 * 1024)
        )


def _sparse_row(
    row: list[dict[str, Any]],
    min_col: int = 1,
    max_col: int | None = None,
    values_only: bool = False,
) -> list[tuple[int, object]]:
    """A parsed row as its (column, value) pairs with a value, as written in the file."""
    return [(cell["column"], cell["value"]) for cell in row if cell["value"] is not None]


def _xlsx_rows(path: Path, width: int) -> Generator[list[str]]:
    """The first sheet's rows, as many cells as the row's last value; ``[]`` for a blank row.

    The sheet's stated dimensions are ignored and rows are not padded: read-only openpyxl pads
    every row to the widest one and yields a row for every number up to the last, so three cells
    at A1, XFD1 and A20001 would be 327 million. Here the work is the cells the file holds: the
    worksheet's row builder is replaced by one that keeps the (column, value) pairs as parsed
    (openpyxl 3.1's ``ReadOnlyWorksheet._get_row``; the tests fail loudly if that changes). A
    value beyond ``width`` columns refuses the file.
    """
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()  # no padding to the stated size: gaps become empty rows
        sheet.__dict__["_get_row"] = _sparse_row
        for number, pairs in enumerate(sheet.iter_rows(values_only=True), 1):
            if number > _EXCEL_ROWS:
                raise TextInputError(TOO_MANY_ROWS, path=str(path), max=_EXCEL_ROWS, rows=None)
            if not pairs:
                yield []
                continue
            last = max(column for column, _value in pairs)
            if last > width:
                raise TextInputError(TOO_MANY_COLUMNS, path=str(path), max=width)
            cells = [""] * last
            for column, value in pairs:
                cells[column - 1] = _cell(value)
            yield cells
    finally:
        book.close()


def _records(
    rows: Iterable[list[str]], path: Path, *, max_rows: int | None, width: int, counted: bool
) -> list[list[str]]:
    """The non-blank rows, header first; refuse a row wider than ``width`` or more data rows
    than ``max_rows``. ``counted``: go on counting past ``max_rows`` (cheap for CSV) so the
    error can say how many rows there are; else stop at the first one too many."""
    records: list[list[str]] = []
    seen = 0
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > width:
            raise TextInputError(TOO_MANY_COLUMNS, path=str(path), max=width)
        seen += 1
        if max_rows is None or seen <= max_rows + 1:  # the header and max_rows data rows
            records.append(row)
        elif not counted:
            raise TextInputError(TOO_MANY_ROWS, path=str(path), max=max_rows, rows=None)
    if max_rows is not None and seen > max_rows + 1:
        raise TextInputError(TOO_MANY_ROWS, path=str(path), max=max_rows, rows=seen - 1)
    return records


def read_table(path: Path, *, max_rows: int | None = None, max_columns: int | None = None) -> Table:
    """Read a CSV, TSV or XLSX file with a header row; every cell is a string.

    ``max_rows`` bounds the data rows (blank rows not counted; ``None``: any number) and
    ``max_columns`` the columns (at most :data:`MAX_COLUMNS` in any case). Beyond them the file
    is refused with ``TextInputError`` (``TOO_MANY_ROWS``, whose ``rows`` parameter is the
    count when it is known, or ``TOO_MANY_COLUMNS``); so is an ``.xlsx`` that unpacks to more
    than :data:`MAX_UNPACKED_BYTES` (``TOO_LARGE_UNPACKED``).
    """
    if not path.exists():
        raise TextInputError(FILE_NOT_FOUND, path=str(path))
    width = MAX_COLUMNS if max_columns is None else min(max_columns, MAX_COLUMNS)
    suffix = path.suffix.lower()
    try:
        if suffix in {".xlsx", ".xlsm"}:
            _check_unpacked(path)
            with closing(_xlsx_rows(path, width)) as sheet:  # closes the book when refused
                records = _records(sheet, path, max_rows=max_rows, width=width, counted=False)
        else:
            text = _decode(path.read_bytes())
            rows: Iterable[list[str]] = csv.reader(
                io.StringIO(text, newline=""), delimiter=_delimiter(text, suffix)
            )
            records = _records(rows, path, max_rows=max_rows, width=width, counted=True)
    except TextInputError:
        raise
    except (OSError, csv.Error, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise TextInputError(UNREADABLE, path=str(path), reason=str(error)) from error
    if not records:
        raise TextInputError(EMPTY_FILE, path=str(path))
    columns = [cell.strip() for cell in records[0]]
    width = max(len(columns), *(len(row) for row in records))
    columns += [f"column_{i + 1}" for i in range(len(columns), width)]
    rows = [row + [""] * (width - len(row)) for row in records[1:]]
    return Table(columns, rows)


def column_index(table: Table, column: str) -> int:
    """The index of ``column`` by name (exact, then case-insensitive) or 1-based position."""
    if column in table.columns:
        return table.columns.index(column)
    lowered = [name.casefold() for name in table.columns]
    if column.casefold() in lowered:
        return lowered.index(column.casefold())
    position = to_latin_digits(column.strip())
    if position.isdigit() and 1 <= int(position) <= len(table.columns):
        return int(position) - 1
    available = ", ".join(repr(name) for name in table.columns)
    raise TextInputError(MISSING_COLUMN, column=column, available=available)


# --- sentiment --------------------------------------------------------------------------------


def add_sentiment(table: Table, text_column: str, *, model: SentimentModel | None = None) -> Table:
    """The table with ``sentiment`` and ``score`` appended to every row, in the same order."""
    index = column_index(table, text_column)
    from mehvar.text.sentiment import load_model

    results = (model or load_model()).predict([row[index] for row in table.rows])
    rows = [
        [*row, result.label, f"{result.score:.3f}"]
        for row, result in zip(table.rows, results, strict=True)
    ]
    return Table([*table.columns, *ADDED_COLUMNS], rows)


def _safe(cell: str) -> str:
    """Neutralise a cell a spreadsheet would run as a formula («=HYPERLINK(…)»)."""
    if cell.startswith(_FORMULA_START) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def write_csv(table: Table, out: Path | Writable) -> None:
    """Write CSV; to a file as UTF-8 with BOM (so Excel shows Persian), every cell guarded.

    Every column is guarded, the input's own ``score`` or ``sentiment`` as much as any: the ones
    :func:`add_sentiment` appends pass through unchanged anyway (a label, or a number such as
    ``-0.500``, which the guard leaves alone).
    """

    def cells(row: Sequence[str]) -> list[str]:
        return [_safe(cell) for cell in row]

    def dump(stream: Writable, end: str) -> None:
        writer = csv.writer(stream, lineterminator=end)
        writer.writerow(cells(table.columns))
        writer.writerows(cells(row) for row in table.rows)

    if isinstance(out, Path):
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8-sig", newline="") as stream:
            dump(stream, "\r\n")  # what Excel writes and expects
    else:
        dump(out, "\n")


# --- evaluation -------------------------------------------------------------------------------

_SPELLINGS: Final[dict[str, Label]] = {
    **dict.fromkeys(
        ["positive", "pos", "p", "+", "happy", "good", "very positive", "very_positive",
         "recommended", "مثبت", "خوب", "خوشحال", "راضی"],
        "positive",
    ),
    **dict.fromkeys(
        ["negative", "neg", "n", "-", "sad", "bad", "very negative", "very_negative",
         "not_recommended", "not recommended", "منفی", "بد", "ناراضی"],
        "negative",
    ),
    **dict.fromkeys(
        ["neutral", "neu", "none", "no_idea", "mixed", "خنثی", "بی‌طرف", "بیطرف", "بی طرف"],
        "neutral",
    ),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    n: int  # rows scored
    skipped: int  # rows without text or label
    binary: bool  # gold had no neutral: scored positive vs negative at p >= 0.5
    mapping: str  # how the gold labels were read, in English, for the report
    accuracy: float
    macro_f1: float
    classes: list[ClassScores]
    confusion: list[list[int]]  # rows: gold, columns: predicted, in ``labels`` order
    labels: list[str]


def _normal(value: str) -> str:
    return to_latin_digits(value.strip()).casefold()


def _numeric(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def map_labels(
    values: Sequence[str], *, column: str, positive_label: str | None = None
) -> tuple[list[Label | None], str]:
    """Gold labels as positive/neutral/negative (``None`` for a blank), and how they were read.

    - ``positive_label`` with exactly two distinct values: that one positive, the other negative.
    - Only 0 and 1: 1 is positive (the common convention; ``--positive-label 0`` turns it).
    - Only 0, 1 and 2: negative, neutral, positive (the usual three-class coding).
    - Only -2 … 2 with a negative value (e.g. -1, 0, 1): the sign.
    - Numbers within 1–5 (any beyond 0/1): star ratings, 1–2 negative, 3 neutral, 4–5 positive.
    - Otherwise the spellings positive/pos/happy/مثبت …, neutral/neu/خنثی …, negative/neg/sad/منفی.
    """
    normal = [_normal(value) for value in values]
    distinct = sorted({value for value in normal if value})
    if positive_label is not None:
        wanted = _normal(positive_label)
        if wanted not in distinct or len(distinct) > 2:
            shown = ", ".join(repr(v) for v in distinct)
            raise TextInputError(POSITIVE_LABEL_NOT_FOUND, label=positive_label, values=shown)
        other = next((value for value in distinct if value != wanted), "")
        mapped: list[Label | None] = [
            None if not v else "positive" if v == wanted else "negative" for v in normal
        ]
        return mapped, f"{positive_label!r} = positive, {other!r} = negative"
    numbers = [_numeric(value) for value in distinct]
    if distinct and all(number is not None for number in numbers):
        found = {number for number in numbers if number is not None}
        if found <= {0.0, 1.0}:
            mapped = [
                None if not v else "positive" if float(v) == 1 else "negative" for v in normal
            ]
            return mapped, "1 = positive, 0 = negative"
        if found <= {0.0, 1.0, 2.0}:
            three: dict[float, Label] = {0: "negative", 1: "neutral", 2: "positive"}
            mapped = [None if not v else three[float(v)] for v in normal]
            return mapped, "0 = negative, 1 = neutral, 2 = positive"
        if found <= {-2.0, -1.0, 0.0, 1.0, 2.0} and min(found) < 0:
            # -1/0/1, or SentiPers-style -2..2 (very negative … very positive): the sign.
            mapped = [
                None if not v else "negative" if float(v) < 0 else "positive" if float(v) > 0
                else "neutral"
                for v in normal
            ]  # fmt: skip
            return mapped, "the sign: below 0 = negative, 0 = neutral, above 0 = positive"
        if found <= {1.0, 2.0, 3.0, 4.0, 5.0}:
            stars: dict[float, Label] = {1: "negative", 2: "negative", 3: "neutral"}
            mapped = [None if not v else stars.get(float(v), "positive") for v in normal]
            return mapped, "star ratings: 1-2 = negative, 3 = neutral, 4-5 = positive"
    unknown = [value for value in distinct if value not in _SPELLINGS]
    if unknown:
        shown = ", ".join(repr(value) for value in unknown[:10])
        raise TextInputError(UNKNOWN_LABELS, column=column, values=shown)
    return [_SPELLINGS[v] if v else None for v in normal], "label names (positive/neutral/negative)"


def _scores(gold: list[str], predicted: list[str], labels: list[str]) -> Evaluation:
    index = {label: i for i, label in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        confusion[index[g]][index[p]] += 1
    classes = []
    for i, label in enumerate(labels):
        true_positive = confusion[i][i]
        predicted_count = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        classes.append(ClassScores(label, precision, recall, f1, support))
    correct = sum(confusion[i][i] for i in range(len(labels)))
    # Macro-F1 over the classes present in the gold labels (as scikit-learn does for them).
    present = [c for c in classes if c.support]
    return Evaluation(
        n=len(gold),
        skipped=0,
        binary=False,
        mapping="",
        accuracy=correct / len(gold),
        macro_f1=sum(c.f1 for c in present) / len(present),
        classes=classes,
        confusion=confusion,
        labels=labels,
    )


def evaluate(
    table: Table,
    text_column: str,
    label_column: str,
    *,
    positive_label: str | None = None,
    model: SentimentModel | None = None,
) -> Evaluation:
    """Accuracy, macro-F1, per-class scores and confusion matrix against a labelled table.

    Without neutral gold labels the decision is binary (p(positive) ≥ 0.5, no neutral band), so
    a model is not punished for a neutral answer the labels cannot express; with them, the
    three-way labels (band included) are scored.
    """
    text_index = column_index(table, text_column)
    label_index = column_index(table, label_column)
    gold_all, mapping = map_labels(
        [row[label_index] for row in table.rows],
        column=table.columns[label_index],
        positive_label=positive_label,
    )
    kept = [
        (row[text_index], gold)
        for row, gold in zip(table.rows, gold_all, strict=True)
        if gold is not None and row[text_index].strip()
    ]
    if not kept:
        raise TextInputError(NOTHING_TO_EVALUATE)
    texts = [text for text, _ in kept]
    gold = [label for _, label in kept]
    binary = "neutral" not in gold
    from mehvar.text.sentiment import load_model

    model = model or load_model()
    labels = ["positive", "negative"] if binary else ["positive", "neutral", "negative"]
    if binary:
        probabilities = model.positive_probability(texts)
        predicted = ["positive" if p >= 0.5 else "negative" for p in probabilities]
    else:
        predicted = [result.label for result in model.predict(texts)]
    result = _scores(list(gold), predicted, labels)
    return Evaluation(
        n=result.n,
        skipped=len(table.rows) - len(kept),
        binary=binary,
        mapping=mapping,
        accuracy=result.accuracy,
        macro_f1=result.macro_f1,
        classes=result.classes,
        confusion=result.confusion,
        labels=labels,
    )
