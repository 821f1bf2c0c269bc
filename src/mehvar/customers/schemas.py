"""What the API accepts and returns. Input schemas list only the fields a client may set.

Values that people type (mobile, national code, email, province) stay raw strings here:
``clean_customer`` and the services normalise and judge them once for forms, API and import.
The schemas only bound sizes and types, so that nothing reaches the database that it would
refuse with a 500 (NUL bytes, integers past 64 bits, datetimes without a zone).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from ninja.pagination import PageNumberPagination
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    field_validator,
    model_validator,
)

from mehvar.core.jalali import parse_date
from mehvar.core.persian import to_latin_digits

MAX_ID = 2**63 - 1
# 10^15 Rials is far beyond any order, and a hundred lines of it still fit a 64-bit total.
MAX_AMOUNT = 10**15
MAX_QUANTITY = 1_000_000
RIALS = "Integer amount in Rials (1 Toman = 10 Rials)."


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL and lone surrogates with an error, not a validation message.
    for char in value:
        if char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs"):
            raise ValueError("Control characters are not allowed.")
    return value


def _latin_digits(value: Any) -> Any:
    return to_latin_digits(value).strip() if isinstance(value, str) else value


def _any_calendar(value: Any) -> Any:
    if value is None or isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueError("Expected a date such as 2024-03-24 or 1403/01/05.")
    return parse_date(value)


def _sane_moment(value: datetime) -> datetime:
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("Date is out of range.") from exc
    if not 1900 <= utc.year <= 2200:
        raise ValueError("Date is out of range.")
    return value


Str32 = Annotated[str, Field(max_length=32), AfterValidator(_printable)]
Str50 = Annotated[str, Field(max_length=50), AfterValidator(_printable)]
Str64 = Annotated[str, Field(max_length=64), AfterValidator(_printable)]
Str100 = Annotated[str, Field(max_length=100), AfterValidator(_printable)]
Str200 = Annotated[str, Field(max_length=200), AfterValidator(_printable)]
Str255 = Annotated[str, Field(max_length=255), AfterValidator(_printable)]
Str254 = Annotated[str, Field(max_length=254), AfterValidator(_printable)]
Str500 = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
Str1000 = Annotated[str, Field(max_length=1000), AfterValidator(_printable)]
Str5000 = Annotated[str, Field(max_length=5000), AfterValidator(_printable)]

# Constraints come before the digit converter: after it, pydantic would drop them from the
# OpenAPI document (they would still hold, but clients and schemathesis would not see them).
Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_latin_digits)]
Amount = Annotated[
    int, Field(ge=0, le=MAX_AMOUNT, description=RIALS), BeforeValidator(_latin_digits)
]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(_latin_digits)]
AnyDate = Annotated[
    date,
    BeforeValidator(_any_calendar),
    Field(description="Gregorian (2024-03-24) or Jalali (1403/01/05), any digits."),
]
Moment = Annotated[
    AwareDatetime,
    AfterValidator(_sane_moment),
    Field(description="ISO 8601 with a UTC offset, e.g. 2024-03-24T10:30:00+03:30."),
]


Kind = Literal["person", "company"]
Stage = Literal["lead", "prospect", "customer", "advocate", "former"]
Source = Literal[
    "walk_in",
    "website",
    "instagram",
    "referral",
    "campaign",
    "marketplace",
    "phone",
    "exhibition",
    "other",
]
ContactChannel = Literal["call", "sms", "email", "web", "in_store", "social"]
ContactDirection = Literal["inbound", "outbound"]
OrderChannelValue = Literal["in_store", "website", "phone", "marketplace", "social"]
OrderStatusValue = Literal["pending", "paid", "shipped", "delivered", "cancelled", "returned"]
TaskStatusValue = Literal["open", "done", "cancelled"]
ConsentChannelValue = Literal["sms", "email", "call"]
Sort = Literal["name", "-name", "created", "-created"]


class In(Schema):
    """A request body: an unknown field (``role``, ``created_by``…) is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000)
        page_size: int = Field(50, ge=1, le=200)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(page_size=50, max_page_size=200, **kwargs)


