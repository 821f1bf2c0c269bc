"""``/api/v1/``: customers, consents, orders, interactions, notes and tasks.

Handlers parse, look up, call one service or selector and shape the answer. Who may write
what, and what a valid mobile is, is decided by the services, so the API cannot drift from the
pages and the import. Every POST honours ``Idempotency-Key`` (``core.idempotency``).
"""

from collections.abc import Iterable
from typing import Any, cast

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from mehvar.core.errors import ErrorCode, NotFound, ServiceError, ValidationFailed
from mehvar.core.models import TimelineEvent, User
from mehvar.core.persian import normalize_text
from mehvar.core.provinces import normalize_province
from mehvar.core.roles import Perm, has_perm
from mehvar.customers import schemas, selectors
from mehvar.customers.merge import customer_merge, duplicate_groups
from mehvar.customers.models import (
    Consent,
    ConsentChange,
    Customer,
    CustomerKind,
    Interaction,
    Note,
    Order,
    Product,
    Task,
)
from mehvar.customers.orders import LineInput, order_create, order_set_status
from mehvar.customers.selectors import CustomerFilters, customer_list, customer_timeline
from mehvar.customers.services import (
    consent_set,
    customer_create,
    customer_delete,
    customer_update,
    interaction_log,
    note_add,
    task_complete,
    task_create,
)

router = Router()

IDEMPOTENT: dict[str, Any] = {
    "parameters": [
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "description": "Retry safely: the same key and body return the first answer.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        }
    ]
}


def _op(method: str, path: str, out: Any, tag: str, status: int | None = None) -> Any:
    """Declare an operation with its success schema and the shared error schema; a POST also
    documents the ``Idempotency-Key`` header that the middleware honours."""
    success = status or {"POST": 201, "DELETE": 204}.get(method, 200)
    return router.api_operation(
        [method],
        path,
        response={success: out, **schemas.ERRORS},
        tags=[tag],
        openapi_extra=IDEMPOTENT if method == "POST" else None,
    )


# --- lookups --------------------------------------------------------------------------------
def _actor(request: HttpRequest) -> User:
    return cast(User, request.auth)  # type: ignore[attr-defined]


def _only_params(request: HttpRequest, allowed: Iterable[str]) -> None:
    # ninja ignores unknown query parameters; a misspelt filter must not silently list all.
    unknown = sorted(set(request.GET) - set(allowed) - schemas.PAGE_PARAMS)
    if unknown:
        raise ValidationFailed({name: _("Unknown parameter.") for name in unknown})


def _customer(customer_id: int, *, writing: bool = False) -> Customer:
    customer = Customer.objects.prefetch_related("tags").filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("Customer #%(id)s does not exist.") % {"id": customer_id})
    if writing and customer.merged_into_id is not None:
        raise ServiceError(
            _("Customer #%(id)s was merged into #%(target)s; use that record.")
            % {"id": customer_id, "target": customer.merged_into_id},
            code=ErrorCode.CONFLICT,
        )
    return customer


def _referenced_customer(customer_id: int, field: str = "customer_id") -> Customer:
    try:
        return _customer(customer_id, writing=True)
    except ServiceError as exc:
        raise ValidationFailed({field: exc.message}) from exc


def _employee(user_id: int | None, field: str) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise ValidationFailed({field: _("No active employee #%(id)s.") % {"id": user_id}})
    return user


def _owner_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    # Absent means "leave as the service decides"; null means "nobody".
    if "owner_id" not in data:
        return {}
    return {"owner": _employee(data.pop("owner_id"), "owner_id")}


def _company_kwargs(data: dict[str, Any]) -> dict[str, Any]:
    if "company_id" not in data:
        return {}
    company_id = data.pop("company_id")
    if company_id is None:
        return {"company": None}
    company = Customer.objects.filter(pk=company_id, kind=CustomerKind.COMPANY).first()
    if company is None or company.is_merged:
        raise ValidationFailed({"company_id": _("Choose a company record.")})
    return {"company": company}


def _get(queryset: QuerySet[Any], pk: int, label: str) -> Any:
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise NotFound(_("%(what)s #%(id)s does not exist.") % {"what": label, "id": pk})
    return found


# --- who am I -------------------------------------------------------------------------------
@_op("GET", "/me", schemas.MeOut, "account")
def me(request: HttpRequest) -> schemas.MeOut:
    user = _actor(request)
    return schemas.MeOut(
        id=user.pk,
        username=user.username,
        full_name=user.get_full_name(),
        role=user.role,
        permissions=[str(perm) for perm in Perm if has_perm(user, perm)],
    )


