"""Reads of customer data: search, list filters, the 360 view."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.expressions import OrderBy
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from mehvar.core.models import TimelineEvent, User
from mehvar.core.national_id import is_valid_national_code
from mehvar.core.persian import search_key, to_latin_digits
from mehvar.core.phones import mobile_search_prefix
from mehvar.core.timeline import timeline_for
from mehvar.customers.models import (
    Consent,
    Customer,
    Interaction,
    Note,
    Order,
    Task,
    TaskStatus,
)

# The upper end of a prefix range: every string starting with p sorts below p + this.
_HIGH = "\U0010ffff"


def _prefix(field_name: str, prefix: str) -> Q:
    return Q(**{f"{field_name}__gte": prefix, f"{field_name}__lt": prefix + _HIGH})


def search_condition(query: str) -> Q | None:
    """A Q that finds customers by name, mobile, email or national code from one search box.

    Every branch is a prefix range on an indexed, normalised column, so it stays fast on a
    million rows. None means the query is empty.
    """
    text = search_key(query)
    if not text:
        return None
    digits = to_latin_digits(text).replace(" ", "").replace("-", "")
    condition = Q()
    if digits.lstrip("+").isdigit():
        phone = mobile_search_prefix(digits)
        if phone:
            condition |= _prefix("mobile", phone)
        if len(digits) == 10 and is_valid_national_code(digits):
            condition |= Q(national_id=digits)
        elif len(digits) >= 3:
            condition |= _prefix("national_id", digits)
        condition |= Q(external_id=digits)
        return condition
    if "@" in text:
        return _prefix("email_key", text.lower())
    condition = _prefix("name_key", text) | _prefix("name_key_rev", text)
    if len(text) >= 3 and " " not in text:
        condition |= _prefix("email_key", text.lower())
    return condition


# The analytics scores are read through the reverse one-to-one ``score`` (insights app) by
# lookup name only: customers never imports insights. Customers without a score sort last.
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "name": ("name_key", "id"),
    "-name": ("-name_key", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "clv": (F("score__clv").desc(nulls_last=True), "id"),
    "p_alive": (F("score__p_alive").desc(nulls_last=True), "id"),
    "revenue": (F("score__revenue_rank").asc(nulls_last=True), "id"),
}


@dataclass
class CustomerFilters:
    q: str = ""
    province: str = ""
    city: str = ""
    stage: str = ""
    kind: str = ""
    source: str = ""
    tag: str = ""
    owner: int | None = None
    mine: bool = False
    created_from: date | None = None
    created_to: date | None = None
    segment: str = ""
    churn_risk: str = ""
    top: bool = False
    sort: str = "name"
    extra: dict[str, Any] = field(default_factory=dict)


def customer_list(*, viewer: User, filters: CustomerFilters) -> QuerySet[Customer]:
    """Live customers for the list, the API and exports. Everyone may read every customer."""
    customers = Customer.objects.filter(merged_into__isnull=True).select_related("owner")
    condition = search_condition(filters.q)
    if condition is not None:
        customers = customers.filter(condition)
    exact = {
        "province": filters.province,
        "city": filters.city,
        "lifecycle_stage": filters.stage,
        "kind": filters.kind,
        "acquisition_source": filters.source,
    }
    customers = customers.filter(**{k: v for k, v in exact.items() if v})
    if filters.tag:
        customers = customers.filter(tags__name=filters.tag)
    if filters.mine:
        customers = customers.filter(owner=viewer)
    elif filters.owner:
        customers = customers.filter(owner_id=filters.owner)
    if filters.created_from:
        customers = customers.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        customers = customers.filter(created_at__date__lte=filters.created_to)
    scores = {"score__segment": filters.segment, "score__churn_risk": filters.churn_risk}
    customers = customers.filter(**{k: v for k, v in scores.items() if v})
    if filters.top:
        customers = customers.filter(score__is_top=True)
    ordering = SORTS.get(filters.sort, SORTS["name"])
    if condition is not None:
        # Sort the matches, don't walk an index in sort order looking for them: PostgreSQL
        # would otherwise scan the whole name index when the hits come from the last-name or
        # email branch (seconds at a million rows). An expression cannot use the index order.
        return customers.order_by(*(_unindexed(term) for term in ordering))
    return customers.order_by(*ordering)


def _unindexed(term: str | OrderBy) -> OrderBy:
    if isinstance(term, OrderBy):
        return term  # already an expression (a score sort); no name index to avoid
    name = term.lstrip("-")
    return OrderBy(Coalesce(F(name), F(name)), descending=term.startswith("-"))


@dataclass(frozen=True)
class CustomerStats:
    order_count: int
    total_spent: int
    last_order_at: Any
    open_tasks: int


def customer_stats(customer: Customer) -> CustomerStats:
    orders = Order.objects.filter(customer=customer).exclude(status__in=["cancelled", "returned"])
    agg = orders.aggregate(n=Count("id"), total=Sum("total"), last=Max("placed_at"))
    return CustomerStats(
        order_count=agg["n"] or 0,
        total_spent=agg["total"] or 0,
        last_order_at=agg["last"],
        open_tasks=Task.objects.filter(customer=customer, status=TaskStatus.OPEN).count(),
    )


def customer_consents(customer: Customer) -> dict[str, Consent]:
    return {c.channel: c for c in Consent.objects.filter(customer=customer)}


def customer_timeline(
    customer: Customer, *, kinds: list[str] | None = None
) -> QuerySet[TimelineEvent]:
    return timeline_for(customer_id=customer.pk, kinds=kinds)


LIST_COLUMNS = [
    ("id", _("ID")),
    ("display_name", _("Name")),
    ("mobile", _("Mobile")),
    ("email", _("Email")),
    ("province", _("Province")),
    ("city", _("City")),
    ("lifecycle_stage", _("Lifecycle stage")),
    ("owner", _("Owner")),
    ("created_at", _("Created")),
]


def _matching(queryset: QuerySet[Any], **conditions: Any) -> QuerySet[Any]:
    """Filter by the conditions that were given; an empty value means "any"."""
    return queryset.filter(**{key: value for key, value in conditions.items() if value})


def order_list(
    *,
    customer_id: int | None = None,
    status: str | None = None,
    placed_from: date | None = None,
    placed_to: date | None = None,
) -> QuerySet[Order]:
    orders = _matching(
        Order.objects.prefetch_related("lines__product"),
        customer_id=customer_id,
        status=status,
        placed_at__date__gte=placed_from,
        placed_at__date__lte=placed_to,
    )
    return orders.order_by("-placed_at", "-id")


def interaction_list(
    *, customer_id: int | None = None, channel: str | None = None
) -> QuerySet[Interaction]:
    interactions = _matching(Interaction.objects.all(), customer_id=customer_id, channel=channel)
    return interactions.order_by("-occurred_at", "-id")


def note_list(*, customer_id: int | None = None) -> QuerySet[Note]:
    return _matching(Note.objects.all(), customer_id=customer_id).order_by("-created_at", "-id")


def task_list(
    *, customer_id: int | None = None, assignee_id: int | None = None, status: str | None = None
) -> QuerySet[Task]:
    tasks = _matching(
        Task.objects.all(), customer_id=customer_id, assignee_id=assignee_id, status=status
    )
    return tasks.order_by("due_at", "id")