PAGE_PARAMS = frozenset(Pages.Input.model_fields)


# --- errors ---------------------------------------------------------------------------------
class ErrorOut(Schema):
    code: str
    detail: str
    errors: dict[str, str] | None = Field(None, description="Message per field.")
    existing_id: int | None = Field(None, description="The record a duplicate collides with.")


ERRORS: dict[int, type[Schema]] = dict.fromkeys((400, 401, 403, 404, 409, 413, 422), ErrorOut)


# --- who am I -------------------------------------------------------------------------------
class MeOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    permissions: list[str]


# --- customers ------------------------------------------------------------------------------
class CustomerIn(In):
    kind: Kind = "person"
    first_name: Str100 = ""
    last_name: Str100 = ""
    company_name: Str200 = ""
    job_title: Str100 = ""
    mobile: Str32 | None = Field(None, description="Any Iranian form: 0912…, +98912…, ۰۹۱۲…")
    other_phones: list[Str32] = Field(default_factory=list, max_length=10)
    email: Str254 = ""
    national_id: Str32 | None = Field(None, description="کد ملی (person) or company id.")
    birth_date: AnyDate | None = None
    province: Str64 = Field("", description="Province code or name (تهران, Tehran, tehran).")
    city: Str64 = ""
    address: Str1000 = ""
    postal_code: Str32 = ""
    acquisition_source: Source | Literal[""] = ""
    tags: list[Str50] = Field(default_factory=list, max_length=20)
    lifecycle_stage: Stage = "lead"
    external_id: Str64 | None = None
    owner_id: Id | None = Field(None, description="Only a manager may give a customer to others.")
    company_id: Id | None = Field(None, description="The company record a person works for.")


class CustomerPatch(In):
    """Only the fields sent change. ``null`` clears a field, except kind and stage."""

    kind: Kind | None = None
    first_name: Str100 | None = None
    last_name: Str100 | None = None
    company_name: Str200 | None = None
    job_title: Str100 | None = None
    mobile: Str32 | None = None
    other_phones: list[Str32] | None = Field(None, max_length=10)
    email: Str254 | None = None
    national_id: Str32 | None = None
    birth_date: AnyDate | None = None
    province: Str64 | None = None
    city: Str64 | None = None
    address: Str1000 | None = None
    postal_code: Str32 | None = None
    acquisition_source: Source | Literal[""] | None = None
    tags: list[Str50] | None = Field(None, max_length=20)
    lifecycle_stage: Stage | None = None
    external_id: Str64 | None = None
    owner_id: Id | None = Field(None, description="Only a manager may give a customer to others.")
    company_id: Id | None = Field(None, description="The company record a person works for.")

    @field_validator("kind", "lifecycle_stage")
    @classmethod
    def _not_null(cls, value: str | None) -> str:
        # Defaults are not validated, so this runs only for a null the client sent.
        if value is None:
            raise ValueError("This field cannot be null.")
        return value


class CustomerOut(Schema):
    id: int
    kind: str
    first_name: str
    last_name: str
    company_name: str
    job_title: str
    display_name: str
    mobile: str | None
    other_phones: list[str]
    email: str
    national_id: str | None
    birth_date: date | None
    province: str
    city: str
    address: str
    postal_code: str
    acquisition_source: str
    tags: list[str]
    owner_id: int | None
    company_id: int | None
    lifecycle_stage: str
    external_id: str | None
    merged_into_id: int | None = Field(description="Set when this record was merged away.")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tags(obj: Any) -> list[str]:
        return [tag.name for tag in obj.tags.all()]


class CustomerQuery(Schema):
    q: Str200 = Field("", description="Name, mobile, email or national code.")
    province: Str64 = ""
    city: Str64 = ""
    stage: Stage | None = None
    kind: Kind | None = None
    source: Source | None = None
    tag: Str50 = ""
    owner: Id | None = None
    mine: bool = False
    created_from: AnyDate | None = None
    created_to: AnyDate | None = None
    sort: Sort = "name"


class MergeIn(In):
    source_id: Id = Field(description="This record is folded into the one in the path.")


