"""Importing customers: clean each row, match it to a customer, create or update through the
services (so the timeline and the audit log see every real change and nothing else).

Matching: external id, then mobile, then national code. A row whose identifiers point at two
different customers is rejected rather than guessed at. An empty cell never clears a stored
value: it means "this file does not say".

A dry run walks the same path but, instead of calling the services, compares each row with the
record it would touch, and remembers what earlier rows of the file would have created or
changed, so its counts are the counts of the real import.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mehvar.core.errors import Duplicate, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.jalali import format_jalali
from mehvar.core.models import Channel
from mehvar.core.persian import normalize_text, search_key
from mehvar.core.provinces import PROVINCES
from mehvar.core.roles import can_edit_customer
from mehvar.customers.fields import FieldError, clean_customer, clean_external_id, clean_mobile
from mehvar.customers.imports.base import (
    Context,
    ErrorCollector,
    Outcome,
    SourceRow,
    clean_any_national_id,
    reject,
)
from mehvar.customers.imports.bulk import customers_bulk_create
from mehvar.customers.imports.readers import Sheet
from mehvar.customers.imports.state import Action, PreviewRow
from mehvar.customers.models import (
    CUSTOMER_OWN_SOURCES,
    AcquisitionSource,
    Consent,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    Customer,
    CustomerKind,
    LifecycleStage,
)
from mehvar.customers.services import consent_set, customer_create, customer_update

IDENTIFIERS = ("external_id", "mobile", "national_id")
CONSENT_TARGETS = {
    "consent_sms": ConsentChannel.SMS,
    "consent_email": ConsentChannel.EMAIL,
    "consent_call": ConsentChannel.CALL,
}
# Errors about a field that has no column of its own land on the column it came from.
_ALIASES = {"first_name": "full_name", "last_name": "full_name"}

_YES = frozenset({"1", "yes", "y", "true", "granted", "ok", "بله", "بلی", "آری", "دارد", "موافق"})
_NO = frozenset({"0", "no", "n", "false", "withdrawn", "خیر", "نه", "ندارد", "مخالف", "لغو"})

# A key for a customer: a database id (> 0), or in a dry run -(row) for the customer that row
# would have created.
Key = int


def parse_consent(value: Any) -> ConsentStatus:
    text = search_key(str(value))
    if text in _YES:
        return ConsentStatus.GRANTED
    if text in _NO:
        return ConsentStatus.WITHDRAWN
    raise ValueError(text)


def split_full_name(value: Any) -> tuple[str, str]:
    """«محمد رضا کریمی» → («محمد رضا», «کریمی»): the last word is taken as the family name."""
    words = normalize_text(str(value)).rsplit(" ", 1)
    return (words[0], words[1]) if len(words) == 2 else ("", words[0])


_IDENTIFIER_CLEANERS = {
    "external_id": clean_external_id,
    "mobile": clean_mobile,
    "national_id": clean_any_national_id,
}


def complete_record(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``clean_customer(raw)`` for a row already cleaned with ``partial=True``: the same
    whole-record rules and messages, without cleaning every field a second time (that second
    pass was a quarter of a large import's time). A test holds the two to the same answers."""
    values = dict(values)
    errors: dict[str, Any] = {}
    kind = values.get("kind") or CustomerKind.PERSON
    values["kind"] = kind
    if kind == CustomerKind.COMPANY and not values.get("company_name"):
        errors["company_name"] = gettext_lazy("A company needs its name.")
    if kind == CustomerKind.PERSON and not (values.get("first_name") or values.get("last_name")):
        errors["last_name"] = gettext_lazy("Enter a first or last name.")
    if not values.get("lifecycle_stage"):
        values.pop("lifecycle_stage", None)
    return values, errors


class _Row:
    """One parsed row: the service input, its clean values and its consent decisions."""

    __slots__ = ("consents", "data", "errors", "number", "values")

    def __init__(self, context: Context, source: SourceRow) -> None:
        self.number = source[0]
        self.errors = ErrorCollector(context, source)
        self.data: dict[str, Any] = {}
        self.consents: dict[str, ConsentStatus] = {}
        cells = source[1]
        for target, index in context.columns.items():
            value = cells[index]
            if value is None:
                continue
            if target in CONSENT_TARGETS:
                try:
                    self.consents[CONSENT_TARGETS[target]] = parse_consent(value)
                except ValueError:
                    self.errors.add(
                        target, gettext_lazy("Write yes or no (بله / خیر) for a consent.")
                    )
            elif target != "full_name":
                self.data[target] = value
        if "full_name" in context.columns and cells[context.columns["full_name"]] is not None:
            given, family = split_full_name(cells[context.columns["full_name"]])
            if "first_name" not in self.data and "last_name" not in self.data:
                self.data["first_name"], self.data["last_name"] = given, family
        self.values, field_errors = clean_customer(self.data, partial=True)
        self.errors.add_all(field_errors, aliases=_ALIASES)
        if not self.errors and not any(self.values.get(name) for name in IDENTIFIERS):
            column = next((name for name in IDENTIFIERS if name in context.columns), None)
            self.errors.add(
                column,
                gettext_lazy(
                    "A row needs a mobile, a national code or an external id, so a second "
                    "import finds the same customer instead of making another."
                ),
            )

    def identifiers(self) -> list[tuple[str, str]]:
        return [(name, self.values[name]) for name in IDENTIFIERS if self.values.get(name)]


