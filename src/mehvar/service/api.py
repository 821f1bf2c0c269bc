"""``/api/v1/``: tickets and their messages, compensation, budgets and returns.

Handlers parse, look up, call one service and shape the answer. Who may answer, move, grant,
approve or refund (by role, and per ticket: its assignee, its team or a manager) is decided by
the services (``tickets``, ``compensation``, ``returns``), so the API cannot drift from the
pages. Reading a ticket is open to every employee (seed 002), internal notes included: only
employees hold API tokens. Every POST honours ``Idempotency-Key`` (``core.idempotency``).
"""

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from mehvar.core.errors import NotFound, ValidationFailed
from mehvar.core.jalali import to_jalali
from mehvar.core.models import User
from mehvar.core.persian import normalize_text, to_latin_digits
from mehvar.core.roles import Perm
from mehvar.customers.api import IDEMPOTENT
from mehvar.customers.models import Customer, Order, OrderLine, Product
from mehvar.customers.schemas import ERRORS, PAGE_PARAMS, Id, Pages
from mehvar.customers.services import require
from mehvar.service import api_schemas as schemas
from mehvar.service.compensation import (
    budget_of,
    compensation_decide,
    compensation_grant,
    compensation_reverse,
    month_start,
)
from mehvar.service.models import (
    OPEN_STATUSES,
    Category,
    CompensationEntry,
    CompensationRequest,
    ReturnRequest,
    Team,
    Ticket,
    TicketMessage,
)
from mehvar.service.returns import return_inspect, return_receive, return_refund, return_request
from mehvar.service.tickets import message_add, ticket_create, ticket_transition, ticket_update

router = Router()

_NUMBER = re.compile(r"(?:[Tt]-?)?([0-9]{1,18})")


def _op(method: str, path: str, out: Any, tag: str, status: int | tuple[int, ...] = 0) -> Any:
    """Declare an operation with its success schema(s) and the shared error schema; a POST also
    documents the ``Idempotency-Key`` header that the middleware honours."""
    success = (status,) if isinstance(status, int) else status
    if success == (0,):
        success = ({"POST": 201, "DELETE": 204}.get(method, 200),)
    return router.api_operation(
        [method],
        path,
        response={**dict.fromkeys(success, out), **ERRORS},
        tags=[tag],
        openapi_extra=IDEMPOTENT if method == "POST" else None,
    )


# --- lookups --------------------------------------------------------------------------------
def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _only_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    # ninja ignores unknown query parameters; a misspelt filter must not silently list all.
    unknown = sorted(set(request.GET) - set(allowed) - PAGE_PARAMS)
    if unknown:
        raise ValidationFailed({name: _("Unknown parameter.") for name in unknown})


def _get(queryset: QuerySet[Any], pk: int, label: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("%(what)s #%(id)s does not exist.") % {"what": label, "id": pk})
    return found


def _referenced(queryset: QuerySet[Any], pk: int | None, field: str, label: str) -> Any:
    """A record named in a body: a missing one is a wrong field (422), not a missing page."""
    if pk is None:
        return None
    try:
        return _get(queryset, pk, label)
    except NotFound as exc:
        raise ValidationFailed({field: exc.message}) from exc


def _customer(customer_id: int) -> Customer:
    customer = cast(
        Customer, _referenced(Customer.objects.all(), customer_id, "customer_id", _("Customer"))
    )
    if customer.merged_into_id is not None:
        raise ValidationFailed(
            {
                "customer_id": _("Customer #%(id)s was merged into #%(target)s; use that record.")
                % {"id": customer_id, "target": customer.merged_into_id}
            }
        )
    return customer