class DuplicateGroupOut(Schema):
    reason: str
    key: str
    customer_ids: list[int]


class TimelineEventOut(Schema):
    id: int
    occurred_at: datetime
    kind: str
    channel: str
    department: str
    direction: str
    summary: str
    outcome: str
    actor_id: int | None
    ref_type: str
    ref_id: str
    data: dict[str, Any]


# --- consents -------------------------------------------------------------------------------
class ConsentIn(In):
    channel: ConsentChannelValue
    status: Literal["granted", "withdrawn"]
    # A customer's own opt-out can only be undone by the customer, so the API may not speak
    # in the customer's name (SECURITY.md #12).
    source: Literal["staff", "api"] = "api"
    evidence: Str255 = ""


class ConsentOut(Schema):
    channel: str
    status: str
    source: str
    changed_at: datetime


class ConsentChangeOut(Schema):
    id: int
    channel: str
    status: str
    source: str
    evidence: str
    actor_id: int | None
    changed_at: datetime


class ConsentsOut(Schema):
    current: list[ConsentOut]
    history: list[ConsentChangeOut]


# --- orders ---------------------------------------------------------------------------------
class OrderLineIn(In):
    product_sku: Str64 | None = None
    description: Str200 = ""
    quantity: Quantity = 1
    unit_price: Amount


class OrderIn(In):
    customer_id: Id
    number: Str64
    placed_at: Moment | None = None
    channel: OrderChannelValue = "in_store"
    status: OrderStatusValue = "paid"
    discount: Amount = 0
    note: Str500 = ""
    lines: list[OrderLineIn] = Field(min_length=1, max_length=100)

    @model_validator(mode="after")
    def _total_fits(self) -> OrderIn:
        if sum(line.quantity * line.unit_price for line in self.lines) > MAX_AMOUNT:
            raise ValueError("The order total is too large.")
        return self


class OrderPatch(In):
    status: OrderStatusValue


class OrderQuery(Schema):
    customer: Id | None = None
    status: OrderStatusValue | None = None
    placed_from: AnyDate | None = None
    placed_to: AnyDate | None = None


class OrderLineOut(Schema):
    id: int
    product_sku: str | None
    description: str
    quantity: int
    unit_price: int = Field(description=RIALS)
    line_total: int = Field(description=RIALS)

    @staticmethod
    def resolve_product_sku(obj: Any) -> str | None:
        return obj.product.sku if obj.product_id else None


class OrderOut(Schema):
    id: int
    number: str
    customer_id: int
    placed_at: datetime
    channel: str
    status: str
    discount: int = Field(description=RIALS)
    total: int = Field(description=RIALS)
    note: str
    lines: list[OrderLineOut]
    created_at: datetime

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


# --- interactions, notes, tasks -------------------------------------------------------------
class InteractionIn(In):
    customer_id: Id
    channel: ContactChannel
    direction: ContactDirection
    summary: Str500
    outcome: Str255 = ""
    occurred_at: Moment | None = None


class InteractionQuery(Schema):
    customer_id: Id | None = None
    channel: ContactChannel | None = None


class InteractionOut(Schema):
    id: int
    customer_id: int
    channel: str
    department: str
    direction: str
    summary: str
    outcome: str
    employee_id: int | None
    occurred_at: datetime


class NoteIn(In):
    customer_id: Id
    body: Str5000


class NoteQuery(Schema):
    customer_id: Id | None = None


class NoteOut(Schema):
    id: int
    customer_id: int
    body: str
    author_id: int | None
    created_at: datetime


class TaskIn(In):
    customer_id: Id
    title: Str200
    due_at: Moment
    assignee_id: Id | None = Field(None, description="Defaults to you.")


class TaskQuery(Schema):
    customer_id: Id | None = None
    assignee: Id | None = None
    status: TaskStatusValue | None = None


class TaskOut(Schema):
    id: int
    customer_id: int
    title: str
    due_at: datetime
    assignee_id: int | None
    status: str
    created_by_id: int | None
    created_at: datetime
    completed_at: datetime | None
