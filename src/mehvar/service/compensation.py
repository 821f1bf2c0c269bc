"""Compensation (جبران خسارت, seed 003): granted within a person's limit and the team's budget,
written to an append-only ledger.

A grant above the agent's own limit becomes a request that someone whose limit covers it
approves. Every grant locks its team's row first, so two agents granting at the same moment are
served one after the other and the second sees the first's entry before checking the budget;
the month's spending is the sum of the ledger, never a counter that could drift.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from mehvar.core.errors import ErrorCode, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.jalali import from_jalali, to_jalali
from mehvar.core.models import Channel, Department, EventKind, User
from mehvar.core.money import format_amount
from mehvar.core.persian import normalize_text
from mehvar.core.roles import Perm, Role
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.services import require
from mehvar.service.models import (
    ApprovalLimit,
    CompensationEntry,
    CompensationKind,
    CompensationRequest,
    RequestStatus,
    Team,
    Ticket,
)
from mehvar.service.tickets import in_team, is_lead, require_work

# Rial; used until the admin sets a role's limit (service 500,000 Toman, manager 5,000,000).
DEFAULT_LIMITS: Final[dict[str, int]] = {
    Role.SERVICE: 5_000_000,
    Role.MANAGER: 50_000_000,
    Role.ADMIN: 500_000_000,
}
AMOUNT_MAX: Final = 10**13  # a trillion Toman: anything above is a typing slip
REASON_MAX: Final = 500


def limit_of(user: User) -> int:
    """The most this person may grant in one compensation on their own authority (Rial)."""
    row = ApprovalLimit.objects.filter(role=user.role).first()
    if row is not None:
        return row.max_amount
    return DEFAULT_LIMITS.get(user.role, 0)


def month_start(now: datetime) -> datetime:
    """The first moment of the Jalali month that ``now`` falls in, Tehran time."""
    tz = ZoneInfo(settings.TIME_ZONE)
    year, month, _day = to_jalali(now, tz=tz)
    first = from_jalali(year, month, 1)
    return datetime(first.year, first.month, first.day, tzinfo=tz)


def _next_month_start(now: datetime) -> datetime:
    tz = ZoneInfo(settings.TIME_ZONE)
    year, month, _day = to_jalali(now, tz=tz)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    first = from_jalali(year, month, 1)
    return datetime(first.year, first.month, first.day, tzinfo=tz)


def spent_this_month(team: Team, now: datetime | None = None) -> int:
    """Net budget spending of the team in the Jalali month of ``now``: grants less reversals."""
    now = now or timezone.now()
    # A reversal gives back to the month of the grant it undoes: undoing last month's grant
    # must not make room this month. Bounded on both sides, so an earlier month does not count
    # later ones.
    total = (
        CompensationEntry.objects.filter(team=team, counts_to_budget=True)
        .annotate(budget_time=Coalesce("reverses__created_at", "created_at"))
        .filter(budget_time__gte=month_start(now), budget_time__lt=_next_month_start(now))
        .aggregate(total=Sum("amount"))["total"]
    )
    return int(total or 0)


@dataclass(frozen=True)
class Budget:
    team: Team
    budget: int
    spent: int

    @property
    def left(self) -> int:
        return max(self.budget - self.spent, 0)


def budget_of(team: Team, now: datetime | None = None) -> Budget:
    return Budget(team=team, budget=team.monthly_budget, spent=spent_this_month(team, now))


def rial_text(amount: int) -> str:
    """An amount in the company's unit and the reader's digits (Persian unless English)."""
    return format_amount(
        amount,
        unit="rial" if settings.MEHVAR_CURRENCY_UNIT == "rial" else "toman",
        persian_digits=translation.get_language() != "en",
    )


def _clean(kind: str, amount: int | str, reason: str) -> tuple[str, int, str]:
    errors: dict[str, object] = {}
    if kind not in CompensationKind.values:
        errors["kind"] = gettext_lazy("Choose one of the listed options.")
    value = amount if isinstance(amount, int) and not isinstance(amount, bool) else None
    if value is None or value <= 0:
        errors["amount"] = gettext_lazy("Enter an amount above zero.")
    elif value > AMOUNT_MAX:
        errors["amount"] = gettext_lazy("This amount is too large.")
    reason = normalize_text(reason or "")
    if not reason:
        errors["reason"] = gettext_lazy("Say why the customer is compensated.")
    elif len(reason) > REASON_MAX:
        errors["reason"] = gettext_lazy("At most %(n)d characters.") % {"n": REASON_MAX}
    if errors:
        raise ValidationFailed(errors)  # type: ignore[arg-type]
    return kind, int(amount), reason


def _voucher_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread over the phone
    return "MV-" + "".join(secrets.choice(alphabet) for _ in range(8))


def write_entry(
    *,
    ticket: Ticket,
    kind: str,
    amount: int,
    reason: str,
    granted_by: User,
    approved_by: User | None = None,
    counts_to_budget: bool = True,
) -> CompensationEntry:
    """Append a grant to the ledger within the team's budget. Call inside a transaction."""
    # One instant for the budget's month and the line's own time, so a grant near midnight at
    # a month's end is checked against the month it is written in.
    now = timezone.now()
    team = ticket.team
    if counts_to_budget:
        if team is None:
            raise ServiceError(
                _("Put the ticket in a team first: compensation is paid from a team's budget."),
                code=ErrorCode.CONFLICT,
            )
        spender = approved_by or granted_by
        if not (is_lead(spender) or in_team(spender, team)):
            raise PermissionDenied(_("Only the team's members or a manager may spend its budget."))
        # The lock that serialises every grant of this team (PostgreSQL row lock).
        team = Team.objects.select_for_update().get(pk=team.pk)
        budget = budget_of(team, now)
        if amount > budget.left:
            raise ServiceError(
                _(
                    "This would go over the team's budget for the month: %(left)s is left of "
                    "%(budget)s."
                )
                % {"left": rial_text(budget.left), "budget": rial_text(budget.budget)},
                code=ErrorCode.CONFLICT,
            )
    entry = CompensationEntry.objects.create(
        ticket=ticket,
        customer_id=ticket.customer_id,
        team=team,
        kind=kind,
        amount=amount,
        reason=reason,
        code=_voucher_code() if kind == CompensationKind.VOUCHER else "",
        granted_by=granted_by,
        approved_by=approved_by,
        counts_to_budget=counts_to_budget,
        created_at=now,
    )
    with override("fa"):
        label = str(CompensationKind(kind).label) if kind in CompensationKind.values else kind
        summary = _("%(ticket)s: %(kind)s of %(amount)s — %(reason)s") % {
            "ticket": ticket.number,
            "kind": label,
            "amount": rial_text(amount),
            "reason": reason[:200],
        }
    record_touchpoint(
        customer=ticket.customer,
        kind=EventKind.COMPENSATION,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=summary,
        actor=approved_by or granted_by,
        ref=entry,
        occurred_at=now,
        data={"ticket": ticket.pk, "amount": amount, "kind": kind, "code": entry.code},
    )
    return entry


