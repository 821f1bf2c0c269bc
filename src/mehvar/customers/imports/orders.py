"""Importing orders: one row per order line, lines gathered by order number.

An order that already exists (same number) is left as it is, so a file imported twice adds
nothing. The customer is found by external id, mobile or national code; a customer the system
does not know yet is created when the row carries a name. Products are found by SKU and created
from the row's product name when new. Amounts are read in the unit the user chose (Rial or
Toman) and stored in Rials; dates may be Jalali or Gregorian.

Lines of one order need not be next to each other: a first pass over the file counts the lines
of each order, and an order is written when its last line has been read. A chunk of work ends
only between orders, so a resumed import never finds half an order behind it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mehvar.core.errors import Duplicate, ServiceError, ValidationFailed
from mehvar.core.jalali import TEHRAN, format_jalali, parse_date
from mehvar.core.models import Channel
from mehvar.core.money import InvalidAmount, format_amount, parse_amount
from mehvar.core.persian import normalize_text, to_latin_digits
from mehvar.customers.fields import FieldError, clean_external_id, clean_mobile
from mehvar.customers.imports.base import (
    Context,
    ErrorCollector,
    Outcome,
    SourceRow,
    clean_any_national_id,
    reject,
)
from mehvar.customers.imports.columns import header_key
from mehvar.customers.imports.customers import split_full_name
from mehvar.customers.imports.readers import Sheet
from mehvar.customers.imports.state import Action, PreviewRow
from mehvar.customers.models import (
    Customer,
    Order,
    OrderChannel,
    OrderStatus,
    Product,
)
from mehvar.customers.orders import LineInput, order_create
from mehvar.customers.services import customer_create

IDENTIFIERS = (
    ("customer_external_id", "external_id"),
    ("mobile", "mobile"),
    ("national_id", "national_id"),
)
# Order-level columns: every line of an order must agree on them (blank lines inherit).
ORDER_LEVEL = (
    "placed_at",
    "customer_external_id",
    "mobile",
    "national_id",
    "channel",
    "status",
    "discount",
    "note",
)

_CHANNEL_WORDS = {
    OrderChannel.IN_STORE: ("حضوری", "فروشگاه", "فروشگاهی", "in store", "store", "shop", "pos"),
    OrderChannel.WEBSITE: ("سایت", "وبسایت", "اینترنتی", "آنلاین", "website", "web", "online"),
    OrderChannel.PHONE: ("تلفنی", "تلفن", "phone", "telephone"),
    OrderChannel.MARKETPLACE: ("بازار آنلاین", "دیجی کالا", "marketplace", "digikala"),
    OrderChannel.SOCIAL: ("اینستاگرام", "شبکه اجتماعی", "تلگرام", "social", "instagram"),
}
_STATUS_WORDS = {
    OrderStatus.PENDING: ("در انتظار", "در انتظار پرداخت", "pending"),
    OrderStatus.PAID: ("پرداخت شده", "پرداخت", "paid", "completed"),
    OrderStatus.SHIPPED: ("ارسال شده", "ارسال", "shipped", "sent"),
    OrderStatus.DELIVERED: ("تحویل شده", "تحویل", "delivered"),
    OrderStatus.CANCELLED: ("لغو شده", "لغو", "cancelled", "canceled"),
    OrderStatus.RETURNED: ("مرجوع", "مرجوعی", "برگشتی", "returned", "refunded"),
}
_TIME = re.compile(r"[T ](\d{1,2}):(\d{2})(?::(\d{2}))?")


def _choice_index(enum: Any, words: dict[Any, tuple[str, ...]]) -> dict[str, str]:
    index: dict[str, str] = {}
    for choice in enum:
        for word in (choice.value, *words.get(choice, ())):
            index[header_key(word)] = choice.value
        for language in ("en", "fa"):
            with translation.override(language):
                index.setdefault(header_key(str(choice.label)), choice.value)
    return index


def order_number(value: Any) -> str:
    return to_latin_digits(normalize_text(str(value)))[:64] if value is not None else ""


def parse_order_time(value: Any, *, calendar: str) -> datetime:
    """An aware order time from a date cell or text ("1403/01/05 14:30", "2024-03-24")."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=TEHRAN)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=TEHRAN)
    text = to_latin_digits(str(value)).strip()
    day = parse_date(text, calendar=calendar)  # type: ignore[arg-type]
    match = _TIME.search(text)
    at = time()
    if match:
        hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(text)
        at = time(hour, minute, second)
    return datetime.combine(day, at, tzinfo=TEHRAN)


