"""Orders: placed by sales, imported from the shop, read by everyone on the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mehvar.core.errors import Duplicate, ValidationFailed
from mehvar.core.models import Channel, EventKind, User
from mehvar.core.persian import normalize_text, to_latin_digits
from mehvar.core.roles import Perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Customer, Order, OrderChannel, OrderLine, OrderStatus, Product
from mehvar.customers.services import attribute_history, department_of, require

_ORDER_TO_CHANNEL = {
    OrderChannel.IN_STORE: Channel.IN_STORE,
    OrderChannel.WEBSITE: Channel.WEB,
    OrderChannel.PHONE: Channel.CALL,
    OrderChannel.MARKETPLACE: Channel.WEB,
    OrderChannel.SOCIAL: Channel.SOCIAL,
}


def order_summary(number: str, line_count: int) -> str:
    """The timeline line of a new order; the import and the demo write the same words."""
    return ngettext(
        "Order %(number)s, %(count)d item", "Order %(number)s, %(count)d items", line_count
    ) % {"number": number, "count": line_count}


@dataclass(frozen=True)
class LineInput:
    quantity: int
    unit_price: int
    product: Product | None = None
    description: str = ""


def _validate(
    number: str, lines: Sequence[LineInput], discount: int, placed_at: datetime
) -> dict[str, str | Promise]:
    errors: dict[str, str | Promise] = {}
    if not number:
        errors["number"] = gettext_lazy("An order needs a number.")
    if not lines:
        errors["lines"] = gettext_lazy("An order needs at least one line.")
    for index, line in enumerate(lines, start=1):
        if line.quantity < 1:
            errors[f"lines[{index}].quantity"] = gettext_lazy("Quantity must be at least 1.")
        if line.unit_price < 0:
            errors[f"lines[{index}].unit_price"] = gettext_lazy("A price cannot be negative.")
        if line.product is None and not line.description:
            errors[f"lines[{index}].description"] = gettext_lazy("Name the product or describe it.")
    subtotal = sum(line.quantity * line.unit_price for line in lines)
    if discount < 0 or discount > subtotal:
        errors["discount"] = gettext_lazy("The discount must be between zero and the order total.")
    if timezone.is_naive(placed_at):
        errors["placed_at"] = gettext_lazy("The order time needs a time zone.")
    elif placed_at > timezone.now() + timedelta(days=1):
        errors["placed_at"] = gettext_lazy("An order cannot be placed in the future.")
    return errors


@transaction.atomic
def order_create(
    *,
    actor: User,
    customer: Customer,
    number: str,
    lines: Sequence[LineInput],
    placed_at: datetime | None = None,
    channel: OrderChannel | str = OrderChannel.IN_STORE,
    status: OrderStatus | str = OrderStatus.PAID,
    discount: int = 0,
    note: str = "",
) -> Order:
    require(actor, Perm.ORDER_EDIT)
    number = to_latin_digits(normalize_text(number))
    placed_at = placed_at or timezone.now()
    errors = _validate(number, lines, discount, placed_at)
    if errors:
        raise ValidationFailed(errors)
    existing = Order.objects.filter(number=number).values_list("pk", flat=True).first()
    if existing is not None:
        raise Duplicate(
            {"number": gettext_lazy("Order number %(n)s already exists.") % {"n": number}},
            existing_id=existing,
        )
    total = sum(line.quantity * line.unit_price for line in lines) - discount
    order = Order(
        number=number,
        customer=customer,
        placed_at=placed_at,
        channel=OrderChannel(channel),
        status=OrderStatus(status),
        delivered_at=placed_at if status == OrderStatus.DELIVERED else None,
        discount=discount,
        total=total,
        note=normalize_text(note)[:500],
        created_by=actor,
    )
    attribute_history(order, actor)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as exc:
        raise Duplicate(
            {"number": gettext_lazy("Order number %(n)s already exists.") % {"n": number}},
            existing_id=Order.objects.filter(number=number).values_list("pk", flat=True).first(),
        ) from exc
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            description=normalize_text(
                line.description or (line.product.name if line.product else "")
            )[:200],
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in lines
    )
    record_touchpoint(
        customer=customer,
        kind=EventKind.ORDER_PLACED,
        channel=_ORDER_TO_CHANNEL[OrderChannel(channel)],
        department=department_of(actor),
        summary=order_summary(number, len(lines)),
        actor=actor,
        ref=order,
        occurred_at=placed_at,
        data={"total": total, "status": str(status)},
    )
    return order


@transaction.atomic
def order_set_status(*, actor: User, order: Order, status: OrderStatus | str) -> Order:
    require(actor, Perm.ORDER_EDIT)
    status = OrderStatus(status)
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == status:
        return order
    previous = OrderStatus(order.status)
    order.status = status
    if status == OrderStatus.DELIVERED:
        order.delivered_at = timezone.now()
    attribute_history(order, actor)
    order.save(update_fields=["status", "delivered_at"])
    record_touchpoint(
        customer=order.customer,
        kind=EventKind.ORDER_UPDATED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=_("Order %(number)s: %(old)s → %(new)s")
        % {"number": order.number, "old": previous.label, "new": status.label},
        actor=actor,
        ref=order,
        data={"from": previous.value, "to": status.value},
    )
    return order