def granted_alone(person: User, ticket: Ticket) -> int:
    """Net amount ``person`` granted on ``ticket`` on their own authority (no approval)."""
    own = Q(granted_by=person, approved_by__isnull=True, reverses__isnull=True)
    undone = Q(reverses__granted_by=person, reverses__approved_by__isnull=True)
    total = CompensationEntry.objects.filter(own | undone, ticket=ticket, counts_to_budget=True)
    return int(total.aggregate(total=Sum("amount"))["total"] or 0)


@transaction.atomic
def compensation_grant(
    *, actor: User, ticket: Ticket, kind: str, amount: int, reason: str
) -> CompensationEntry | CompensationRequest:
    """Grant within one's own limit, or ask for approval above it (returns the request)."""
    require(actor, Perm.COMPENSATION_GRANT)
    # Locked, so two grants on one ticket at once are counted one after the other against the
    # person's limit (``granted_alone`` reads the first before the second decides).
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "team")
        .get(pk=ticket.pk)
    )
    require_work(actor, ticket)
    kind, amount, reason = _clean(kind, amount, reason)
    # The limit covers what one person gives on one ticket, together: five grants of a limit
    # each are one compensation that needed an approval.
    if amount + granted_alone(actor, ticket) > limit_of(actor):
        request = CompensationRequest.objects.create(
            ticket=ticket, kind=kind, amount=amount, reason=reason, requested_by=actor
        )
        with override("fa"):
            summary = _("%(ticket)s: compensation of %(amount)s waits for approval") % {
                "ticket": ticket.number,
                "amount": rial_text(amount),
            }
        record_touchpoint(
            customer=ticket.customer,
            kind=EventKind.COMPENSATION,
            channel=Channel.SYSTEM,
            department=Department.SERVICE,
            summary=summary,
            actor=actor,
            ref=request,
            data={"ticket": ticket.pk, "amount": amount, "kind": kind, "pending": True},
        )
        return request
    return write_entry(ticket=ticket, kind=kind, amount=amount, reason=reason, granted_by=actor)


