"""What the service desk's API accepts and returns.

Request bodies list only what a client may set (``In`` refuses any other field, so a ticket's
status, team or SLA times and a ledger line's approver or team cannot be slipped in). Text
limits are the services' own, so a body the schema accepts is never cut short later. Amounts
are whole Rials; like the order API, a string of digits in any script ("۲۵۰۰۰۰") is read too.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, field_validator, model_validator

from mehvar.core.persian import to_latin_digits
from mehvar.customers.schemas import MAX_QUANTITY, RIALS, Id, In, Str200, Str500
from mehvar.feedback.api_schemas import Text4000
from mehvar.service import sla
from mehvar.service.compensation import AMOUNT_MAX
from mehvar.service.models import OPEN_STATUSES, Ticket, TicketStatus
from mehvar.service.tickets import BODY_MAX

TicketStatusValue = Literal["new", "open", "waiting", "resolved", "closed"]
TicketKindValue = Literal["complaint", "question", "request", "return"]
PriorityValue = Literal["low", "normal", "high", "urgent"]
# "survey" is set only by turning a survey's follow-up into a ticket, never by a client.
TicketChannelValue = Literal["api", "staff", "phone", "in_store", "web", "email"]
MessageKindValue = Literal["reply", "note"]
CompensationKindValue = Literal["refund", "voucher", "free_service", "points", "other"]
RequestStatusValue = Literal["pending", "approved", "rejected"]
InspectionValue = Literal[
    "as_new", "defective", "damaged_by_use", "not_as_described", "missing_parts"
]


def _printable(value: str) -> str:
    # PostgreSQL refuses NUL and lone surrogates with an error, not a validation message.
    if any(char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ValueError("Control characters are not allowed.")
    return value


def _whole(value: Any) -> Any:
    # JSON true would otherwise be read as 1; digits may be Persian or Arabic-Indic.
    if isinstance(value, bool):
        raise ValueError("Expected a whole number.")
    return to_latin_digits(value).strip() if isinstance(value, str) else value


Body = Annotated[str, Field(max_length=BODY_MAX), AfterValidator(_printable)]
Rials = Annotated[
    int,
    Field(ge=1, le=AMOUNT_MAX, description=RIALS + " Digits in any script are accepted."),
    BeforeValidator(_whole),
]
# One type rather than a union, so that a wrong value is reported under "assignee" itself.
AssigneeFilter = Annotated[
    str, Field(pattern=r"^(me|none|[1-9][0-9]{0,17})$"), BeforeValidator(_whole)
]
Count = Annotated[int, Field(ge=1, le=MAX_QUANTITY), BeforeValidator(_whole)]


class _NoNulls(In):
    """A PATCH: only the fields sent change, and these fields cannot be emptied."""

    @field_validator("priority", "category_id", "team_id", check_fields=False)
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this runs only for a null the client sent.
        if value is None:
            raise ValueError("This field cannot be null.")
        return value


# --- tickets --------------------------------------------------------------------------------
class TicketQuery(Schema):
    status: list[TicketStatusValue] | None = Field(
        None, description="Repeat to match several: ?status=new&status=open."
    )
    assignee: AssigneeFilter | None = Field(
        None, description='"me", "none" (unassigned) or an employee id.'
    )
    team: Id | None = None
    kind: TicketKindValue | None = None
    priority: PriorityValue | None = None
    customer: Id | None = None
    overdue: bool = Field(False, description="Only open tickets past a running SLA deadline.")
    q: Str200 = Field("", description="Words of the subject, or a number: T-12 or 12.")


class TicketIn(In):
    customer_id: Id
    subject: Str200
    body: Body = Field(description="The customer's words: the ticket's first message.")
    kind: TicketKindValue = "complaint"
    priority: PriorityValue = "normal"
    category_id: Id | None = Field(None, description="Picks the team and the SLA targets.")
    order_id: Id | None = Field(None, description="An order of the same customer.")
    product_id: Id | None = None
    assignee_id: Id | None = Field(
        None,
        description="Someone else only with the right to assign; empty lets the desk choose.",
    )
    channel: TicketChannelValue = Field("api", description="Where the customer spoke to us.")


class TicketPatch(_NoNulls):
    assignee_id: Id | None = Field(None, description="null unassigns; needs the right to assign.")
    priority: PriorityValue | None = Field(None, description="Moves the SLA deadlines.")
    category_id: Id | None = Field(None, description="Moves the SLA deadlines.")
    team_id: Id | None = Field(None, description="Only into a team you belong to (or a manager).")
    confirm_identity: Literal[True] | None = Field(
        None,
        description="true: staff checked who wrote (e.g. called the number on file). "
        "It cannot be taken back.",
    )


class MessageIn(In):
    kind: MessageKindValue = Field(
        description="reply: sent to the customer (the desk's work); note: internal, anyone."
    )
    body: Body
    wait_for_customer: bool = Field(
        False, description="A reply that asks the customer something: the SLA clock stops."
    )

    @model_validator(mode="after")
    def _only_replies_wait(self) -> MessageIn:
        if self.wait_for_customer and self.kind != "reply":
            raise ValueError("Only a reply can wait for the customer.")
        return self


class StatusIn(In):
    status: TicketStatusValue
    resolution: Text4000 | None = Field(None, description="What was done; required to resolve.")


class MessageOut(Schema):
    id: int
    kind: str = Field(description="customer, reply or note (internal: never sent).")
    body: str
    author_id: int | None
    channel: str
    created_at: datetime
    sent_at: datetime | None = Field(description="When a reply left; null while it has not.")


class TicketOut(Schema):
    id: int
    number: str = Field(description="T-<id>, as the customer sees it.")
    customer_id: int
    subject: str
    kind: str
    priority: str
    status: str
    channel: str
    category_id: int | None
    team_id: int | None
    assignee_id: int | None
    order_id: int | None
    product_id: int | None
    repeat_of_id: int | None = Field(description="An earlier ticket about the same thing.")
    reopen_count: int
    identity_confirmed: bool = Field(
        description="false: a web form or email matched an existing customer on details anyone "
        "could type; not counted in the customer's figures until staff confirm it."
    )
    created_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    paused: bool = Field(description="Waiting on the customer (or resolved): no clock runs.")
    overdue: bool = Field(description="Open and past a running deadline.")

    @staticmethod
    def resolve_paused(obj: Any) -> bool:
        return obj.paused_since is not None

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        if obj.status not in OPEN_STATUSES:
            return False
        now = timezone.now()
        late_answer = (
            obj.first_responded_at is None
            and obj.first_response_due is not None
            and obj.first_response_due < now
        )
        return late_answer or (obj.resolution_due is not None and obj.resolution_due < now)


class SlaOut(Schema):
    """Seconds are business seconds (working hours, holidays off), negative once past due."""

    response_target_minutes: int
    resolution_target_minutes: int
    first_response_due: datetime | None = Field(description="null while paused or answered.")
    resolution_due: datetime | None = Field(description="null while paused.")
    response_remaining_seconds: int | None = Field(description="null once answered or closed.")
    resolution_remaining_seconds: int | None = Field(description="null once resolved.")
    paused: bool
    paused_since: datetime | None
    response_breached: bool
    resolution_breached: bool


def sla_of(ticket: Ticket, now: datetime) -> SlaOut:
    """Where the ticket stands against its targets, in business seconds.

    A deadline is the moment when the running (unpaused) business time reaches the target, so
    "remaining" is the target less the time used; that also holds while the clock is paused,
    when there is no deadline to count down to.
    """
    week = sla.work_week(around=now)
    used = sla.elapsed_seconds(ticket, now, week)
    done = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    response_target = ticket.sla_response_minutes * 60
    resolution_target = ticket.sla_resolution_minutes * 60
    answered = ticket.first_responded_at is not None
    to_answer = (ticket.response_seconds or 0) if answered else used
    to_resolve = ticket.resolution_seconds if done and ticket.resolution_seconds else used
    return SlaOut(
        response_target_minutes=ticket.sla_response_minutes,
        resolution_target_minutes=ticket.sla_resolution_minutes,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        response_remaining_seconds=None if answered or done else response_target - used,
        resolution_remaining_seconds=None if done else resolution_target - used,
        paused=ticket.paused_since is not None,
        paused_since=ticket.paused_since,
        response_breached=to_answer > response_target,
        resolution_breached=to_resolve > resolution_target,
    )


class TicketDetailOut(TicketOut):
    resolution: str
    follow_up_id: int | None = Field(description="The survey follow-up it came from.")
    sla: SlaOut
    messages: list[MessageOut] = Field(description="Oldest first, internal notes included.")

    @staticmethod
    def resolve_sla(obj: Any) -> SlaOut:
        return sla_of(obj, timezone.now())

    @staticmethod
    def resolve_messages(obj: Any) -> list[Any]:
        return list(obj.messages.all())


# --- compensation ---------------------------------------------------------------------------
class CompensationIn(In):
    kind: CompensationKindValue
    amount: Rials
    reason: Str500


class DecisionIn(In):
    approve: bool
    note: Str500 = Field("", description="Required to reject.")


class ReverseIn(In):
    reason: Str500


class RequestQuery(Schema):
    status: RequestStatusValue | None = None
    ticket: Id | None = None


class EntryOut(Schema):
    id: int
    ticket_id: int
    customer_id: int
    team_id: int | None
    kind: str
    amount: int = Field(description=RIALS + " Negative for a reversal.")
    reason: str
    code: str = Field(description="The voucher's code; empty for other kinds.")
    granted_by_id: int
    approved_by_id: int | None
    reverses_id: int | None
    reversed_by_id: int | None = Field(description="The reversal that undid this grant.")
    counts_to_budget: bool = Field(description="false for guarantee refunds of returns.")
    created_at: datetime

    @staticmethod
    def resolve_reversed_by_id(obj: Any) -> int | None:
        try:
            return int(obj.reversal.pk)
        except ObjectDoesNotExist:
            return None


class RequestOut(Schema):
    id: int
    ticket_id: int
    kind: str
    amount: int = Field(description=RIALS)
    reason: str
    status: str
    requested_by_id: int
    requested_at: datetime
    decided_by_id: int | None
    decided_at: datetime | None
    decision_note: str
    entry_id: int | None = Field(description="The ledger line an approval wrote.")


class GrantOut(Schema):
    status: Literal["granted", "pending_approval"] = Field(
        description="granted (201): within your limit, in the ledger; pending_approval (202): "
        "above it, waiting for someone whose limit covers it."
    )
    entry: EntryOut | None = None
    request: RequestOut | None = None


class TicketCompensationOut(Schema):
    net_amount: int = Field(description=RIALS + " Grants less reversals.")
    entries: list[EntryOut]
    requests: list[RequestOut]


class BudgetOut(Schema):
    team_id: int
    team: str
    month: str = Field(description="The Jalali month, e.g. 1404/05.")
    month_start: datetime
    budget: int = Field(description=RIALS)
    spent: int = Field(description=RIALS + " Grants less reversals this month.")
    left: int = Field(description=RIALS)


# --- returns --------------------------------------------------------------------------------
class ReturnIn(In):
    line_id: Id = Field(description="The order line the goods were bought on.")
    quantity: Count
    reason: Str500
    ticket_id: Id | None = Field(None, description="Empty opens a return ticket.")


class InspectIn(In):
    result: InspectionValue
    accept: bool
    note: Str500 = Field("", description="Required to refuse.")
    refund_amount: Rials | None = Field(
        None, description=RIALS + " Empty refunds what was paid for the goods."
    )


class ReturnOut(Schema):
    id: int
    ticket_id: int
    order_id: int
    line_id: int
    quantity: int
    reason: str
    status: str
    requested_at: datetime
    requested_by_id: int | None
    received_at: datetime | None
    inspection: str
    inspection_note: str
    inspected_by_id: int | None
    inspected_at: datetime | None
    refund_amount: int | None = Field(description=RIALS)
    refund_id: int | None = Field(description="The ledger line that paid it.")
