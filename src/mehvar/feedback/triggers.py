"""Surveys sent by rule: "N days after an order is delivered, invite its customer".

Run hourly. Every order a rule weighs gets one :class:`TriggerDecision` (invited, or skipped and
why), unique per (rule, order), and a decided order is never weighed again: a skip stays a skip,
and orders that can never be invited do not fill the batch ahead of newer ones. The invitation
also carries the natural key ``rule:<rule>:order:<order>`` (unique in the database), so a rerun,
a retried task or two workers at once can never invite twice for the same order.

Only recent events count: an order delivered between ``delay_days + GRACE_DAYS`` and
``delay_days`` ago, and after the rule was made (or switched back on). Creating a rule, switching
it on again or re-opening its survey must not survey every customer the shop ever had, and an
invitation about a weeks-old order reads as a mistake. A customer who withdrew consent for the
channel, has no address on it, or was already invited to this survey in the last ``QUIET_DAYS``
is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mehvar.core.errors import ServiceError
from mehvar.customers.models import Order, OrderStatus
from mehvar.feedback.models import (
    Invitation,
    SurveyStatus,
    TriggerDecision,
    TriggerEvent,
    TriggerOutcome,
    TriggerRule,
)
from mehvar.feedback.responding import invitation_create

log = logging.getLogger(__name__)

QUIET_DAYS: Final = 30
# How late an invitation may still go out after its day (the worker was down, the batch full).
GRACE_DAYS: Final = 3
BATCH: Final = 500  # orders per rule and run; the next hourly run goes on where this one stopped


@dataclass
class TriggerReport:
    invited: int = 0
    skipped: int = 0


def trigger_key(rule: TriggerRule, order: Order) -> str:
    return f"rule:{rule.pk}:order:{order.pk}"


def window_start(rule: TriggerRule, now: datetime) -> datetime:
    """The earliest delivery a run may still invite for: recent, and while the rule was on."""
    earliest = now - timedelta(days=rule.delay_days + GRACE_DAYS)
    return max(earliest, rule.created_at, rule.active_since or rule.created_at)


def triggers_run() -> TriggerReport:
    report = TriggerReport()
    now = timezone.now()
    rules = TriggerRule.objects.filter(
        is_active=True, survey__status=SurveyStatus.ACTIVE, event=TriggerEvent.ORDER_DELIVERED
    ).select_related("survey")
    for rule in rules:
        decided = TriggerDecision.objects.filter(rule=rule, order=OuterRef("pk"))
        due = (
            Order.objects.filter(
                status=OrderStatus.DELIVERED,
                delivered_at__gte=window_start(rule, now),
                delivered_at__lte=now - timedelta(days=rule.delay_days),
                customer__merged_into__isnull=True,
            )
            .filter(~Exists(decided))
            .select_related("customer")
            .order_by("delivered_at", "pk")[:BATCH]
        )
        for order in due:
            outcome = _decide(rule, order, now)
            if outcome == TriggerOutcome.INVITED:
                report.invited += 1
            elif outcome == TriggerOutcome.SKIPPED:
                report.skipped += 1
    return report


def _decide(rule: TriggerRule, order: Order, now: datetime) -> TriggerOutcome | None:
    """Invite for one order or skip it, and record which, in one transaction.

    Returns None when another worker decided the same order meanwhile (nothing was done here).
    """
    try:
        with transaction.atomic():
            outcome, reason = _invite_or_skip(rule, order, now)
            TriggerDecision.objects.create(
                rule=rule, order=order, outcome=outcome, reason=reason[:200], decided_at=now
            )
    except IntegrityError:
        # The decision or the invitation's key is taken: a concurrent run got here first.
        log.info("survey rule %s: order %s was decided by another run", rule.pk, order.pk)
        return None
    return outcome


def _invite_or_skip(rule: TriggerRule, order: Order, now: datetime) -> tuple[TriggerOutcome, str]:
    recent = Invitation.objects.filter(
        survey=rule.survey,
        customer=order.customer,
        created_at__gte=now - timedelta(days=QUIET_DAYS),
    ).exists()
    if recent:
        return TriggerOutcome.SKIPPED, "invited lately"
    try:
        with transaction.atomic():
            invitation_create(
                actor=None,
                survey=rule.survey,
                customer=order.customer,
                channel=rule.channel,
                trigger_key=trigger_key(rule, order),
            )
    except ServiceError as exc:
        log.info("survey rule %s skipped order %s: %s", rule.pk, order.pk, exc)
        return TriggerOutcome.SKIPPED, f"{exc.code}: {exc}"
    return TriggerOutcome.INVITED, ""