@transaction.atomic
def compensation_decide(
    *, actor: User, request: CompensationRequest, approve: bool, note: str = ""
) -> CompensationRequest:
    """Approve (writing the ledger entry) or reject a pending request, once."""
    require(actor, Perm.COMPENSATION_APPROVE)
    request = (
        CompensationRequest.objects.select_for_update(of=("self",))
        .select_related("ticket__customer", "ticket__team", "requested_by")
        .get(pk=request.pk)
    )
    if request.status != RequestStatus.PENDING:
        raise ServiceError(_("This request was already decided."), code=ErrorCode.CONFLICT)
    note = normalize_text(note or "")[:REASON_MAX]
    if approve:
        if request.requested_by_id == actor.pk:
            raise PermissionDenied(_("You cannot approve your own request."))
        if request.amount > limit_of(actor):
            raise PermissionDenied(
                _("This is above your approval limit of %(limit)s.")
                % {"limit": rial_text(limit_of(actor))}
            )
        request.entry = write_entry(
            ticket=request.ticket,
            kind=request.kind,
            amount=request.amount,
            reason=request.reason,
            granted_by=request.requested_by,
            approved_by=actor,
        )
        request.status = RequestStatus.APPROVED
    else:
        if not note:
            raise ValidationFailed({"note": gettext_lazy("Say why the request is rejected.")})
        request.status = RequestStatus.REJECTED
        with override("fa"):
            summary = _("%(ticket)s: compensation of %(amount)s rejected — %(note)s") % {
                "ticket": request.ticket.number,
                "amount": rial_text(request.amount),
                "note": note,
            }
        record_touchpoint(
            customer=request.ticket.customer,
            kind=EventKind.COMPENSATION,
            channel=Channel.SYSTEM,
            department=Department.SERVICE,
            summary=summary,
            actor=actor,
            ref=request,
            data={"ticket": request.ticket_id, "amount": request.amount, "rejected": True},
        )
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "entry"])
    return request


@transaction.atomic
def compensation_reverse(
    *, actor: User, entry: CompensationEntry, reason: str
) -> CompensationEntry:
    """Undo a grant with a new, negative entry; the original line stays as it was written."""
    require(actor, Perm.COMPENSATION_APPROVE)
    entry = CompensationEntry.objects.select_related("ticket__customer").get(pk=entry.pk)
    if entry.reverses_id is not None:
        raise ServiceError(_("A reversal cannot be reversed."), code=ErrorCode.CONFLICT)
    reason = normalize_text(reason or "")
    if not reason:
        raise ValidationFailed({"reason": gettext_lazy("Say why the grant is reversed.")})
    if len(reason) > REASON_MAX:
        raise ValidationFailed(
            {"reason": gettext_lazy("At most %(n)d characters.") % {"n": REASON_MAX}}
        )
    if entry.team_id is not None:
        Team.objects.select_for_update().get(pk=entry.team_id)
    if CompensationEntry.objects.filter(reverses=entry).exists():
        raise ServiceError(_("This grant was already reversed."), code=ErrorCode.CONFLICT)
    try:
        with transaction.atomic():
            reversal = CompensationEntry.objects.create(
                ticket=entry.ticket,
                # The ticket's customer: after a merge the ticket moved, the original line not.
                customer_id=entry.ticket.customer_id,
                team_id=entry.team_id,
                kind=entry.kind,
                amount=-entry.amount,
                reason=reason,
                granted_by=actor,
                reverses=entry,
                counts_to_budget=entry.counts_to_budget,
                created_at=timezone.now(),
            )
    except IntegrityError as exc:
        raise ServiceError(_("This grant was already reversed."), code=ErrorCode.CONFLICT) from exc
    with override("fa"):
        summary = _("%(ticket)s: compensation of %(amount)s reversed — %(reason)s") % {
            "ticket": entry.ticket.number,
            "amount": rial_text(entry.amount),
            "reason": reason[:200],
        }
    record_touchpoint(
        customer=entry.ticket.customer,
        kind=EventKind.COMPENSATION,
        channel=Channel.SYSTEM,
        department=Department.SERVICE,
        summary=summary,
        actor=actor,
        ref=reversal,
        data={"ticket": entry.ticket_id, "amount": -entry.amount, "reverses": entry.pk},
    )
    return reversal
