"""Returns under the money-back guarantee (ضمانت بازگشت وجه, seed 004).

A return is a quantity of one order line, asked for within the guarantee window after delivery,
received, inspected, and refunded. It always belongs to a ticket (one is opened when none is
given), and its refund is a line of the compensation ledger that the team's discretionary budget
does not carry, so order, ticket and money stay linked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.jalali import format_jalali
from mehvar.core.models import Channel, Department, EventKind, User
from mehvar.core.persian import normalize_text
from mehvar.core.roles import Perm
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.models import Order, OrderLine, OrderStatus
from mehvar.customers.services import require
from mehvar.service.compensation import limit_of, rial_text, write_entry
from mehvar.service.models import (
    CompensationKind,
    DeskSettings,
    InspectionResult,
    ReturnRequest,
    ReturnStatus,
    Ticket,
    TicketChannel,
    TicketKind,
)
from mehvar.service.tickets import require_work, ticket_create

REASON_MAX: Final = 500
# A returned order was refunded already (an import's «مرجوع», or the shop's own system).
_NOT_RETURNABLE: Final = (OrderStatus.PENDING, OrderStatus.CANCELLED, OrderStatus.RETURNED)


def guarantee_ends(order: Order) -> datetime:
    """The last moment of the money-back guarantee: N days after delivery (or the sale)."""
    start = order.delivered_at or order.placed_at
    return start + timedelta(days=DeskSettings.current().guarantee_days)


def returnable_quantity(line: OrderLine) -> int:
    """What of the line may still come back: bought less what is returning or has returned."""
    taken = (
        ReturnRequest.objects.filter(line=line)
        .exclude(status=ReturnStatus.REJECTED)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return line.quantity - int(taken or 0)


def paid_for(line: OrderLine, quantity: int) -> int:
    """What the customer paid for ``quantity`` of the line, the order's discount spread evenly."""
    order = line.order
    gross = sum(other.quantity * other.unit_price for other in order.lines.all())
    value = quantity * line.unit_price
    if gross <= 0 or order.total >= gross:
        return value
    return value * order.total // gross


def _record(ret: ReturnRequest, actor: User | None, summary: str) -> None:
    record_touchpoint(
        customer=ret.ticket.customer,
        kind=EventKind.RETURN,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=summary,
        actor=actor,
        ref=ret,
        data={"ticket": ret.ticket_id, "order": ret.order_id, "status": ret.status},
    )


