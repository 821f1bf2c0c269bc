"""Creating many customers at once, recording for each what ``customer_create`` records.

``customer_create`` costs a dozen statements per customer (conflict check, insert, history row,
tags, timeline event); a 100,000-row file would take most of an hour. Here one chunk of new
customers is inserted with a few bulk statements that leave the database exactly as the same
number of ``customer_create`` calls would: the customer rows (search keys filled, owner and
creator set the same way), one "+" audit row each attributed to the importing employee, their
tags, and one ``customer_created`` timeline event each with the same summary.

The caller guarantees that the records were validated by ``clean_customer`` and that none of
their identifiers is taken (it matched them against the database); a record that was taken
meanwhile by a concurrent writer makes the bulk insert fail as a whole (unique index), and the
caller then creates the chunk one by one through ``customer_create``.

TODO(lead): this belongs in ``customers/services.py`` (``customer_bulk_create``) with the
timeline part as ``record_touchpoints`` in ``core/timeline.py``; it lives here because this
task may not edit those modules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mehvar.core.models import Channel, Direction, EventKind, TimelineEvent, User
from mehvar.core.roles import Perm, Role
from mehvar.core.timeline import ref_of
from mehvar.customers.models import Customer, Tag
from mehvar.customers.services import department_of, refresh_search_keys, require


@transaction.atomic
def customers_bulk_create(
    *, actor: User, records: Sequence[Mapping[str, Any]], source_label: str = ""
) -> list[Customer]:
    """Create one customer per clean record (``clean_customer`` output, tags included)."""
    require(actor, Perm.CUSTOMER_CREATE)
    # customer_create's default owner: a sales person owns what they add, others leave it open.
    owner = actor if actor.role == Role.SALES else None
    customers: list[Customer] = []
    tag_names: list[list[str]] = []
    for record in records:
        values = dict(record)
        tag_names.append(list(values.pop("tags", None) or []))
        customer = Customer(**values, created_by=actor, owner=owner)
        refresh_search_keys(customer)
        customers.append(customer)
    if not customers:
        return customers
    Customer.objects.bulk_create(customers)
    Customer.history.bulk_history_create(customers, default_user=actor)
    _add_tags(customers, tag_names)
    summary = _("Customer record created") + (f" ({source_label})" if source_label else "")
    department = department_of(actor)
    now = timezone.now()
    events = []
    for customer in customers:
        ref_type, ref_id = ref_of(customer)
        events.append(
            TimelineEvent(
                customer_id=customer.pk,
                kind=EventKind.CUSTOMER_CREATED,
                channel=Channel.SYSTEM,
                department=department,
                direction=Direction.INTERNAL,
                summary=summary[:500],
                actor=actor,
                ref_type=ref_type,
                ref_id=ref_id,
                occurred_at=now,
            )
        )
    TimelineEvent.objects.bulk_create(events)
    return customers


def _add_tags(customers: list[Customer], tag_names: list[list[str]]) -> None:
    wanted = {name for names in tag_names for name in names}
    if not wanted:
        return
    tags = {tag.name: tag for tag in Tag.objects.filter(name__in=wanted)}
    for name in sorted(wanted - set(tags)):
        tags[name], _created = Tag.objects.get_or_create(name=name)
    through = Customer.tags.through
    through.objects.bulk_create(
        through(customer_id=customer.pk, tag_id=tags[name].pk)
        for customer, names in zip(customers, tag_names, strict=True)
        for name in dict.fromkeys(names)
    )
