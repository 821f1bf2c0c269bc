"""Duplicates and merging: two records of one person become one, and no history is lost."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from mehvar.core.errors import ErrorCode, ServiceError
from mehvar.core.models import Channel, EventKind, User
from mehvar.core.roles import Perm
from mehvar.core.timeline import record_touchpoint, timeline_move
from mehvar.customers.models import (
    Consent,
    ConsentChange,
    ConsentStatus,
    Customer,
    Interaction,
    Note,
    Order,
    Task,
)
from mehvar.customers.services import department_of, refresh_search_keys, require

# Fields the survivor takes from the merged record when its own are empty.
_FILLABLE = (
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "email",
    "birth_date",
    "province",
    "city",
    "address",
    "postal_code",
    "acquisition_source",
    "company_id",
    "owner_id",
)
_UNIQUE = ("mobile", "national_id", "external_id")


@transaction.atomic
def customer_merge(*, actor: User, source: Customer, target: Customer) -> Customer:
    """Fold ``source`` into ``target``. The source stays as a tombstone pointing at the target."""
    require(actor, Perm.CUSTOMER_MERGE)
    if source.pk == target.pk:
        raise ServiceError(
            _("A record cannot be merged into itself."), code=ErrorCode.MERGE_INVALID
        )
    # Lock both rows in a fixed order so two merges of the same pair cannot interleave.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.is_merged or target.is_merged:
        raise ServiceError(
            _("One of these records was already merged."), code=ErrorCode.MERGE_INVALID
        )
    if source.kind != target.kind:
        raise ServiceError(
            _("A person and a company cannot be merged."), code=ErrorCode.MERGE_INVALID
        )

    changed: list[str] = []
    for name in _FILLABLE:
        if not getattr(target, name) and getattr(source, name):
            setattr(target, name, getattr(source, name))
            changed.append(name)
    phones = list(target.other_phones)
    moved_unique = {}
    for name in _UNIQUE:
        value = getattr(source, name)
        if not value:
            continue
        if not getattr(target, name):
            moved_unique[name] = value
        elif name == "mobile" and value not in phones:
            phones.append(value)
    if source.other_phones:
        phones += [p for p in source.other_phones if p not in phones and p != target.mobile]
    # Free the source's unique values first: the unique indexes would refuse two holders.
    for name in _UNIQUE:
        setattr(source, name, None)
    source.merged_into = target
    source.save(update_fields=[*_UNIQUE, "merged_into"])
    for name, value in moved_unique.items():
        setattr(target, name, value)
        changed.append(name)
    if phones != target.other_phones:
        target.other_phones = phones
        changed.append("other_phones")
    refresh_search_keys(target)
    target.save()

    Order.objects.filter(customer=source).update(customer=target)
    Interaction.objects.filter(customer=source).update(customer=target)
    Note.objects.filter(customer=source).update(customer=target)
    Task.objects.filter(customer=source).update(customer=target)
    ConsentChange.objects.filter(customer=source).update(customer=target)
    Customer.objects.filter(company=source).update(company=target)
    _move_followers(source, target)
    target.tags.add(*source.tags.all())
    _merge_consents(source, target)
    moved_events = timeline_move(source_customer_id=source.pk, target_customer_id=target.pk)
    record_touchpoint(
        customer=target,
        kind=EventKind.CUSTOMER_MERGED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=_("Record #%(source)s (%(name)s) merged into this one")
        % {"source": source.pk, "name": source.display_name},
        actor=actor,
        ref=source,
        data={"source_id": source.pk, "fields_taken": changed, "events_moved": moved_events},
    )
    return target


def _move_followers(source: Customer, target: Customer) -> None:
    """Other apps' rows that belong with the customer (tickets …) follow the merge.

    This app cannot import them (they build on it); a model opts in with the class attribute
    ``follows_customer_merge = True`` on its ``customer`` foreign key's model.
    """
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if getattr(model, "follows_customer_merge", False) and relation.field.name == "customer":
            model._default_manager.filter(customer=source).update(customer=target)


def _merge_consents(source: Customer, target: Customer) -> None:
    """A withdrawal on either record wins: merging must never re-subscribe anyone."""
    theirs = {c.channel: c for c in Consent.objects.filter(customer=source)}
    ours = {c.channel: c for c in Consent.objects.filter(customer=target)}
    for channel, their in theirs.items():
        our = ours.get(channel)
        if our is None:
            their.customer = target
            their.save(update_fields=["customer"])
            continue
        if their.status == ConsentStatus.WITHDRAWN or (
            our.status == ConsentStatus.UNKNOWN and their.status == ConsentStatus.GRANTED
        ):
            our.status, our.source, our.changed_at = their.status, their.source, their.changed_at
            our.save(update_fields=["status", "source", "changed_at"])
        their.delete()


@dataclass(frozen=True)
class DuplicateGroup:
    reason: str
    key: str
    customer_ids: tuple[int, ...]


def duplicate_groups(*, limit: int = 50) -> list[DuplicateGroup]:
    """Likely duplicates: one email on several records, or one name in one city.

    Mobile and national code are unique, so duplicates hide behind a second number; these two
    grouped queries use the name and email indexes and stay cheap on large tables.
    """
    live = Customer.objects.filter(merged_into__isnull=True)
    groups: list[DuplicateGroup] = []
    by_email = (
        live.exclude(email_key="")
        .values("email_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n")[:limit]
    )
    for row in by_email:
        ids = tuple(live.filter(email_key=row["email_key"]).values_list("pk", flat=True))
        groups.append(DuplicateGroup(reason="email", key=row["email_key"], customer_ids=ids))
    by_name = (
        live.exclude(Q(name_key="") | Q(city=""))
        .values("name_key", "city")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n")[:limit]
    )
    for pair in by_name:
        ids = tuple(
            live.filter(name_key=pair["name_key"], city=pair["city"]).values_list("pk", flat=True)
        )
        groups.append(
            DuplicateGroup(
                reason="name_city", key=f"{pair['name_key']} / {pair['city']}", customer_ids=ids
            )
        )
    return groups[:limit]
