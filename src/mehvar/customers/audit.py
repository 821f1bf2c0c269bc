"""The audit log: who changed which customer data, when, from what to what (simple-history)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mehvar.customers.models import Customer, Interaction, Note, Order, Task

AUDITED = (Customer, Order, Interaction, Note, Task)
_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    who: str
    action: str
    model: str
    object_id: int
    customer_id: int | None
    label: str
    changes: tuple[FieldChange, ...]


def _customer_id(record: Any) -> int | None:
    if isinstance(record.instance_type, type) and issubclass(record.instance_type, Customer):
        return int(record.id)
    return getattr(record, "customer_id", None)


def audit_entries(*, customer_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest changes, each with the fields it changed and their values before and after."""
    entries: list[AuditEntry] = []
    for model in AUDITED:
        history = model.history.select_related("history_user")
        if customer_id is not None:
            key = "id" if model is Customer else "customer_id"
            history = history.filter(**{key: customer_id})
        for record in history.order_by("-history_date")[:limit]:
            changes: tuple[FieldChange, ...] = ()
            previous = record.prev_record if record.history_type == "~" else None
            if previous is not None:
                delta = record.diff_against(previous)
                changes = tuple(FieldChange(c.field, c.old, c.new) for c in delta.changes)
            user = record.history_user
            entries.append(
                AuditEntry(
                    at=record.history_date,
                    who=(user.get_full_name() or user.username) if user else "",
                    action=_TYPES.get(record.history_type, record.history_type),
                    model=str(model._meta.verbose_name),
                    object_id=record.id,
                    customer_id=_customer_id(record),
                    label=str(record.instance)[:80],
                    changes=changes,
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]
