"""Surveys sent by rule: "N days after an order is delivered, invite its customer".

Run hourly. Each invitation carries the natural key ``rule:<rule>:order:<order>`` (unique in the
database), so a rerun, a retried task or two workers at once can never invite twice for the same
order. Only orders delivered after the rule was made count — creating a rule must not survey
every customer the shop ever had. A customer who withdrew consent for the channel, has no
address on it, or was already invited to this survey in the last ``QUIET_DAYS`` is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from django.db import transaction
from django.utils import timezone

from mehvar.core.errors import ServiceError
from mehvar.customers.models import Order, OrderStatus
from mehvar.feedback.models import Invitation, SurveyStatus, TriggerEvent, TriggerRule
from mehvar.feedback.responding import invitation_create

log = logging.getLogger(__name__)

QUIET_DAYS: Final = 30
BATCH: Final = 500


@dataclass
class TriggerReport:
    invited: int = 0
    skipped: int = 0


def trigger_key(rule: TriggerRule, order: Order) -> str:
    return f"rule:{rule.pk}:order:{order.pk}"


def triggers_run() -> TriggerReport:
    report = TriggerReport()
    now = timezone.now()
    rules = TriggerRule.objects.filter(
        is_active=True, survey__status=SurveyStatus.ACTIVE, event=TriggerEvent.ORDER_DELIVERED
    ).select_related("survey")
    for rule in rules:
        due = (
            Order.objects.filter(
                status=OrderStatus.DELIVERED,
                delivered_at__gte=rule.created_at,
                delivered_at__lte=now - timedelta(days=rule.delay_days),
                customer__merged_into__isnull=True,
            )
            .exclude(pk__in=_already_keyed(rule))
            .select_related("customer")
            .order_by("delivered_at")[:BATCH]
        )
        for order in due:
            recent = Invitation.objects.filter(
                survey=rule.survey,
                customer=order.customer,
                created_at__gte=now - timedelta(days=QUIET_DAYS),
            ).exists()
            if recent:
                report.skipped += 1
                continue
            try:
                with transaction.atomic():
                    invitation_create(
                        actor=None,
                        survey=rule.survey,
                        customer=order.customer,
                        channel=rule.channel,
                        trigger_key=trigger_key(rule, order),
                    )
                report.invited += 1
            except ServiceError as exc:
                log.info("survey rule %s skipped order %s: %s", rule.pk, order.pk, exc)
                report.skipped += 1
    return report


def _already_keyed(rule: TriggerRule) -> list[int]:
    prefix = f"rule:{rule.pk}:order:"
    keys = Invitation.objects.filter(trigger_key__startswith=prefix).values_list(
        "trigger_key", flat=True
    )
    return [int(key.removeprefix(prefix)) for key in keys if key]