def _quantity(value: Any) -> int:
    text = to_latin_digits(str(value)).strip().replace(",", "").replace("٬", "")
    if not text.isdigit():
        raise ValueError(text)
    return int(text)


@dataclass
class _Line:
    number: int  # the row in the file
    errors: ErrorCollector
    order: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    name: tuple[str, str] = ("", "")


class OrderProcessor:
    def __init__(self, context: Context) -> None:
        self.context = context
        self.channels = _choice_index(OrderChannel, _CHANNEL_WORDS)
        self.statuses = _choice_index(OrderStatus, _STATUS_WORDS)
        self.expected: dict[str, int] = {}
        self.open: dict[str, list[_Line]] = {}
        self.ready: list[Any] = []
        # Dry run: customers earlier orders of the file would have created.
        self.virtual_customers: dict[tuple[str, str], str] = {}
        # Per chunk.
        self.existing: set[str] = set()
        self.customers: dict[tuple[str, str], Customer] = {}
        self.products: dict[str, Product] = {}

    # --- the processor protocol ------------------------------------------------------------

    def count(self, sheet: Sheet) -> int | None:
        column = self.context.columns["order_number"]
        total = 0
        for _number, cells in sheet.rows():
            total += 1
            number = order_number(cells[column])
            if number:
                self.expected[number] = self.expected.get(number, 0) + 1
        return total

    def feed(self, row: SourceRow) -> None:
        line = self._parse(row)
        if not line.order:
            line.errors.add("order_number", gettext_lazy("The order number is missing."))
            self.ready.append(line)
            return
        lines = self.open.setdefault(line.order, [])
        lines.append(line)
        if len(lines) >= self.expected.get(line.order, 1):
            self.ready.append(self.open.pop(line.order))

    def pending(self) -> bool:
        return bool(self.open)

    def take(self) -> list[Any]:
        work, self.ready = self.ready, []
        return work

    def flush(self, work: list[Any]) -> list[Outcome]:
        orders = [item for item in work if isinstance(item, list)]
        self._prefetch(orders)
        outcomes: list[Outcome] = []
        for item in work:
            if isinstance(item, _Line):
                outcomes.append(
                    reject(item.number, item.errors.errors(), self._preview(item, "rejected"))
                )
            else:
                outcomes.extend(self._order(item))
        return outcomes

    # --- parsing ----------------------------------------------------------------------------

    def _parse(self, row: SourceRow) -> _Line:
        number, cells = row
        errors = ErrorCollector(self.context, row)
        line = _Line(number=number, errors=errors)
        columns = self.context.columns
        unit = self.context.unit

        def cell(target: str) -> Any:
            return cells[columns[target]] if target in columns else None

        line.order = order_number(cell("order_number"))
        for target, cleaner in (
            ("customer_external_id", clean_external_id),
            ("mobile", clean_mobile),
            ("national_id", clean_any_national_id),
        ):
            if cell(target) is not None:
                try:
                    line.values[target] = cleaner(cell(target))
                except FieldError as exc:
                    errors.add(target, exc.message)
        first = normalize_text(str(cell("first_name") or ""))
        last = normalize_text(str(cell("last_name") or ""))
        if not (first or last) and cell("full_name") is not None:
            first, last = split_full_name(cell("full_name"))
        line.name = (first[:100], last[:100])
        if cell("placed_at") is not None:
            try:
                placed = parse_order_time(cell("placed_at"), calendar=self.context.calendar)
            except ValueError:
                errors.add(
                    "placed_at",
                    gettext_lazy("Not a valid date; write it like 1403/01/15 or 2024-04-03."),
                )
            else:
                if placed > timezone.now() + timedelta(days=1):
                    errors.add(
                        "placed_at", gettext_lazy("An order cannot be placed in the future.")
                    )
                line.values["placed_at"] = placed
        if cell("sku") is not None:
            sku = order_number(cell("sku"))
            if len(sku) > 64:
                errors.add("sku", gettext_lazy("At most %(n)d characters.") % {"n": 64})
            line.values["sku"] = sku
        if cell("product_name") is not None:
            line.values["product_name"] = normalize_text(str(cell("product_name")))[:200]
        if cell("note") is not None:
            line.values["note"] = normalize_text(str(cell("note")))[:500]
        quantity = 1
        if cell("quantity") is not None:
            try:
                quantity = _quantity(cell("quantity"))
                if quantity < 1:
                    raise ValueError(quantity)
            except ValueError:
                errors.add(
                    "quantity", gettext_lazy("The quantity must be a whole number, 1 or more.")
                )
        line.values["quantity"] = quantity
        for target in ("unit_price", "amount", "discount"):
            if cell(target) is None:
                continue
            try:
                amount = parse_amount(cell(target), unit=unit)  # type: ignore[arg-type]
                if amount < 0:
                    raise InvalidAmount("invalid_format")
            except (InvalidAmount, TypeError):
                errors.add(
                    target,
                    gettext_lazy("Not an amount in %(unit)s; write digits only, like 150000.")
                    % {"unit": _("Toman") if unit == "toman" else _("Rial")},
                )
            else:
                line.values[target] = amount
        if "unit_price" not in line.values and "amount" in line.values and not errors:
            amount = line.values["amount"]
            if amount % quantity:
                errors.add(
                    "amount", gettext_lazy("The line amount cannot be divided by the quantity.")
                )
            else:
                line.values["unit_price"] = amount // quantity
        elif (
            "unit_price" in line.values
            and "amount" in line.values
            and not errors
            and line.values["amount"] != quantity * line.values["unit_price"]
        ):
            errors.add(
                "amount",
                gettext_lazy("The line amount is not the quantity times the unit price."),
            )
        if "unit_price" not in line.values and not errors:
            target = "unit_price" if "unit_price" in columns else "amount"
            errors.add(target, gettext_lazy("The price of the line is missing."))
        if not (line.values.get("sku") or line.values.get("product_name")) and not errors:
            target = "product_name" if "product_name" in columns else "sku"
            errors.add(target, gettext_lazy("Name the product or give its code."))
        for target, index in (("channel", self.channels), ("status", self.statuses)):
            if cell(target) is None:
                continue
            key = header_key(str(cell(target)))
            if key in index:
                line.values[target] = index[key]
            else:
                errors.add(
                    target,
                    gettext_lazy("Unknown value; expected one of: %(choices)s")
                    % {"choices": ", ".join(sorted(set(index.values())))},
                )
        return line

    # --- one order --------------------------------------------------------------------------

    def _prefetch(self, orders: list[list[_Line]]) -> None:
        self.existing.clear()
        self.customers.clear()
        self.products.clear()
        numbers = {lines[0].order for lines in orders}
        if numbers:
            self.existing = set(
                Order.objects.filter(number__in=numbers).values_list("number", flat=True)
            )
        wanted: dict[str, set[str]] = {}
        skus: set[str] = set()
        for lines in orders:
            for line in lines:
                for target, name in IDENTIFIERS:
                    if line.values.get(target):
                        wanted.setdefault(name, set()).add(line.values[target])
                if line.values.get("sku"):
                    skus.add(line.values["sku"])
        for name, values in wanted.items():
            for customer in Customer.objects.filter(**{f"{name}__in": values}):
                self.customers[(name, getattr(customer, name))] = customer
        if skus:
            self.products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}

    def _order(self, lines: list[_Line]) -> list[Outcome]:
        number = lines[0].order
        if number in self.existing:
            return self._outcomes(lines, "unchanged")
        header = self._order_values(lines)
        if any(line.errors for line in lines):
            return self._reject_order(lines)
        if self.context.dry_run:
            try:
                self._customer(lines, header)
            except _Rejected:
                return self._reject_order(lines)
            return self._outcomes(lines, "created")
        known_products = set(self.products)
        try:
            # One savepoint for the order and what it brings (a new customer, new products):
            # a refused order leaves nothing behind.
            with transaction.atomic():
                customer = self._customer(lines, header)
                assert isinstance(customer, Customer)  # noqa: S101 - placeholders are dry-run only
                order_create(
                    actor=self.context.actor,
                    customer=customer,
                    number=number,
                    lines=[self._line_input(line) for line in lines],
                    placed_at=header.get("placed_at"),
                    channel=header.get("channel", OrderChannel.IN_STORE),
                    status=header.get("status", OrderStatus.PAID),
                    discount=header.get("discount", 0),
                    note=header.get("note", ""),
                )
        except (_Rejected, ServiceError) as exc:
            for sku in set(self.products) - known_products:
                del self.products[sku]
            if isinstance(exc, Duplicate) and "number" in exc.errors:
                # The same order arrived meanwhile from elsewhere: it exists, as a re-import
                # would find it.
                return self._outcomes(lines, "unchanged")
            if isinstance(exc, ServiceError):
                self._service_errors(lines, exc)
            return self._reject_order(lines)
        for target, name in IDENTIFIERS:
            if header.get(target):
                self.customers[(name, header[target])] = customer
        return self._outcomes(lines, "created")

    def _outcomes(self, lines: list[_Line], action: Action) -> list[Outcome]:
        return [Outcome(line.number, action, preview=self._preview(line, action)) for line in lines]

    def _order_values(self, lines: list[_Line]) -> dict[str, Any]:
        """Order-level values, from the first line that gives each; a line that gives another
        value is at fault."""
        header: dict[str, Any] = {}
        source: dict[str, int] = {}
        for line in lines:
            for target in ORDER_LEVEL:
                if target not in line.values:
                    continue
                value = line.values[target]
                if target not in header:
                    header[target], source[target] = value, line.number
                elif header[target] != value:
                    line.errors.add(
                        target,
                        gettext_lazy("Differs from row %(row)d of the same order.")
                        % {"row": source[target]},
                    )
        if "placed_at" in self.context.columns and "placed_at" not in header:
            lines[0].errors.add("placed_at", gettext_lazy("The order date is missing."))
        return header

    def _customer(self, lines: list[_Line], header: dict[str, Any]) -> Customer | str:
        """The order's customer; in a dry run, a placeholder for one the import would create."""
        first = lines[0]
        found: dict[int | str, tuple[str, Customer | str]] = {}
        for target, name in IDENTIFIERS:
            value = header.get(target)
            if not value:
                continue
            customer = self.customers.get((name, value))
            if customer is not None:
                found.setdefault(customer.pk, (target, customer))
            elif (name, value) in self.virtual_customers:
                key = self.virtual_customers[(name, value)]
                found.setdefault(key, (target, key))
        if len(found) > 1:
            first.errors.add(
                list(found.values())[1][0],
                gettext_lazy("The customer's identifiers belong to two different customers."),
            )
            raise _Rejected
        if found:
            return next(iter(found.values()))[1]
        return self._new_customer(lines, header)

    def _new_customer(self, lines: list[_Line], header: dict[str, Any]) -> Customer | str:
        first = lines[0]
        identifiers = [(name, header[target]) for target, name in IDENTIFIERS if header.get(target)]
        given, family = next((line.name for line in lines if any(line.name)), ("", ""))
        if not identifiers or not (given or family):
            target = next((t for t, _n in IDENTIFIERS if t in self.context.columns), None)
            first.errors.add(
                target,
                gettext_lazy(
                    "No customer has this mobile, national code or external id. Import the "
                    "customers first, or add their names to this file."
                ),
            )
            raise _Rejected
        if self.context.dry_run:
            key = f"row-{first.number}"
            for identifier in identifiers:
                self.virtual_customers[identifier] = key
            return key
        data = dict(identifiers, first_name=given, last_name=family)
        try:
            customer = customer_create(
                actor=self.context.actor,
                data=data,
                channel=Channel.SYSTEM,
                source_label=self.context.source_label,
            )
        except Duplicate:
            condition = Q()
            for name, value in identifiers:
                condition |= Q(**{name: value})
            matches = list(Customer.objects.filter(condition)[:2])
            if len(matches) != 1:
                first.errors.add(
                    None, gettext_lazy("These identifiers belong to several customers.")
                )
                raise _Rejected from None
            customer = matches[0]
        except ValidationFailed as exc:
            for name, message in exc.errors.items():
                target = {"external_id": "customer_external_id"}.get(name, name)
                first.errors.add(target if target in self.context.columns else None, message)
            raise _Rejected from None
        return customer

    def _product(self, line: _Line) -> Product | None:
        sku = line.values.get("sku")
        if not sku:
            return None
        if sku not in self.products:
            name = line.values.get("product_name") or sku
            self.products[sku], _created = Product.objects.get_or_create(
                sku=sku, defaults={"name": name}
            )
        return self.products[sku]

    def _line_input(self, line: _Line) -> LineInput:
        return LineInput(
            quantity=line.values["quantity"],
            unit_price=line.values["unit_price"],
            product=self._product(line),
            description=line.values.get("product_name", ""),
        )

    def _service_errors(self, lines: list[_Line], exc: ServiceError) -> None:
        if not isinstance(exc, ValidationFailed):
            lines[0].errors.add(None, exc.message)
            return
        for name, message in exc.errors.items():
            match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", name)
            if match:
                line = lines[int(match[1]) - 1]
                target = {"description": "product_name"}.get(match[2], match[2])
                line.errors.add(target if target in self.context.columns else None, message)
            else:
                line = next((ln for ln in lines if name in ln.values), lines[0])
                line.errors.add(name if name in self.context.columns else None, message)

    def _reject_order(self, lines: list[_Line]) -> list[Outcome]:
        faulty = [line.number for line in lines if line.errors]
        outcomes = []
        for line in lines:
            if not line.errors:
                line.errors.add(
                    None,
                    gettext_lazy("Order %(order)s was not imported: see row %(row)d.")
                    % {"order": line.order, "row": faulty[0] if faulty else line.number},
                )
            outcomes.append(
                reject(line.number, line.errors.errors(), self._preview(line, "rejected"))
            )
        return outcomes

    # --- the preview ------------------------------------------------------------------------

    def _preview(self, line: _Line, action: Action) -> PreviewRow | None:
        if not self.context.dry_run:
            return None
        persian = (translation.get_language() or "fa").startswith("fa")
        unit = self.context.unit
        values: dict[str, str] = {"order_number": line.order}
        for target, value in line.values.items():
            if target == "placed_at":
                local = value.astimezone(TEHRAN)
                values[target] = (
                    format_jalali(local, with_time=True)
                    if persian
                    else local.strftime("%Y-%m-%d %H:%M")
                )
            elif target in ("unit_price", "amount", "discount"):
                values[target] = format_amount(value, unit=unit, persian_digits=persian)  # type: ignore[arg-type]
            elif target == "channel":
                values[target] = str(OrderChannel(value).label)
            elif target == "status":
                values[target] = str(OrderStatus(value).label)
            else:
                values[target] = str(value)
        name = " ".join(part for part in line.name if part)
        if name:
            values["full_name"] = name
        return PreviewRow(row=line.number, action=action, values=values)


class _Rejected(Exception):
    pass