# --- customers ------------------------------------------------------------------------------
@_op("GET", "/customers", list[schemas.CustomerOut], "customers")
@paginate(schemas.Pages)
def customers_list(
    request: HttpRequest, filters: Query[schemas.CustomerQuery]
) -> QuerySet[Customer]:
    _only_params(request, schemas.CustomerQuery.model_fields)
    province = ""
    if filters.province:
        province = normalize_province(filters.province) or ""
        if not province:
            raise ValidationFailed({"province": _("Unknown province.")})
    criteria = CustomerFilters(
        q=filters.q,
        province=province,
        city=normalize_text(filters.city),
        stage=filters.stage or "",
        kind=filters.kind or "",
        source=filters.source or "",
        tag=normalize_text(filters.tag),
        owner=filters.owner,
        mine=filters.mine,
        created_from=filters.created_from,
        created_to=filters.created_to,
        sort=filters.sort,
    )
    return customer_list(viewer=_actor(request), filters=criteria).prefetch_related("tags")


@_op("POST", "/customers", schemas.CustomerOut, "customers")
def customers_create(request: HttpRequest, payload: schemas.CustomerIn) -> Status[Customer]:
    data = payload.model_dump(exclude_unset=True)
    links = {**_owner_kwargs(data), **_company_kwargs(data)}
    customer = customer_create(actor=_actor(request), data=data, source_label="API", **links)
    return Status(201, _customer(customer.pk))


@_op("GET", "/customers/{customer_id}", schemas.CustomerOut, "customers")
def customers_detail(request: HttpRequest, customer_id: Path[schemas.Id]) -> Customer:
    return _customer(customer_id)


@_op("PATCH", "/customers/{customer_id}", schemas.CustomerOut, "customers")
def customers_update(
    request: HttpRequest, customer_id: Path[schemas.Id], payload: schemas.CustomerPatch
) -> Customer:
    customer = _customer(customer_id, writing=True)
    data = payload.model_dump(exclude_unset=True)
    links = {**_owner_kwargs(data), **_company_kwargs(data)}
    customer_update(actor=_actor(request), customer=customer, data=data, **links)
    return _customer(customer.pk)


@_op("DELETE", "/customers/{customer_id}", None, "customers")
def customers_delete(request: HttpRequest, customer_id: Path[schemas.Id]) -> Status[None]:
    customer_delete(actor=_actor(request), customer=_customer(customer_id))
    return Status(204, None)


@_op("GET", "/customers/{customer_id}/timeline", list[schemas.TimelineEventOut], "customers")
@paginate(schemas.Pages)
def customers_timeline(
    request: HttpRequest, customer_id: Path[schemas.Id]
) -> QuerySet[TimelineEvent]:
    _only_params(request, ())
    return customer_timeline(_customer(customer_id))


@_op("POST", "/customers/{customer_id}/merge", schemas.CustomerOut, "customers", 200)
def customers_merge(
    request: HttpRequest, customer_id: Path[schemas.Id], payload: schemas.MergeIn
) -> Customer:
    target = _customer(customer_id)
    source = _customer(payload.source_id)
    merged = customer_merge(actor=_actor(request), source=source, target=target)
    return _customer(merged.pk)


@_op("GET", "/duplicates", list[schemas.DuplicateGroupOut], "customers")
def duplicates(request: HttpRequest) -> list[schemas.DuplicateGroupOut]:
    return [
        schemas.DuplicateGroupOut(reason=g.reason, key=g.key, customer_ids=list(g.customer_ids))
        for g in duplicate_groups()
    ]


# --- consents -------------------------------------------------------------------------------
def _consents(customer: Customer) -> schemas.ConsentsOut:
    return schemas.ConsentsOut(
        current=[
            schemas.ConsentOut.model_validate(c)
            for c in Consent.objects.filter(customer=customer).order_by("channel")
        ],
        history=[
            schemas.ConsentChangeOut.model_validate(c)
            for c in ConsentChange.objects.filter(customer=customer)
        ],
    )


@_op("GET", "/customers/{customer_id}/consents", schemas.ConsentsOut, "consents")
def consents_detail(request: HttpRequest, customer_id: Path[schemas.Id]) -> schemas.ConsentsOut:
    return _consents(_customer(customer_id))


@_op("POST", "/customers/{customer_id}/consents", schemas.ConsentsOut, "consents", 200)
def consents_set(
    request: HttpRequest, customer_id: Path[schemas.Id], payload: schemas.ConsentIn
) -> schemas.ConsentsOut:
    customer = _customer(customer_id, writing=True)
    consent_set(
        actor=_actor(request),
        customer=customer,
        channel=payload.channel,
        status=payload.status,
        source=payload.source,
        evidence=payload.evidence,
    )
    return _consents(customer)


# --- orders ---------------------------------------------------------------------------------
def _orders() -> QuerySet[Order]:
    return Order.objects.prefetch_related("lines__product")