@transaction.atomic
def return_request(
    *,
    actor: User,
    line: OrderLine,
    quantity: int,
    reason: str,
    ticket: Ticket | None = None,
    now: datetime | None = None,
) -> ReturnRequest:
    """Ask to return part of an order line; opens a return ticket when none is given."""
    require(actor, Perm.RETURN_MANAGE)
    now = now or timezone.now()
    # Locking the line serialises two requests for the same goods. Only the line's own row:
    # PostgreSQL refuses FOR UPDATE on the nullable side of the product's outer join.
    line = (
        OrderLine.objects.select_for_update(of=("self",))
        .select_related("order", "product")
        .get(pk=line.pk)
    )
    order = line.order
    reason = normalize_text(reason or "")
    errors: dict[str, object] = {}
    if not reason:
        errors["reason"] = gettext_lazy("Say why the goods come back.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = gettext_lazy("At most %(n)d characters.") % {"n": REASON_MAX}
    left = returnable_quantity(line)
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        errors["quantity"] = gettext_lazy("Enter a whole number above zero.")
    elif quantity > left:
        errors["quantity"] = gettext_lazy("At most %(n)d of this line can still come back.") % {
            "n": left
        }
    if ticket is not None and ticket.customer_id != order.customer_id:
        errors["ticket"] = gettext_lazy("This ticket belongs to another customer.")
    if errors:
        raise ValidationFailed(errors)  # type: ignore[arg-type]
    if order.status in _NOT_RETURNABLE:
        raise ServiceError(
            _("Only a paid, shipped or delivered order can be returned."), code=ErrorCode.CONFLICT
        )
    ends = guarantee_ends(order)
    if now > ends:
        raise ServiceError(
            _("The money-back guarantee of this order ended on %(date)s.")
            % {"date": format_jalali(ends, persian_digits=translation.get_language() != "en")},
            code=ErrorCode.CONFLICT,
        )
    item = line.description or (line.product.name if line.product else "")
    if ticket is None:
        ticket = ticket_create(
            actor=actor,
            customer=order.customer,
            subject=_("Return of %(item)s from order %(order)s")
            % {
                "item": item[:100],
                "order": order.number,
            },
            body=reason,
            channel=TicketChannel.STAFF,
            kind=TicketKind.RETURN,
            order=order,
            product=line.product,
        )
    else:
        require_work(actor, ticket)
    ret = ReturnRequest.objects.create(
        ticket=ticket,
        order=order,
        line=line,
        quantity=quantity,
        reason=reason,
        requested_at=now,
        requested_by=actor,
    )
    with override("fa"):
        summary = _("Return of %(qty)d × %(item)s (order %(order)s) requested") % {
            "qty": quantity,
            "item": item[:100],
            "order": order.number,
        }
    _record(ret, actor, summary)
    return ret


def _lock(ret: ReturnRequest) -> ReturnRequest:
    return (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("ticket__customer", "ticket__team", "line__order", "order")
        .get(pk=ret.pk)
    )


@transaction.atomic
def return_receive(*, actor: User, ret: ReturnRequest) -> ReturnRequest:
    require(actor, Perm.RETURN_MANAGE)
    ret = _lock(ret)
    require_work(actor, ret.ticket)
    if ret.status != ReturnStatus.REQUESTED:
        raise ServiceError(_("This step is not possible now."), code=ErrorCode.CONFLICT)
    ret.status = ReturnStatus.RECEIVED
    ret.received_at = timezone.now()
    ret.save(update_fields=["status", "received_at"])
    with override("fa"):
        _record(ret, actor, _("Returned goods received (R-%(id)d)") % {"id": ret.pk})
    return ret


@transaction.atomic
def return_inspect(
    *,
    actor: User,
    ret: ReturnRequest,
    result: str,
    accept: bool,
    note: str = "",
    refund_amount: int | None = None,
) -> ReturnRequest:
    """Record what the inspection found and whether the money comes back (and how much)."""
    require(actor, Perm.RETURN_MANAGE)
    ret = _lock(ret)
    require_work(actor, ret.ticket)
    if ret.status != ReturnStatus.RECEIVED:
        raise ServiceError(_("Receive the goods before inspecting them."), code=ErrorCode.CONFLICT)
    errors: dict[str, object] = {}
    if result not in InspectionResult.values:
        errors["inspection"] = gettext_lazy("Choose one of the listed options.")
    note = normalize_text(note or "")
    if len(note) > REASON_MAX:
        errors["inspection_note"] = gettext_lazy("At most %(n)d characters.") % {"n": REASON_MAX}
    if not accept and not note:
        errors["inspection_note"] = gettext_lazy("Say why the return is refused.")
    paid = paid_for(ret.line, ret.quantity)
    amount = paid if refund_amount is None else refund_amount
    if accept and (isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0):
        errors["refund_amount"] = gettext_lazy("Enter an amount above zero.")
    elif accept and amount > paid:
        errors["refund_amount"] = gettext_lazy(
            "At most what the customer paid for these goods: %(paid)s."
        ) % {"paid": rial_text(paid)}
    if errors:
        raise ValidationFailed(errors)  # type: ignore[arg-type]
    ret.inspection = result
    ret.inspection_note = note
    ret.inspected_by = actor
    ret.inspected_at = timezone.now()
    ret.status = ReturnStatus.ACCEPTED if accept else ReturnStatus.REJECTED
    ret.refund_amount = amount if accept else None
    ret.save(
        update_fields=[
            "inspection",
            "inspection_note",
            "inspected_by",
            "inspected_at",
            "status",
            "refund_amount",
        ]
    )
    with override("fa"):
        summary = (
            _("Return R-%(id)d accepted: %(amount)s to refund")
            % {"id": ret.pk, "amount": rial_text(amount)}
            if accept
            else _("Return R-%(id)d refused: %(note)s") % {"id": ret.pk, "note": note[:200]}
        )
    _record(ret, actor, summary)
    return ret


@transaction.atomic
def return_refund(*, actor: User, ret: ReturnRequest) -> ReturnRequest:
    """Pay the accepted refund: a ledger line outside the budget, within the person's limit."""
    require(actor, Perm.RETURN_MANAGE)
    ret = _lock(ret)
    require_work(actor, ret.ticket)
    if ret.status != ReturnStatus.ACCEPTED or ret.refund_amount is None:
        raise ServiceError(_("Only an accepted return can be refunded."), code=ErrorCode.CONFLICT)
    if ret.refund_amount > limit_of(actor):
        raise PermissionDenied(
            _("This refund is above your limit of %(limit)s: ask a manager.")
            % {"limit": rial_text(limit_of(actor))}
        )
    with override("fa"):
        reason = _("Money-back guarantee: return R-%(id)d of order %(order)s") % {
            "id": ret.pk,
            "order": ret.order.number,
        }
    ret.refund = write_entry(
        ticket=ret.ticket,
        kind=CompensationKind.REFUND,
        amount=ret.refund_amount,
        reason=reason,
        granted_by=actor,
        counts_to_budget=False,
    )
    ret.status = ReturnStatus.REFUNDED
    ret.save(update_fields=["refund", "status"])
    with override("fa"):
        _record(
            ret,
            actor,
            _("Return R-%(id)d refunded: %(amount)s")
            % {"id": ret.pk, "amount": rial_text(ret.refund_amount)},
        )
    return ret
