"""What the customer and order importers share: the job context, row outcomes, error cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

from django.utils.functional import Promise

from mehvar.core.models import User
from mehvar.core.persian import to_latin_digits
from mehvar.customers.fields import clean_national_id
from mehvar.customers.imports.readers import Sheet, cell_text
from mehvar.customers.imports.state import Action, PreviewRow
from mehvar.customers.models import CustomerKind

SourceRow = tuple[int, list[Any]]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    message: str


@dataclass
class Outcome:
    row: int
    action: Action
    errors: list[RowError] = field(default_factory=list)
    preview: PreviewRow | None = None


@dataclass(frozen=True)
class Context:
    job_id: int
    actor: User
    kind: str
    headers: list[str]
    targets: list[str]
    dry_run: bool
    unit: str = "toman"
    calendar: str = "auto"
    source_label: str = ""

    @cached_property
    def columns(self) -> dict[str, int]:
        return {target: index for index, target in enumerate(self.targets) if target}

    def header(self, target: str) -> str:
        index = self.columns.get(target)
        return self.headers[index] if index is not None else ""


class Processor(Protocol):
    def count(self, sheet: Sheet) -> int | None:
        """Walk the file once before importing (total rows, order sizes); None if skipped."""

    def feed(self, row: SourceRow) -> None: ...

    def pending(self) -> bool:
        """Whether rows are held back (lines of an order not yet complete): no chunk ends then."""

    def take(self) -> list[Any]:
        """The work ready to be flushed, removed from the processor."""

    def flush(self, work: list[Any]) -> list[Outcome]:
        """Process ``work`` inside the chunk's transaction; one outcome per source row."""


class ErrorCollector:
    """Errors of one row, one per column (the report's key), messages of a column joined."""

    def __init__(self, context: Context, row: SourceRow) -> None:
        self.context = context
        self.number, self.cells = row
        self._by_column: dict[str, tuple[str, list[str]]] = {}

    def add(self, target: str | None, message: str | Promise, *, value: Any = None) -> None:
        column = self.context.header(target) if target else ""
        if value is None and target:
            index = self.context.columns.get(target)
            value = self.cells[index] if index is not None else None
        text = str(message)
        if column in self._by_column:
            self._by_column[column][1].append(text)
        else:
            self._by_column[column] = (cell_text(value), [text])

    def add_all(
        self, errors: Mapping[str, str | Promise], *, aliases: Mapping[str, str] | None = None
    ) -> None:
        """Service errors by field name; a field without its own column is reported on the
        column it came from (``aliases``: last_name → full_name) or on the row."""
        columns = self.context.columns
        for name, message in errors.items():
            target: str | None = name
            if name not in columns:
                alias = (aliases or {}).get(name)
                target = alias if alias in columns else None
            self.add(target, message)

    def __bool__(self) -> bool:
        return bool(self._by_column)

    def errors(self) -> list[RowError]:
        return [
            RowError(
                row=self.number,
                column=column[:100],
                value=value[:255],
                message=" ".join(messages)[:500],
            )
            for column, (value, messages) in self._by_column.items()
        ]


def clean_any_national_id(value: Any) -> str | None:
    """A national code (10 digits) or a company's national id (11), told apart by length,
    for files that have no kind column."""
    digits = re.sub(r"\D", "", to_latin_digits(str(value)))
    kind = CustomerKind.COMPANY if len(digits) == 11 else CustomerKind.PERSON
    return clean_national_id(value, kind=kind)


def reject(number: int, errors: Iterable[RowError], preview: PreviewRow | None = None) -> Outcome:
    return Outcome(row=number, action="rejected", errors=list(errors), preview=preview)