def _lines(lines: list[schemas.OrderLineIn]) -> list[LineInput]:
    skus = {line.product_sku for line in lines if line.product_sku}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    errors: dict[str, Any] = {}
    result = []
    for index, line in enumerate(lines, start=1):
        product = products.get(line.product_sku) if line.product_sku else None
        if line.product_sku and product is None:
            errors[f"lines[{index}].product_sku"] = _("No product with this SKU.")
        result.append(
            LineInput(
                quantity=line.quantity,
                unit_price=line.unit_price,
                product=product,
                description=line.description,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return result


@_op("GET", "/orders", list[schemas.OrderOut], "orders")
@paginate(schemas.Pages)
def orders_list(request: HttpRequest, filters: Query[schemas.OrderQuery]) -> QuerySet[Order]:
    _only_params(request, schemas.OrderQuery.model_fields)
    return selectors.order_list(
        customer_id=filters.customer,
        status=filters.status,
        placed_from=filters.placed_from,
        placed_to=filters.placed_to,
    )


@_op("POST", "/orders", schemas.OrderOut, "orders")
def orders_create(request: HttpRequest, payload: schemas.OrderIn) -> Status[Order]:
    order = order_create(
        actor=_actor(request),
        customer=_referenced_customer(payload.customer_id),
        number=payload.number,
        lines=_lines(payload.lines),
        placed_at=payload.placed_at,
        channel=payload.channel,
        status=payload.status,
        discount=payload.discount,
        note=payload.note,
    )
    return Status(201, _get(_orders(), order.pk, _("Order")))


@_op("GET", "/orders/{order_id}", schemas.OrderOut, "orders")
def orders_detail(request: HttpRequest, order_id: Path[schemas.Id]) -> Order:
    return _get(_orders(), order_id, _("Order"))


@_op("PATCH", "/orders/{order_id}", schemas.OrderOut, "orders")
def orders_update(
    request: HttpRequest, order_id: Path[schemas.Id], payload: schemas.OrderPatch
) -> Order:
    order = _get(Order.objects.all(), order_id, _("Order"))
    order_set_status(actor=_actor(request), order=order, status=payload.status)
    return _get(_orders(), order_id, _("Order"))


# --- interactions ---------------------------------------------------------------------------
@_op("GET", "/interactions", list[schemas.InteractionOut], "interactions")
@paginate(schemas.Pages)
def interactions_list(
    request: HttpRequest, filters: Query[schemas.InteractionQuery]
) -> QuerySet[Interaction]:
    _only_params(request, schemas.InteractionQuery.model_fields)
    return selectors.interaction_list(customer_id=filters.customer_id, channel=filters.channel)


@_op("POST", "/interactions", schemas.InteractionOut, "interactions")
def interactions_create(
    request: HttpRequest, payload: schemas.InteractionIn
) -> Status[Interaction]:
    interaction = interaction_log(
        actor=_actor(request),
        customer=_referenced_customer(payload.customer_id),
        channel=payload.channel,
        direction=payload.direction,
        summary=payload.summary,
        outcome=payload.outcome,
        occurred_at=payload.occurred_at,
    )
    return Status(201, interaction)


# --- notes ----------------------------------------------------------------------------------
@_op("GET", "/notes", list[schemas.NoteOut], "notes")
@paginate(schemas.Pages)
def notes_list(request: HttpRequest, filters: Query[schemas.NoteQuery]) -> QuerySet[Note]:
    _only_params(request, schemas.NoteQuery.model_fields)
    return selectors.note_list(customer_id=filters.customer_id)


@_op("POST", "/notes", schemas.NoteOut, "notes")
def notes_create(request: HttpRequest, payload: schemas.NoteIn) -> Status[Note]:
    customer = _referenced_customer(payload.customer_id)
    return Status(201, note_add(actor=_actor(request), customer=customer, body=payload.body))


# --- tasks ----------------------------------------------------------------------------------
@_op("GET", "/tasks", list[schemas.TaskOut], "tasks")
@paginate(schemas.Pages)
def tasks_list(request: HttpRequest, filters: Query[schemas.TaskQuery]) -> QuerySet[Task]:
    _only_params(request, schemas.TaskQuery.model_fields)
    return selectors.task_list(
        customer_id=filters.customer_id, assignee_id=filters.assignee, status=filters.status
    )


@_op("POST", "/tasks", schemas.TaskOut, "tasks")
def tasks_create(request: HttpRequest, payload: schemas.TaskIn) -> Status[Task]:
    task = task_create(
        actor=_actor(request),
        customer=_referenced_customer(payload.customer_id),
        title=payload.title,
        due_at=payload.due_at,
        assignee=_employee(payload.assignee_id, "assignee_id"),
    )
    return Status(201, task)


@_op("POST", "/tasks/{task_id}/complete", schemas.TaskOut, "tasks", 200)
def tasks_complete(request: HttpRequest, task_id: Path[schemas.Id]) -> Task:
    task = _get(Task.objects.select_related("customer"), task_id, _("Task"))
    return task_complete(actor=_actor(request), task=task)
