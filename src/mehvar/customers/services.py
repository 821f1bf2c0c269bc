"""Every write to customer data goes through here, in a transaction, with its timeline event.

Permissions are checked before anything is written (EspoCRM CVE-2026-41160 wrote first).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mehvar.core.errors import (
    Duplicate,
    ErrorCode,
    PermissionDenied,
    ServiceError,
    ValidationFailed,
)
from mehvar.core.models import Channel, Department, Direction, EventKind, User
from mehvar.core.persian import normalize_text, search_key
from mehvar.core.roles import (
    DEPARTMENT_OF_ROLE,
    Perm,
    can_edit_customer,
    can_reassign_owner,
    has_perm,
)
from mehvar.core.timeline import record_touchpoint
from mehvar.customers.fields import clean_customer
from mehvar.customers.models import (
    CUSTOMER_OWN_SOURCES,
    Consent,
    ConsentChange,
    ConsentChannel,
    ConsentSource,
    ConsentStatus,
    Customer,
    CustomerKind,
    Interaction,
    Note,
    Tag,
    Task,
    TaskStatus,
)

UNIQUE_FIELDS = ("mobile", "national_id", "external_id")
_UNIQUE_LABELS = {
    "mobile": gettext_lazy("This mobile already belongs to customer #%(id)s."),
    "national_id": gettext_lazy("This national code already belongs to customer #%(id)s."),
    "external_id": gettext_lazy("This external id already belongs to customer #%(id)s."),
}


def require(user: User, perm: Perm) -> None:
    if not has_perm(user, perm):
        raise PermissionDenied(_("Your role may not do this."))


def require_edit(user: User, customer: Customer) -> None:
    if not can_edit_customer(user, customer):
        raise PermissionDenied(_("You may only edit customers you own."))


def department_of(user: User | None) -> Department:
    if user is None or not user.is_authenticated:
        return Department.SYSTEM
    return Department(DEPARTMENT_OF_ROLE.get(user.role, Department.SYSTEM))


def refresh_search_keys(customer: Customer) -> None:
    if customer.kind == CustomerKind.COMPANY:
        customer.name_key = customer.name_key_rev = search_key(customer.company_name)
    else:
        customer.name_key = search_key(f"{customer.first_name} {customer.last_name}")
        customer.name_key_rev = search_key(f"{customer.last_name} {customer.first_name}")
    customer.email_key = customer.email.lower()


def attribute_history(instance: Any, actor: User | None) -> None:
    """Name the employee on the audit-log row even outside a web request (imports, tasks)."""
    if actor is not None and actor.is_authenticated:
        instance._history_user = actor


def _conflicts(values: Mapping[str, Any], *, exclude_id: int | None) -> dict[str, int]:
    """Which unique values already belong to another (unmerged) customer, and whose."""
    query = Q()
    for name in UNIQUE_FIELDS:
        if values.get(name):
            query |= Q(**{name: values[name]})
    if not query:
        return {}
    found: dict[str, int] = {}
    others = Customer.objects.filter(query)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    for other in others.only("pk", *UNIQUE_FIELDS):
        for name in UNIQUE_FIELDS:
            if values.get(name) and getattr(other, name) == values[name]:
                found[name] = other.pk
    return found


def _raise_duplicate(conflicts: dict[str, int]) -> None:
    errors = {name: _UNIQUE_LABELS[name] % {"id": pk} for name, pk in conflicts.items()}
    raise Duplicate(errors, existing_id=next(iter(conflicts.values())))


def _set_tags(customer: Customer, names: Iterable[str]) -> None:
    tags = []
    for name in names:
        tag, _created = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    customer.tags.set(tags)


def _owner_value(
    actor: User, owner: User | object | None, *, creating: bool, current: User | None = None
) -> User | None:
    if owner is _UNSET:
        return actor if creating and actor.role == "sales" else None
    # Without a lead's right one may take an unowned customer or let go of one's own, never
    # move someone else's customer (to oneself or to nobody).
    moves_others = owner not in (None, actor) or current not in (None, actor)
    if moves_others and not can_reassign_owner(actor):
        raise PermissionDenied(_("Only a manager may assign customers to someone else."))
    return owner  # type: ignore[return-value]


_UNSET = object()


@transaction.atomic
def customer_create(
    *,
    actor: User,
    data: Mapping[str, Any],
    owner: User | object | None = _UNSET,
    company: Customer | None = None,
    channel: Channel = Channel.SYSTEM,
    source_label: str = "",
) -> Customer:
    """Create a customer from raw input. Raises ValidationFailed or Duplicate (409)."""
    require(actor, Perm.CUSTOMER_CREATE)
    values, errors = clean_customer(data)
    if company is not None:
        errors.update(_company_problem(Customer(kind=values.get("kind", "")), company))
    if errors:
        raise ValidationFailed(errors)
    conflicts = _conflicts(values, exclude_id=None)
    if conflicts:
        _raise_duplicate(conflicts)
    tags = values.pop("tags", [])
    customer = Customer(**values, created_by=actor, company=company)
    customer.owner = _owner_value(actor, owner, creating=True)
    refresh_search_keys(customer)
    attribute_history(customer, actor)
    try:
        # A savepoint, so a racing duplicate leaves the outer transaction usable.
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        conflicts = _conflicts(values, exclude_id=None)
        if conflicts:
            _raise_duplicate(conflicts)
        raise
    if tags:
        _set_tags(customer, tags)
    record_touchpoint(
        customer=customer,
        kind=EventKind.CUSTOMER_CREATED,
        channel=channel,
        department=department_of(actor),
        summary=_("Customer record created") + (f" ({source_label})" if source_label else ""),
        actor=actor,
        ref=customer,
    )
    return customer


def _still_named(customer: Customer, values: Mapping[str, Any]) -> dict[str, Any]:
    """A partial update may not leave a person or a company without a name."""
    after = {
        n: values.get(n, getattr(customer, n))
        for n in ("kind", "first_name", "last_name", "company_name")
    }
    if after["kind"] == CustomerKind.COMPANY and not after["company_name"]:
        return {"company_name": gettext_lazy("A company needs its name.")}
    if after["kind"] == CustomerKind.PERSON and not (after["first_name"] or after["last_name"]):
        return {"last_name": gettext_lazy("Enter a first or last name.")}
    return {}


def _company_problem(customer: Customer, company: object) -> dict[str, Any]:
    if company is None:
        return {}
    if not isinstance(company, Customer) or company.kind != CustomerKind.COMPANY:
        return {"company": gettext_lazy("Choose a company record.")}
    if company.pk == customer.pk or company.is_merged:
        return {"company": gettext_lazy("Choose another company record.")}
    return {}


def _field_label(name: str) -> str:
    field = Customer._meta.get_field(name)
    return str(getattr(field, "verbose_name", name))


@dataclass(frozen=True)
class UpdateResult:
    customer: Customer
    changed: tuple[str, ...]


@transaction.atomic
def customer_update(
    *,
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    owner: User | object | None = _UNSET,
    company: Customer | object | None = _UNSET,
    record_event: bool = True,
) -> UpdateResult:
    """Change only the fields given; unchanged input writes nothing (re-imports are no-ops)."""
    require_edit(actor, customer)
    values, errors = clean_customer(data, partial=True, current_kind=customer.kind)
    errors.update(_still_named(customer, values))
    if company is not _UNSET:
        errors.update(_company_problem(customer, company))
    if errors:
        raise ValidationFailed(errors)
    conflicts = _conflicts(values, exclude_id=customer.pk)
    if conflicts:
        _raise_duplicate(conflicts)
    tags = values.pop("tags", None)
    changed = [name for name, value in values.items() if getattr(customer, name) != value]
    if owner is not _UNSET and owner != customer.owner:
        customer.owner = _owner_value(actor, owner, creating=False, current=customer.owner)
        changed.append("owner")
    if company is not _UNSET and company != customer.company:
        customer.company = company  # type: ignore[assignment]
        changed.append("company")
    for name in changed:
        if name not in ("owner", "company"):
            setattr(customer, name, values[name])
    if tags is not None and sorted(tags) != sorted(customer.tags.values_list("name", flat=True)):
        _set_tags(customer, tags)
        changed.append("tags")
    model_changes = [name for name in changed if name != "tags"]
    if model_changes:
        refresh_search_keys(customer)
        attribute_history(customer, actor)
        customer.save(
            update_fields=[*model_changes, "name_key", "name_key_rev", "email_key", "updated_at"]
        )
    if changed and record_event:
        labels = ", ".join(_field_label(name) for name in changed)
        record_touchpoint(
            customer=customer,
            kind=EventKind.CUSTOMER_UPDATED,
            channel=Channel.SYSTEM,
            department=department_of(actor),
            summary=_("Profile updated: %(fields)s") % {"fields": labels},
            actor=actor,
            ref=customer,
            data={"fields": changed},
        )
    return UpdateResult(customer=customer, changed=tuple(changed))


@transaction.atomic
def customer_delete(*, actor: User, customer: Customer) -> None:
    require(actor, Perm.CUSTOMER_DELETE)
    if customer.orders.exists():
        raise ServiceError(
            _("A customer with orders cannot be deleted; merge or keep the record."),
            code=ErrorCode.CONFLICT,
        )
    try:
        with transaction.atomic():
            customer.delete()
    except ProtectedError as exc:
        # Tickets and the compensation ledger keep their customer: that history stays.
        raise ServiceError(
            _("This customer has tickets or compensation on record; merge or keep the record."),
            code=ErrorCode.CONFLICT,
        ) from exc


@transaction.atomic
def consent_set(
    *,
    actor: User | None,
    customer: Customer,
    channel: ConsentChannel | str,
    status: ConsentStatus | str,
    source: ConsentSource | str,
    evidence: str = "",
    at: datetime | None = None,
) -> Consent:
    """Record a consent decision and its history.

    A withdrawal the customer made themselves (link, SMS reply, their own form) can only be
    undone by the customer: staff, imports and the API cannot clear it (SECURITY.md #12).
    """
    if actor is not None:
        require(actor, Perm.CONSENT_EDIT)
    channel, status, source = ConsentChannel(channel), ConsentStatus(status), ConsentSource(source)
    at = at or timezone.now()
    consent, _created = Consent.objects.select_for_update().get_or_create(
        customer=customer, channel=channel, defaults={"source": source, "changed_at": at}
    )
    if consent.status == status and not _created:
        return consent
    if (
        status == ConsentStatus.GRANTED
        and consent.status == ConsentStatus.WITHDRAWN
        and consent.source in CUSTOMER_OWN_SOURCES
        and source not in CUSTOMER_OWN_SOURCES
    ):
        raise ServiceError(
            _("The customer opted out themselves; only the customer can opt in again."),
            code=ErrorCode.CONSENT_LOCKED,
        )
    consent.status, consent.source, consent.changed_at = status, source, at
    consent.save(update_fields=["status", "source", "changed_at"])
    ConsentChange.objects.create(
        customer=customer,
        channel=channel,
        status=status,
        source=source,
        evidence=normalize_text(evidence)[:255],
        actor=actor,
        changed_at=at,
    )
    record_touchpoint(
        customer=customer,
        kind=EventKind.CONSENT_CHANGED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=_("%(channel)s consent: %(status)s (%(source)s)")
        % {"channel": channel.label, "status": status.label, "source": source.label},
        actor=actor,
        ref=consent,
        occurred_at=at,
    )
    return consent


@transaction.atomic
def interaction_log(
    *,
    actor: User,
    customer: Customer,
    channel: Channel | str,
    direction: Direction | str,
    summary: str,
    outcome: str = "",
    occurred_at: datetime | None = None,
    department: Department | str | None = None,
) -> Interaction:
    require(actor, Perm.INTERACTION_LOG)
    summary = normalize_text(summary)
    if not summary:
        raise ValidationFailed({"summary": gettext_lazy("Write what was said.")})
    if occurred_at is not None and timezone.is_naive(occurred_at):
        raise ValidationFailed({"occurred_at": gettext_lazy("The time needs a time zone.")})
    if occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationFailed({"occurred_at": gettext_lazy("A contact cannot be in the future.")})
    interaction = Interaction(
        customer=customer,
        channel=Channel(channel),
        department=Department(department) if department else department_of(actor),
        direction=Direction(direction),
        summary=summary[:500],
        outcome=normalize_text(outcome)[:255],
        employee=actor,
        occurred_at=occurred_at or timezone.now(),
    )
    attribute_history(interaction, actor)
    interaction.save()
    record_touchpoint(
        customer=customer,
        kind=EventKind.INTERACTION,
        channel=Channel(interaction.channel),
        department=Department(interaction.department),
        direction=Direction(interaction.direction),
        summary=interaction.summary,
        outcome=interaction.outcome,
        actor=actor,
        ref=interaction,
        occurred_at=interaction.occurred_at,
    )
    return interaction


@transaction.atomic
def note_add(*, actor: User, customer: Customer, body: str) -> Note:
    require(actor, Perm.NOTE_ADD)
    body = normalize_text(body) if "\n" not in body else body.strip()
    if not body:
        raise ValidationFailed({"body": gettext_lazy("The note is empty.")})
    note = Note(customer=customer, body=body[:5000], author=actor)
    attribute_history(note, actor)
    note.save()
    record_touchpoint(
        customer=customer,
        kind=EventKind.NOTE_ADDED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=body[:500],
        actor=actor,
        ref=note,
    )
    return note


@transaction.atomic
def task_create(
    *, actor: User, customer: Customer, title: str, due_at: datetime, assignee: User | None = None
) -> Task:
    require(actor, Perm.TASK_ADD)
    title = normalize_text(title)
    if not title:
        raise ValidationFailed({"title": gettext_lazy("Give the task a title.")})
    if timezone.is_naive(due_at):
        raise ValidationFailed({"due_at": gettext_lazy("The due time needs a time zone.")})
    task = Task(
        customer=customer,
        title=title[:200],
        due_at=due_at,
        assignee=assignee or actor,
        created_by=actor,
    )
    attribute_history(task, actor)
    task.save()
    record_touchpoint(
        customer=customer,
        kind=EventKind.TASK_CREATED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=task.title,
        actor=actor,
        ref=task,
        data={"due_at": due_at.isoformat(), "assignee": task.assignee_id},
    )
    return task


@transaction.atomic
def task_complete(*, actor: User, task: Task) -> Task:
    if actor.pk not in (task.assignee_id, task.created_by_id) and not can_reassign_owner(actor):
        raise PermissionDenied(
            _("Only the assignee, its creator or a manager may close this task.")
        )
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status != TaskStatus.OPEN:
        return task
    task.status, task.completed_at = TaskStatus.DONE, timezone.now()
    attribute_history(task, actor)
    task.save(update_fields=["status", "completed_at"])
    record_touchpoint(
        customer=task.customer,
        kind=EventKind.TASK_COMPLETED,
        channel=Channel.SYSTEM,
        department=department_of(actor),
        summary=task.title,
        actor=actor,
        ref=task,
    )
    return task


@transaction.atomic
def customer_for_contact(
    *,
    data: Mapping[str, Any],
    channel: Channel,
    source_label: str,
) -> Customer:
    """The customer who wrote in by themselves (a web form, an email): found or created.

    Matched on mobile, then email; nobody is logged in, so the record is created by the system
    and its owner is left empty. Raises ValidationFailed for what the person typed wrong.
    """
    values, errors = clean_customer(data)
    if errors:
        raise ValidationFailed(errors)
    if not values.get("mobile") and not values.get("email"):
        raise ValidationFailed(
            {"mobile": gettext_lazy("Give a mobile number or an email address.")}
        )
    found = None
    if values.get("mobile"):
        found = Customer.objects.filter(mobile=values["mobile"], merged_into=None).first()
    if found is None and values.get("email"):
        found = (
            Customer.objects.filter(email_key=values["email"].lower(), merged_into=None)
            .order_by("pk")
            .first()
        )
    if found is not None:
        return found
    values.pop("tags", None)
    customer = Customer(**values)
    refresh_search_keys(customer)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        # Someone else created this mobile a moment ago: theirs is ours.
        if not values.get("mobile"):
            raise
        return Customer.objects.get(mobile=values["mobile"])
    record_touchpoint(
        customer=customer,
        kind=EventKind.CUSTOMER_CREATED,
        channel=channel,
        department=Department.SYSTEM,
        summary=_("Customer record created") + f" ({source_label})",
        ref=customer,
    )
    return customer