_STATE_FIELDS = (
    "kind",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "mobile",
    "other_phones",
    "email",
    "national_id",
    "birth_date",
    "province",
    "city",
    "address",
    "postal_code",
    "acquisition_source",
    "lifecycle_stage",
    "external_id",
)


class CustomerProcessor:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.buffer: list[SourceRow] = []
        # Per chunk: what the database holds for the chunk's identifiers.
        self.by_identifier: dict[tuple[str, str], Key] = {}
        self.customers: dict[Key, Customer] = {}
        self.tags: dict[Key, list[str]] = {}
        self.consents: dict[Key, dict[str, str]] = {}
        self.edit_allowed: dict[Key, bool] = {}
        # (customer, channel) pairs the customer withdrew themselves: imports cannot re-grant.
        self.locked: set[tuple[Key, str]] = set()
        # Overlays: identifiers and values as earlier rows left them. The real import clears
        # them after each chunk (the database holds the truth by then); a dry run writes
        # nothing, so they are its memory of the whole file.
        self.moved: dict[tuple[str, str], Key | None] = {}
        self.state: dict[Key, dict[str, Any]] = {}
        # Real import: new customers waiting for the chunk's bulk insert, and outcomes so far.
        self.to_create: list[tuple[_Row, dict[str, Any]]] = []
        self.done: dict[int, Outcome] = {}
        # Dry run: hashes of identifiers found on more than one row of the file.
        self.repeated: set[int] | None = None
        self.uses_consents = any(t in CONSENT_TARGETS for t in context.targets)
        self.uses_tags = "tags" in context.columns

    # --- the processor protocol ------------------------------------------------------------

    def count(self, sheet: Sheet) -> int | None:
        if self.context.dry_run:
            return self._count_repeats(sheet)
        if sheet.declared_rows is not None:
            return sheet.declared_rows
        return sum(1 for _row in sheet.rows())

    def _count_repeats(self, sheet: Sheet) -> int:
        """Count the rows, and note which identifiers occur on more than one row.

        A dry run must remember what each row would have done only for records a later row
        can match again; remembering every row would make its memory grow with the file.
        Identifiers are kept as hashes: a collision only makes it remember one record more.
        """
        columns = [
            (name, self.context.columns[name])
            for name in IDENTIFIERS
            if name in self.context.columns
        ]
        seen: set[int] = set()
        repeated: set[int] = set()
        total = 0
        for _number, cells in sheet.rows():
            total += 1
            for name, index in columns:
                if cells[index] is None:
                    continue
                try:
                    value = _IDENTIFIER_CLEANERS[name](cells[index])
                except FieldError:
                    continue
                if value:
                    key = hash((name, value))
                    (repeated if key in seen else seen).add(key)
        self.repeated = repeated
        return total

    def _may_recur(self, row: _Row) -> bool:
        if self.repeated is None:
            return True
        return any(hash(identifier) in self.repeated for identifier in row.identifiers())

    def feed(self, row: SourceRow) -> None:
        self.buffer.append(row)

    def pending(self) -> bool:
        return False

    def take(self) -> list[Any]:
        work, self.buffer = self.buffer, []
        return work

    def flush(self, work: list[Any]) -> list[Outcome]:
        rows = [_Row(self.context, source) for source in work]
        if not self.context.dry_run:
            self.moved.clear()
            self.state.clear()
        self.to_create, self.done = [], {}
        self._prefetch([row for row in rows if not row.errors])
        for row in rows:
            self._process(row)
        self._create_waiting()
        return [self.done[row.number] for row in rows]

    # --- matching ---------------------------------------------------------------------------

    def _prefetch(self, rows: list[_Row]) -> None:
        """Load the chunk's existing customers: one query per identifier, not one per row."""
        self.by_identifier.clear()
        self.customers.clear()
        self.tags.clear()
        self.consents.clear()
        self.edit_allowed.clear()
        wanted: dict[str, set[str]] = {name: set() for name in IDENTIFIERS}
        for row in rows:
            for name, value in row.identifiers():
                wanted[name].add(value)
        ids: set[int] = set()
        for name, values in wanted.items():
            if values:
                found = Customer.objects.filter(**{f"{name}__in": values})
                ids.update(found.values_list("pk", flat=True))
        # The three lookups mostly find the same records; build each record once.
        if ids:
            self.customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
        for customer in self.customers.values():
            for name in IDENTIFIERS:
                value = getattr(customer, name)
                if value:
                    self.by_identifier[(name, value)] = customer.pk
        self._load_related(list(self.customers))

    def _load_related(self, ids: list[int]) -> None:
        if ids and self.uses_tags:
            through = Customer.tags.through.objects.filter(customer_id__in=ids)
            for customer_id, tag in through.values_list("customer_id", "tag__name"):
                self.tags.setdefault(customer_id, []).append(tag)
        if ids and self.uses_consents:
            consents = Consent.objects.filter(customer_id__in=ids)
            for customer_id, channel, status, source in consents.values_list(
                "customer_id", "channel", "status", "source"
            ):
                self.consents.setdefault(customer_id, {})[channel] = status
                if status == ConsentStatus.WITHDRAWN and source in CUSTOMER_OWN_SOURCES:
                    self.locked.add((customer_id, channel))

    def _lookup(self, name: str, value: str) -> Key | None:
        if (name, value) in self.moved:
            return self.moved[(name, value)]
        return self.by_identifier.get((name, value))

    def _match(self, row: _Row) -> tuple[Key | None, bool]:
        """The customer the row is about, or (None, False) when its identifiers disagree."""
        found: list[tuple[str, Key]] = []
        for name, value in row.identifiers():
            key = self._lookup(name, value)
            if key is not None:
                found.append((name, key))
        keys = {key for _name, key in found}
        if len(keys) <= 1:
            return (next(iter(keys)) if keys else None), True
        first_name, first = found[0]
        second_name, second = next((name, key) for name, key in found if key != first)
        labels = {
            "external_id": _("the external id"),
            "mobile": _("the mobile"),
            "national_id": _("the national code"),
        }
        row.errors.add(
            second_name,
            _(
                "%(a)s belongs to %(x)s but %(b)s to %(y)s; one row cannot be two customers. "
                "Correct the file or merge the two records first."
            )
            % {
                "a": labels[first_name],
                "x": self._describe(first),
                "b": labels[second_name],
                "y": self._describe(second),
            },
        )
        return None, False

    def _describe(self, key: Key) -> str:
        if key < 0:
            return _("the customer of row %(row)d") % {"row": -key}
        return _("customer #%(id)d") % {"id": key}

    def _remember(self, key: Key, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Point identifiers the row changed at their new holder (within the chunk, or the
        whole file in a dry run)."""
        for name in IDENTIFIERS:
            old, new = before.get(name), after.get(name)
            if old == new:
                continue
            if old:
                self.moved[(name, old)] = None
            if new:
                self.moved[(name, new)] = key

    # --- one row ----------------------------------------------------------------------------

    def _reject(self, row: _Row) -> None:
        self.done[row.number] = reject(
            row.number, row.errors.errors(), self._preview(row, "rejected")
        )

    def _process(self, row: _Row) -> None:
        if row.errors:
            return self._reject(row)
        key, consistent = self._match(row)
        if consistent and key is not None and key < 0 and not self.context.dry_run:
            # The customer of an earlier row of this chunk, not inserted yet: insert the
            # waiting ones so this row can update a real record.
            self._create_waiting()
            key, consistent = self._match(row)
        if not consistent:
            return self._reject(row)
        if key is None:
            return self._create(row)
        return self._update(row, key)

    def _create(self, row: _Row) -> None:
        # The row's fields are valid (checked before matching); what a new record needs on
        # top of that (a name for a person, a company name for a company) is checked here.
        values, errors = complete_record(row.values)
        row.errors.add_all(errors, aliases=_ALIASES)
        if row.errors:
            return self._reject(row)
        key = -row.number
        if not self.context.dry_run:
            self._remember(key, {}, values)
            self.to_create.append((row, values))
            return None
        if self._may_recur(row):
            self._remember(key, {}, values)
            state = {name: values.get(name) for name in _STATE_FIELDS if name in values}
            state["tags"] = sorted(values.get("tags", []))
            state["consents"] = dict(row.consents)
            self.state[key] = state
        self.done[row.number] = Outcome(
            row.number, "created", preview=self._preview(row, "created")
        )
        return None

    def _create_waiting(self) -> None:
        """Insert the chunk's new customers in bulk; if a concurrent writer took one of their
        identifiers meanwhile, create them one by one through the service instead."""
        batch, self.to_create = self.to_create, []
        if not batch:
            return
        try:
            with transaction.atomic():
                customers = customers_bulk_create(
                    actor=self.context.actor,
                    records=[values for _row, values in batch],
                    source_label=self.context.source_label,
                )
                for (row, _values), customer in zip(batch, customers, strict=True):
                    for channel, status in row.consents.items():
                        self._consent(customer, channel, status, row.number)
        except (IntegrityError, ServiceError):
            for row, _values in batch:
                for name, value in row.identifiers():
                    if self.moved.get((name, value)) == -row.number:
                        del self.moved[(name, value)]
                self._create_one(row)
            return
        for (row, values), customer in zip(batch, customers, strict=True):
            self._created(row, values, customer)
            self.done[row.number] = Outcome(row.number, "created")

    def _created(self, row: _Row, values: dict[str, Any], customer: Customer) -> None:
        self.customers[customer.pk] = customer
        self.tags[customer.pk] = sorted(values.get("tags", []))
        self.consents[customer.pk] = {str(c): str(s) for c, s in row.consents.items()}
        self._remember(customer.pk, {}, {name: getattr(customer, name) for name in IDENTIFIERS})

    def _create_one(self, row: _Row) -> None:
        try:
            with transaction.atomic():
                customer = customer_create(
                    actor=self.context.actor,
                    data=row.data,
                    channel=Channel.SYSTEM,
                    source_label=self.context.source_label,
                )
                for channel, status in row.consents.items():
                    self._consent(customer, channel, status, row.number)
        except Duplicate:
            # Another import (or a person) created this customer after the chunk was read:
            # match again against the database, and update what is there.
            return self._rematch(row)
        except ServiceError as exc:
            return self._service_rejection(row, exc)
        self._created(row, row.values, customer)
        self.done[row.number] = Outcome(row.number, "created")
        return None

    def _rematch(self, row: _Row) -> None:
        condition = Q()
        for name, value in row.identifiers():
            condition |= Q(**{name: value})
        found = list(Customer.objects.filter(condition)[:2])
        if len(found) != 1:
            row.errors.add(None, gettext_lazy("These identifiers belong to several customers."))
            return self._reject(row)
        customer = found[0]
        self.customers[customer.pk] = customer
        for name in IDENTIFIERS:
            if getattr(customer, name):
                self.by_identifier[(name, getattr(customer, name))] = customer.pk
                self.moved.pop((name, getattr(customer, name)), None)
        self._load_related([customer.pk])
        return self._update(row, customer.pk)

    def _update(self, row: _Row, key: Key) -> None:
        customer = self.customers.get(key)
        if customer is not None and not self._may_edit(customer):
            row.errors.add(None, gettext_lazy("You may only edit customers you own."))
            return self._reject(row)
        if self._consent_locked(row, key):
            return self._reject(row)
        current = self._current(key, keep=self._may_recur(row))
        changed = self._changes(row, current)
        if self.context.dry_run:
            before = {name: current.get(name) for name in IDENTIFIERS}
            self._apply(row, current, changed)
            self._remember(key, before, current)
            action: Action = "updated" if changed else "unchanged"
            self.done[row.number] = Outcome(
                row.number, action, preview=self._preview(row, action, changed)
            )
            return None
        if not changed:
            # customer_update would compare the same values and write nothing; skip the call.
            self.done[row.number] = Outcome(row.number, "unchanged")
            return None
        assert customer is not None  # noqa: S101 - a real import matches database records only
        before = {name: getattr(customer, name) for name in IDENTIFIERS}
        channels = [c for c, s in row.consents.items() if current["consents"].get(c) != s]
        try:
            with transaction.atomic():
                result = customer_update(actor=self.context.actor, customer=customer, data=row.data)
                for channel in channels:
                    self._consent(customer, channel, row.consents[channel], row.number)
        except ServiceError as exc:
            # The savepoint undid the row, but the cached record still holds its values.
            customer.refresh_from_db()
            return self._service_rejection(row, exc)
        if "tags" in result.changed:
            self.tags[key] = sorted(row.values["tags"])
        for channel in channels:
            self.consents.setdefault(key, {})[channel] = row.consents[channel]
        self._remember(key, before, {name: getattr(customer, name) for name in IDENTIFIERS})
        action = "updated" if result.changed or channels else "unchanged"
        self.done[row.number] = Outcome(row.number, action)
        return None

    def _current(self, key: Key, *, keep: bool = False) -> dict[str, Any]:
        """The record as earlier rows left it: a dry run keeps its own copy (for the whole
        file, of records a later row may match); a real import reads the database record,
        which ``customer_update`` keeps current."""
        if key in self.state:
            return self.state[key]
        customer = self.customers[key]
        current: dict[str, Any] = {name: getattr(customer, name) for name in _STATE_FIELDS}
        current["tags"] = sorted(self.tags.get(key, []))
        current["consents"] = dict(self.consents.get(key, {}))
        if self.context.dry_run and keep:
            self.state[key] = current
        return current

    @staticmethod
    def _changes(row: _Row, current: dict[str, Any]) -> list[str]:
        """What customer_update would change (and consent_set record), by the same test."""
        changed = [
            name
            for name, value in row.values.items()
            if name != "tags" and current.get(name) != value
        ]
        if "tags" in row.values and sorted(row.values["tags"]) != current["tags"]:
            changed.append("tags")
        changed += [
            f"consent_{channel}"
            for channel, status in row.consents.items()
            if current["consents"].get(channel) != status
        ]
        return changed

    @staticmethod
    def _apply(row: _Row, current: dict[str, Any], changed: list[str]) -> None:
        for name in changed:
            if name == "tags":
                current["tags"] = sorted(row.values["tags"])
            elif name.startswith("consent_"):
                channel = ConsentChannel(name.removeprefix("consent_"))
                current["consents"][channel] = row.consents[channel]
            else:
                current[name] = row.values[name]

    def _consent_locked(self, row: _Row, key: Key) -> bool:
        """A withdrawal the customer made themselves cannot be undone by a file (SECURITY #12);
        the service refuses it too, this only names the column."""
        for channel, status in row.consents.items():
            if status != ConsentStatus.GRANTED or (key, channel) not in self.locked:
                continue
            if self._current(key)["consents"].get(channel) == ConsentStatus.WITHDRAWN:
                row.errors.add(
                    f"consent_{channel}",
                    gettext_lazy(
                        "The customer opted out themselves; only the customer can opt in again."
                    ),
                )
        return bool(row.errors)

    def _may_edit(self, customer: Customer) -> bool:
        if customer.pk not in self.edit_allowed:
            self.edit_allowed[customer.pk] = can_edit_customer(self.context.actor, customer)
        return self.edit_allowed[customer.pk]

    def _consent(
        self, customer: Customer, channel: str, status: ConsentStatus, number: int
    ) -> None:
        consent_set(
            actor=self.context.actor,
            customer=customer,
            channel=channel,
            status=status,
            source=ConsentSource.IMPORT,
            evidence=_("Import #%(job)d, row %(row)d")
            % {"job": self.context.job_id, "row": number},
        )

    def _service_rejection(self, row: _Row, exc: ServiceError) -> None:
        if isinstance(exc, ValidationFailed):
            row.errors.add_all(exc.errors, aliases=_ALIASES)
        elif isinstance(exc, PermissionDenied):
            row.errors.add(None, exc.message)
        else:
            consent_column = next((t for t in CONSENT_TARGETS if t in self.context.columns), None)
            row.errors.add(consent_column if exc.code == "consent_locked" else None, exc.message)
        self._reject(row)

    # --- the preview ------------------------------------------------------------------------

    def _preview(self, row: _Row, action: Action, changed: Iterable[str] = ()) -> PreviewRow | None:
        if not self.context.dry_run:
            return None
        values = {name: display_value(name, value) for name, value in row.values.items()}
        for channel, status in row.consents.items():
            values[f"consent_{channel}"] = str(ConsentStatus(status).label)
        return PreviewRow(row=row.number, action=action, values=values, changed=list(changed))


_CHOICES = {
    "kind": CustomerKind,
    "acquisition_source": AcquisitionSource,
    "lifecycle_stage": LifecycleStage,
}


def display_value(name: str, value: Any) -> str:
    """A clean value as the user will see it stored, in the active language."""
    persian = (translation.get_language() or "fa").startswith("fa")
    if value is None:
        return ""
    if isinstance(value, date):
        return format_jalali(value) if persian else value.isoformat()
    if isinstance(value, list):
        return "، ".join(str(v) for v in value) if persian else ", ".join(str(v) for v in value)
    if name == "province":
        province = next((p for p in PROVINCES if p.code == value), None)
        if province is not None:
            return province.name_fa if persian else province.name_en
    if name in _CHOICES and value:
        return str(_CHOICES[name](value).label)
    return str(value)
