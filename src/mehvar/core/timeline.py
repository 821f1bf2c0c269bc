"""The spine: every app records what happened to a customer through :func:`record_touchpoint`.

Nobody keeps a private copy of a customer's story (seed 002); the customer page reads this one
table for every role. Events are typed (``EventKind``) and name who did what.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from mehvar.core.models import Channel, Department, Direction, EventKind, TimelineEvent, User


class _HasPk(Protocol):
    pk: Any


def ref_of(obj: models.Model) -> tuple[str, str]:
    """The soft reference stored on an event: ("app_label.model", "pk")."""
    return obj._meta.label_lower, str(obj.pk)


def record_touchpoint(
    *,
    customer: _HasPk,
    kind: EventKind,
    channel: Channel,
    department: Department,
    summary: str,
    direction: Direction = Direction.INTERNAL,
    outcome: str = "",
    actor: User | None = None,
    ref: models.Model | tuple[str, str] | None = None,
    occurred_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Append one event to the customer's timeline. Call it inside the writing transaction."""
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise ValueError("Timeline times must be timezone-aware.")
    ref_type, ref_id = ("", "")
    if isinstance(ref, models.Model):
        ref_type, ref_id = ref_of(ref)
    elif ref is not None:
        ref_type, ref_id = ref
    return TimelineEvent.objects.create(
        customer_id=customer.pk,
        kind=kind,
        channel=channel,
        department=department,
        direction=direction,
        summary=summary[:500],
        outcome=outcome[:255],
        actor=actor if actor is not None and actor.is_authenticated else None,
        ref_type=ref_type,
        ref_id=ref_id,
        occurred_at=occurred_at or timezone.now(),
        data=data or {},
    )


def timeline_for(*, customer_id: int, kinds: list[str] | None = None) -> QuerySet[TimelineEvent]:
    events = TimelineEvent.objects.filter(customer_id=customer_id).select_related("actor")
    if kinds:
        events = events.filter(kind__in=kinds)
    return events


def timeline_move(*, source_customer_id: int, target_customer_id: int) -> int:
    """Re-home every event of a merged record so the surviving record tells both stories."""
    return TimelineEvent.objects.filter(customer_id=source_customer_id).update(
        customer_id=target_customer_id
    )