def _employee(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationFailed({field: _("No active employee #%(id)s.") % {"id": user_id}})
    return user


@contextmanager
def _api_fields(**names: str) -> Iterator[None]:
    """The services name fields as the pages do ("assignee"); the API's are "assignee_id"."""
    try:
        yield
    except ValidationFailed as exc:
        if not set(exc.errors) & set(names):
            raise
        renamed = {names.get(field, field): message for field, message in exc.errors.items()}
        raise ValidationFailed(renamed, code=exc.code) from exc


def _ticket(pk: int) -> Ticket:
    return cast(Ticket, _get(Ticket.objects.all(), pk, _("Ticket")))


# --- presentation ---------------------------------------------------------------------------
def _ticket_out(pk: int) -> Ticket:
    # Shaped by ``TicketDetailOut`` (its resolvers add the SLA block and the messages).
    return Ticket.objects.prefetch_related("messages").get(pk=pk)


def _entries() -> QuerySet[CompensationEntry]:
    return CompensationEntry.objects.select_related("reversal")


# --- tickets --------------------------------------------------------------------------------
@_op("GET", "/tickets", list[schemas.TicketOut], "tickets")
@paginate(Pages)
def tickets_list(request: HttpRequest, filters: Query[schemas.TicketQuery]) -> QuerySet[Ticket]:
    _only_params(request, schemas.TicketQuery.model_fields)
    user = _actor(request)
    require(user, Perm.TICKET_VIEW)
    tickets = Ticket.objects.all()
    if filters.status:
        tickets = tickets.filter(status__in=filters.status)
    if filters.assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee is not None:
        tickets = tickets.filter(assignee_id=int(filters.assignee))
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.kind:
        tickets = tickets.filter(kind=filters.kind)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.customer is not None:
        tickets = tickets.filter(customer_id=filters.customer)
    if filters.overdue:
        now = timezone.now()
        # A paused ticket has no deadlines, so it is never overdue while it waits.
        tickets = tickets.filter(status__in=OPEN_STATUSES).filter(
            Q(first_responded_at__isnull=True, first_response_due__lt=now)
            | Q(resolution_due__lt=now)
        )
    text = normalize_text(filters.q)
    if text:
        match = Q(subject__icontains=text)
        number = _NUMBER.fullmatch(to_latin_digits(text))
        if number:
            match |= Q(pk=int(number.group(1)))
        tickets = tickets.filter(match)
    return tickets


@_op("POST", "/tickets", schemas.TicketDetailOut, "tickets")
def tickets_create(request: HttpRequest, payload: schemas.TicketIn) -> Status[Ticket]:
    with _api_fields(
        order="order_id", category="category_id", assignee="assignee_id", product="product_id"
    ):
        ticket = ticket_create(
            actor=_actor(request),
            customer=_customer(payload.customer_id),
            subject=payload.subject,
            body=payload.body,
            channel=payload.channel,
            kind=payload.kind,
            priority=payload.priority,
            category=_referenced(
                Category.objects.all(), payload.category_id, "category_id", _("Category")
            ),
            order=_referenced(Order.objects.all(), payload.order_id, "order_id", _("Order")),
            product=_referenced(
                Product.objects.all(), payload.product_id, "product_id", _("Product")
            ),
            assignee=_employee(payload.assignee_id, "assignee_id"),
        )
    return Status(201, _ticket_out(ticket.pk))


@_op("GET", "/tickets/{ticket_id}", schemas.TicketDetailOut, "tickets")
def tickets_detail(request: HttpRequest, ticket_id: Path[Id]) -> Ticket:
    require(_actor(request), Perm.TICKET_VIEW)
    return _ticket_out(_ticket(ticket_id).pk)


@_op("PATCH", "/tickets/{ticket_id}", schemas.TicketDetailOut, "tickets")
def tickets_update(
    request: HttpRequest, ticket_id: Path[Id], payload: schemas.TicketPatch
) -> Ticket:
    ticket = _ticket(ticket_id)
    data = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    if "assignee_id" in data:
        changes["assignee"] = _employee(data["assignee_id"], "assignee_id")
        changes["unassign"] = changes["assignee"] is None
    if "priority" in data:
        changes["priority"] = data["priority"]
    if "category_id" in data:
        changes["category"] = _referenced(
            Category.objects.all(), data["category_id"], "category_id", _("Category")
        )
    if "team_id" in data:
        changes["team"] = _referenced(Team.objects.all(), data["team_id"], "team_id", _("Team"))
    if data.get("confirm_identity"):
        changes["confirm_identity"] = True
    with _api_fields(assignee="assignee_id", category="category_id"):
        ticket_update(actor=_actor(request), ticket=ticket, **changes)
    return _ticket_out(ticket.pk)


@_op("POST", "/tickets/{ticket_id}/messages", schemas.MessageOut, "tickets")
def tickets_message(
    request: HttpRequest, ticket_id: Path[Id], payload: schemas.MessageIn
) -> Status[TicketMessage]:
    message = message_add(
        actor=_actor(request),
        ticket=_ticket(ticket_id),
        kind=payload.kind,
        body=payload.body,
        wait_for_customer=payload.wait_for_customer,
    )
    return Status(201, message)


@_op("POST", "/tickets/{ticket_id}/status", schemas.TicketDetailOut, "tickets", 200)
def tickets_status(request: HttpRequest, ticket_id: Path[Id], payload: schemas.StatusIn) -> Ticket:
    ticket = ticket_transition(
        actor=_actor(request),
        ticket=_ticket(ticket_id),
        status=payload.status,
        resolution=payload.resolution,
    )
    return _ticket_out(ticket.pk)


# --- compensation ---------------------------------------------------------------------------
@_op("GET", "/tickets/{ticket_id}/compensations", schemas.TicketCompensationOut, "compensation")
def compensations_list(request: HttpRequest, ticket_id: Path[Id]) -> dict[str, Any]:
    require(_actor(request), Perm.TICKET_VIEW)
    ticket = _ticket(ticket_id)
    entries = list(_entries().filter(ticket=ticket))
    return {
        "net_amount": sum(entry.amount for entry in entries),
        "entries": entries,
        "requests": list(CompensationRequest.objects.filter(ticket=ticket)),
    }


@_op("POST", "/tickets/{ticket_id}/compensations", schemas.GrantOut, "compensation", (201, 202))
def compensations_grant(
    request: HttpRequest, ticket_id: Path[Id], payload: schemas.CompensationIn
) -> Status[dict[str, Any]]:
    granted = compensation_grant(
        actor=_actor(request),
        ticket=_ticket(ticket_id),
        kind=payload.kind,
        amount=payload.amount,
        reason=payload.reason,
    )
    if isinstance(granted, CompensationRequest):
        return Status(202, {"status": "pending_approval", "request": granted})
    return Status(201, {"status": "granted", "entry": granted})


@_op("GET", "/compensation-requests", list[schemas.RequestOut], "compensation")
@paginate(Pages)
def compensation_requests_list(
    request: HttpRequest, filters: Query[schemas.RequestQuery]
) -> QuerySet[CompensationRequest]:
    _only_params(request, schemas.RequestQuery.model_fields)
    require(_actor(request), Perm.COMPENSATION_GRANT)
    requests = CompensationRequest.objects.all()
    if filters.status:
        requests = requests.filter(status=filters.status)
    if filters.ticket is not None:
        requests = requests.filter(ticket_id=filters.ticket)
    return requests


@_op(
    "POST",
    "/compensation-requests/{request_id}/decision",
    schemas.RequestOut,
    "compensation",
    200,
)
def compensation_requests_decide(
    request: HttpRequest, request_id: Path[Id], payload: schemas.DecisionIn
) -> CompensationRequest:
    pending = _get(CompensationRequest.objects.all(), request_id, _("Compensation request"))
    return compensation_decide(
        actor=_actor(request), request=pending, approve=payload.approve, note=payload.note
    )


@_op("POST", "/compensations/{entry_id}/reverse", schemas.EntryOut, "compensation")
def compensations_reverse(
    request: HttpRequest, entry_id: Path[Id], payload: schemas.ReverseIn
) -> Status[CompensationEntry]:
    entry = _get(CompensationEntry.objects.all(), entry_id, _("Compensation"))
    reversal = compensation_reverse(actor=_actor(request), entry=entry, reason=payload.reason)
    return Status(201, _entries().get(pk=reversal.pk))


@_op("GET", "/compensation-budgets", list[schemas.BudgetOut], "compensation")
def compensation_budgets(request: HttpRequest) -> list[schemas.BudgetOut]:
    require(_actor(request), Perm.COMPENSATION_GRANT)
    now = timezone.now()
    start = month_start(now)
    year, month, _day = to_jalali(start)
    budgets = [budget_of(team, now) for team in Team.objects.all()]
    return [
        schemas.BudgetOut(
            team_id=b.team.pk,
            team=b.team.name,
            month=f"{year:04d}/{month:02d}",
            month_start=start,
            budget=b.budget,
            spent=b.spent,
            left=b.left,
        )
        for b in budgets
    ]


# --- returns --------------------------------------------------------------------------------
def _return(pk: int) -> ReturnRequest:
    return cast(ReturnRequest, _get(ReturnRequest.objects.all(), pk, _("Return")))


@_op("POST", "/returns", schemas.ReturnOut, "returns")
def returns_create(request: HttpRequest, payload: schemas.ReturnIn) -> Status[ReturnRequest]:
    line = _referenced(OrderLine.objects.all(), payload.line_id, "line_id", _("Order line"))
    ticket = _referenced(Ticket.objects.all(), payload.ticket_id, "ticket_id", _("Ticket"))
    with _api_fields(ticket="ticket_id"):
        ret = return_request(
            actor=_actor(request),
            line=line,
            quantity=payload.quantity,
            reason=payload.reason,
            ticket=ticket,
        )
    return Status(201, ret)


@_op("GET", "/returns/{return_id}", schemas.ReturnOut, "returns")
def returns_detail(request: HttpRequest, return_id: Path[Id]) -> ReturnRequest:
    require(_actor(request), Perm.TICKET_VIEW)
    return _return(return_id)


@_op("POST", "/returns/{return_id}/receive", schemas.ReturnOut, "returns", 200)
def returns_receive(request: HttpRequest, return_id: Path[Id]) -> ReturnRequest:
    return return_receive(actor=_actor(request), ret=_return(return_id))


@_op("POST", "/returns/{return_id}/inspect", schemas.ReturnOut, "returns", 200)
def returns_inspect(
    request: HttpRequest, return_id: Path[Id], payload: schemas.InspectIn
) -> ReturnRequest:
    with _api_fields(inspection="result", inspection_note="note"):
        return return_inspect(
            actor=_actor(request),
            ret=_return(return_id),
            result=payload.result,
            accept=payload.accept,
            note=payload.note,
            refund_amount=payload.refund_amount,
        )


@_op("POST", "/returns/{return_id}/refund", schemas.ReturnOut, "returns", 200)
def returns_refund(request: HttpRequest, return_id: Path[Id]) -> ReturnRequest:
    return return_refund(actor=_actor(request), ret=_return(return_id))
