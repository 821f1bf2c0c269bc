"""SECURITY.md #1–4 and #7: who may call what, per object, and what a refusal leaves behind.

The matrix is generated from the API's own OpenAPI document: a route added without a row in
``RULES`` fails here until someone decides who may call it. The expected answer per role comes
from ``core.roles.PERMISSIONS`` plus the per-object rules written out below (sales edits only
its own customers; a task is closed by its assignee, its creator or a lead).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Model
from django.utils import timezone

from mehvar.api import api
from mehvar.core.models import IdempotencyRecord, TimelineEvent, User
from mehvar.core.roles import PERMISSIONS, Perm, Role
from mehvar.customers.models import (
    Consent,
    ConsentChange,
    Customer,
    Interaction,
    Note,
    Order,
    OrderLine,
    Tag,
    Task,
)
from mehvar.customers.orders import LineInput, order_create
from mehvar.customers.services import task_create
from mehvar.feedback.models import (
    Answer,
    Comment,
    FollowUp,
    Invitation,
    Question,
    Response,
    Survey,
    TriggerRule,
)
from mehvar.feedback.responding import answers_save, invitation_create, response_for_invitation
from mehvar.feedback.surveys import survey_save, survey_set_status, trigger_rule_save
from mehvar.service.compensation import compensation_grant
from mehvar.service.models import (
    CompensationEntry,
    CompensationRequest,
    DeskSettings,
    ReturnRequest,
    Team,
    Ticket,
    TicketMessage,
)
from mehvar.service.returns import return_inspect, return_receive, return_request
from mehvar.service.tickets import ticket_create

pytestmark = pytest.mark.django_db

ROLES = ["admin", "manager", "sales", "sales2", "marketing", "service", "anonymous"]


@dataclass
class World:
    users: dict[str, User]
    owned: Customer  # owned by "sales"
    spare: Customer  # unowned, no orders: merged away or deleted
    order: Order
    task: Task  # assigned to and created by "sales"
    survey: Survey  # active, answered by "owned" with a detractor's score
    draft: Survey  # no answers: deleted
    response: Response
    follow_up: FollowUp  # of that response, assigned to "sales" (the customer's owner)
    rule: TriggerRule
    comment: Comment
    desk: Desk


@dataclass
class Desk:
    """The service desk's records: one team, one ticket of "owned" worked by "service"."""

    team: Team  # led by "manager"; "service" is its agent
    ticket: Ticket  # assigned to "service"
    entry: CompensationEntry  # within the service limit: reversed
    pending: CompensationRequest  # above the service limit: decided
    line: OrderLine  # ten glasses, delivered today: returned
    requested: ReturnRequest  # received
    received: ReturnRequest  # inspected
    accepted: ReturnRequest  # refunded


SURVEY_BODY = {
    "title_fa": "رضایت مشتری",
    "questions": [{"key": "nps", "kind": "nps", "text_fa": "ما را پیشنهاد می‌کنید؟"}],
}


def _desk(users: dict[str, User], customer: Customer) -> Desk:
    service = users["service"]
    team = Team.objects.create(name="Support", lead=users["manager"], monthly_budget=10**8)
    team.members.add(service)
    settings = DeskSettings.current()
    settings.default_team = team
    settings.save()
    ticket = ticket_create(
        actor=service,
        customer=customer,
        subject="دیرکرد",
        body="سفارش دیر رسید.",
        channel="phone",
        assignee=service,
    )

    def grant(amount: int) -> Any:
        return compensation_grant(
            actor=service, ticket=ticket, kind="voucher", amount=amount, reason="دیرکرد"
        )

    bought = order_create(
        actor=users["admin"],
        customer=customer,
        number="INV-S1",
        status="delivered",
        lines=[LineInput(quantity=10, unit_price=100_000, description="لیوان")],
    )
    line = bought.lines.get()

    def returning() -> ReturnRequest:
        return return_request(actor=service, line=line, quantity=1, reason="ترک", ticket=ticket)

    received = return_receive(actor=service, ret=returning())
    accepted = return_inspect(
        actor=service,
        ret=return_receive(actor=service, ret=returning()),
        result="defective",
        accept=True,
    )
    return Desk(
        team=team,
        ticket=ticket,
        entry=grant(100_000),
        pending=grant(6_000_000),
        line=line,
        requested=returning(),
        received=received,
        accepted=accepted,
    )


@pytest.fixture
def world(users: dict[str, User], make_customer: Callable[..., Customer]) -> World:
    owned = make_customer(owner=users["sales"], first_name="سارا", last_name="محمدی")
    spare = make_customer(first_name="سارا", last_name="محمدی")
    order = order_create(
        actor=users["admin"],
        customer=owned,
        number="INV-1",
        lines=[LineInput(quantity=2, unit_price=150_000, description="چای")],
    )
    task = task_create(
        actor=users["sales"],
        customer=owned,
        title="پیگیری",
        due_at=timezone.now() + timedelta(days=1),
    )
    survey = survey_save(actor=users["admin"], data=SURVEY_BODY)
    survey = survey_set_status(actor=users["admin"], survey=survey, status="active")
    invitation = invitation_create(
        actor=users["admin"], survey=survey, customer=owned, channel="sms"
    )
    response, _errors = answers_save(
        response=response_for_invitation(invitation), raw={"nps": 3}, submit=True
    )
    comment = Comment.objects.create(
        customer=owned, source="survey", ref_type="test", ref_id="1", text="دیر رسید",
        sentiment="positive", occurred_at=timezone.now(),
    )  # fmt: skip
    return World(
        users=users,
        owned=owned,
        spare=spare,
        order=order,
        task=task,
        survey=survey,
        draft=survey_save(actor=users["admin"], data=SURVEY_BODY),
        response=response,
        follow_up=FollowUp.objects.get(response=response),
        rule=trigger_rule_save(actor=users["admin"], survey=survey, data={}),
        comment=comment,
        desk=_desk(users, owned),
    )


Allowed = Callable[[User, World], bool]


def role_has(perm: Perm) -> Allowed:
    return lambda user, world: Role(user.role) in PERMISSIONS[perm]


def edits_customer(user: User, world: World) -> bool:
    if Role(user.role) not in PERMISSIONS[Perm.CUSTOMER_EDIT]:
        return False
    return user.role != Role.SALES or world.owned.owner_id in (None, user.pk)


def closes_task(user: User, world: World) -> bool:
    is_party = user.pk in (world.task.assignee_id, world.task.created_by_id)
    return is_party or Role(user.role) in PERMISSIONS[Perm.CUSTOMER_MERGE]


def works_follow_up(user: User, world: World) -> bool:
    """Its assignee works a follow-up; so do the leads and the service team."""
    return (
        user.pk == world.follow_up.assignee_id
        or Role(user.role) in PERMISSIONS[Perm.FOLLOW_UP_ASSIGN]
    )


def works_ticket(user: User, world: World) -> bool:
    """Answer, move, compensate, handle returns: the desk's roles, on their team's tickets."""
    if Role(user.role) not in PERMISSIONS[Perm.TICKET_WORK]:
        return False
    is_lead = user.role in (Role.ADMIN, Role.MANAGER)
    in_team = world.desk.team.members.filter(pk=user.pk).exists()
    return is_lead or in_team or user.pk == world.desk.ticket.assignee_id


def works_ticket_with(perm: Perm) -> Allowed:
    return lambda user, world: role_has(perm)(user, world) and works_ticket(user, world)


@dataclass(frozen=True)
class Rule:
    allowed: Allowed
    status: int  # the success status
    url: Callable[[World], str]
    body: Callable[[World], Any] = lambda world: None


def _customer_url(world: World) -> str:
    return f"/customers/{world.owned.pk}"


RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/me"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/me"),
    ("GET", "/customers"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/customers"),
    ("POST", "/customers"): Rule(
        role_has(Perm.CUSTOMER_CREATE),
        201,
        lambda w: "/customers",
        lambda w: {"first_name": "مریم", "last_name": "کاظمی", "mobile": "09350000001"},
    ),
    ("GET", "/customers/{customer_id}"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, _customer_url),
    ("PATCH", "/customers/{customer_id}"): Rule(
        edits_customer, 200, _customer_url, lambda w: {"city": "کرج"}
    ),
    ("DELETE", "/customers/{customer_id}"): Rule(
        role_has(Perm.CUSTOMER_DELETE), 204, lambda w: f"/customers/{w.spare.pk}"
    ),
    ("GET", "/customers/{customer_id}/timeline"): Rule(
        role_has(Perm.CUSTOMER_VIEW), 200, lambda w: f"/customers/{w.owned.pk}/timeline"
    ),
    ("POST", "/customers/{customer_id}/merge"): Rule(
        role_has(Perm.CUSTOMER_MERGE),
        200,
        lambda w: f"/customers/{w.owned.pk}/merge",
        lambda w: {"source_id": w.spare.pk},
    ),
    ("GET", "/duplicates"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/duplicates"),
    ("GET", "/customers/{customer_id}/consents"): Rule(
        role_has(Perm.CUSTOMER_VIEW), 200, lambda w: f"/customers/{w.owned.pk}/consents"
    ),
    ("POST", "/customers/{customer_id}/consents"): Rule(
        role_has(Perm.CONSENT_EDIT),
        200,
        lambda w: f"/customers/{w.owned.pk}/consents",
        lambda w: {"channel": "email", "status": "granted", "source": "staff"},
    ),
    ("GET", "/orders"): Rule(role_has(Perm.ORDER_VIEW), 200, lambda w: "/orders"),
    ("POST", "/orders"): Rule(
        role_has(Perm.ORDER_EDIT),
        201,
        lambda w: "/orders",
        lambda w: {
            "customer_id": w.owned.pk,
            "number": "INV-2",
            "lines": [{"description": "قهوه", "quantity": 1, "unit_price": 90_000}],
        },
    ),
    ("GET", "/orders/{order_id}"): Rule(
        role_has(Perm.ORDER_VIEW), 200, lambda w: f"/orders/{w.order.pk}"
    ),
    ("PATCH", "/orders/{order_id}"): Rule(
        role_has(Perm.ORDER_EDIT),
        200,
        lambda w: f"/orders/{w.order.pk}",
        lambda w: {"status": "shipped"},
    ),
    ("GET", "/interactions"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/interactions"),
    ("POST", "/interactions"): Rule(
        role_has(Perm.INTERACTION_LOG),
        201,
        lambda w: "/interactions",
        lambda w: {
            "customer_id": w.owned.pk,
            "channel": "call",
            "direction": "inbound",
            "summary": "پرسید سفارش کی می‌رسد",
        },
    ),
    ("GET", "/notes"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/notes"),
    ("POST", "/notes"): Rule(
        role_has(Perm.NOTE_ADD),
        201,
        lambda w: "/notes",
        lambda w: {"customer_id": w.owned.pk, "body": "مشتری وفادار"},
    ),
    ("GET", "/tasks"): Rule(role_has(Perm.CUSTOMER_VIEW), 200, lambda w: "/tasks"),
    ("POST", "/tasks"): Rule(
        role_has(Perm.TASK_ADD),
        201,
        lambda w: "/tasks",
        lambda w: {
            "customer_id": w.owned.pk,
            "title": "تماس",
            "due_at": (timezone.now() + timedelta(days=2)).isoformat(),
        },
    ),
    ("POST", "/tasks/{task_id}/complete"): Rule(
        closes_task, 200, lambda w: f"/tasks/{w.task.pk}/complete"
    ),
    # --- feedback ---
    ("GET", "/surveys"): Rule(role_has(Perm.SURVEY_SEND), 200, lambda w: "/surveys"),
    ("POST", "/surveys"): Rule(
        role_has(Perm.SURVEY_MANAGE), 201, lambda w: "/surveys", lambda w: SURVEY_BODY
    ),
    ("GET", "/surveys/{survey_id}"): Rule(
        role_has(Perm.SURVEY_SEND), 200, lambda w: f"/surveys/{w.survey.pk}"
    ),
    ("PUT", "/surveys/{survey_id}"): Rule(
        role_has(Perm.SURVEY_MANAGE),
        200,
        lambda w: f"/surveys/{w.survey.pk}",
        lambda w: SURVEY_BODY | {"title_fa": "رضایت (ویرایش)"},
    ),
    ("DELETE", "/surveys/{survey_id}"): Rule(
        role_has(Perm.SURVEY_MANAGE), 204, lambda w: f"/surveys/{w.draft.pk}"
    ),
    ("POST", "/surveys/{survey_id}/status"): Rule(
        role_has(Perm.SURVEY_MANAGE),
        200,
        lambda w: f"/surveys/{w.survey.pk}/status",
        lambda w: {"status": "closed"},
    ),
    ("POST", "/surveys/{survey_id}/copy"): Rule(
        role_has(Perm.SURVEY_MANAGE), 201, lambda w: f"/surveys/{w.survey.pk}/copy"
    ),
    ("GET", "/surveys/{survey_id}/invitations"): Rule(
        role_has(Perm.SURVEY_SEND), 200, lambda w: f"/surveys/{w.survey.pk}/invitations"
    ),
    ("POST", "/surveys/{survey_id}/invitations"): Rule(
        role_has(Perm.SURVEY_SEND),
        201,
        lambda w: f"/surveys/{w.survey.pk}/invitations",
        lambda w: {"customer_id": w.owned.pk, "channel": "sms"},
    ),
    ("GET", "/surveys/{survey_id}/responses"): Rule(
        role_has(Perm.FEEDBACK_VIEW), 200, lambda w: f"/surveys/{w.survey.pk}/responses"
    ),
    ("GET", "/responses/{response_id}"): Rule(
        role_has(Perm.FEEDBACK_VIEW), 200, lambda w: f"/responses/{w.response.pk}"
    ),
    ("GET", "/surveys/{survey_id}/rules"): Rule(
        role_has(Perm.SURVEY_SEND), 200, lambda w: f"/surveys/{w.survey.pk}/rules"
    ),
    ("POST", "/surveys/{survey_id}/rules"): Rule(
        role_has(Perm.SURVEY_MANAGE),
        201,
        lambda w: f"/surveys/{w.survey.pk}/rules",
        lambda w: {"delay_days": 5},
    ),
    ("DELETE", "/rules/{rule_id}"): Rule(
        role_has(Perm.SURVEY_MANAGE), 204, lambda w: f"/rules/{w.rule.pk}"
    ),
    ("GET", "/follow-ups"): Rule(role_has(Perm.FOLLOW_UP_WORK), 200, lambda w: "/follow-ups"),
    ("GET", "/follow-ups/{follow_up_id}"): Rule(
        works_follow_up, 200, lambda w: f"/follow-ups/{w.follow_up.pk}"
    ),
    ("PATCH", "/follow-ups/{follow_up_id}"): Rule(
        works_follow_up,
        200,
        lambda w: f"/follow-ups/{w.follow_up.pk}",
        lambda w: {"status": "contacted"},
    ),
    ("GET", "/comments"): Rule(role_has(Perm.FEEDBACK_VIEW), 200, lambda w: "/comments"),
    ("POST", "/comments/{comment_id}/sentiment"): Rule(
        role_has(Perm.SENTIMENT_CORRECT),
        200,
        lambda w: f"/comments/{w.comment.pk}/sentiment",
        lambda w: {"label": "negative"},
    ),
    # --- service desk ---
    ("GET", "/tickets"): Rule(role_has(Perm.TICKET_VIEW), 200, lambda w: "/tickets"),
    ("POST", "/tickets"): Rule(
        role_has(Perm.TICKET_CREATE),
        201,
        lambda w: "/tickets",
        lambda w: {"customer_id": w.owned.pk, "subject": "فاکتور", "body": "فاکتور نرسید."},
    ),
    ("GET", "/tickets/{ticket_id}"): Rule(
        role_has(Perm.TICKET_VIEW), 200, lambda w: f"/tickets/{w.desk.ticket.pk}"
    ),
    ("PATCH", "/tickets/{ticket_id}"): Rule(
        works_ticket, 200, lambda w: f"/tickets/{w.desk.ticket.pk}", lambda w: {"priority": "high"}
    ),
    # A note is open to everyone (test_api_service); a reply is the desk's work.
    ("POST", "/tickets/{ticket_id}/messages"): Rule(
        works_ticket,
        201,
        lambda w: f"/tickets/{w.desk.ticket.pk}/messages",
        lambda w: {"kind": "reply", "body": "پیگیری می‌کنیم."},
    ),
    ("POST", "/tickets/{ticket_id}/status"): Rule(
        works_ticket,
        200,
        lambda w: f"/tickets/{w.desk.ticket.pk}/status",
        lambda w: {"status": "open"},
    ),
    ("GET", "/tickets/{ticket_id}/compensations"): Rule(
        role_has(Perm.TICKET_VIEW), 200, lambda w: f"/tickets/{w.desk.ticket.pk}/compensations"
    ),
    ("POST", "/tickets/{ticket_id}/compensations"): Rule(
        works_ticket_with(Perm.COMPENSATION_GRANT),
        201,
        lambda w: f"/tickets/{w.desk.ticket.pk}/compensations",
        lambda w: {"kind": "voucher", "amount": 100_000, "reason": "دلجویی"},
    ),
    ("GET", "/compensation-requests"): Rule(
        role_has(Perm.COMPENSATION_GRANT), 200, lambda w: "/compensation-requests"
    ),
    ("POST", "/compensation-requests/{request_id}/decision"): Rule(
        role_has(Perm.COMPENSATION_APPROVE),
        200,
        lambda w: f"/compensation-requests/{w.desk.pending.pk}/decision",
        lambda w: {"approve": True},
    ),
    ("POST", "/compensations/{entry_id}/reverse"): Rule(
        role_has(Perm.COMPENSATION_APPROVE),
        201,
        lambda w: f"/compensations/{w.desk.entry.pk}/reverse",
        lambda w: {"reason": "اشتباه"},
    ),
    ("GET", "/compensation-budgets"): Rule(
        role_has(Perm.COMPENSATION_GRANT), 200, lambda w: "/compensation-budgets"
    ),
    ("POST", "/returns"): Rule(
        role_has(Perm.RETURN_MANAGE),
        201,
        lambda w: "/returns",
        lambda w: {"line_id": w.desk.line.pk, "quantity": 1, "reason": "ترک دارد"},
    ),
    ("GET", "/returns/{return_id}"): Rule(
        role_has(Perm.TICKET_VIEW), 200, lambda w: f"/returns/{w.desk.requested.pk}"
    ),
    ("POST", "/returns/{return_id}/receive"): Rule(
        works_ticket_with(Perm.RETURN_MANAGE),
        200,
        lambda w: f"/returns/{w.desk.requested.pk}/receive",
    ),
    ("POST", "/returns/{return_id}/inspect"): Rule(
        works_ticket_with(Perm.RETURN_MANAGE),
        200,
        lambda w: f"/returns/{w.desk.received.pk}/inspect",
        lambda w: {"result": "as_new", "accept": True},
    ),
    ("POST", "/returns/{return_id}/refund"): Rule(
        works_ticket_with(Perm.RETURN_MANAGE),
        200,
        lambda w: f"/returns/{w.desk.accepted.pk}/refund",
    ),
}

_SCHEMA = api.get_openapi_schema(path_prefix="")
ROUTES = sorted(
    (method.upper(), path) for path, operations in _SCHEMA["paths"].items() for method in operations
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a write could touch, including the audit history and the timeline."""
    models: list[type[Model]] = [
        Customer,
        Customer.tags.through,
        Customer.history.model,
        Tag,
        Consent,
        ConsentChange,
        Order,
        Order.history.model,
        OrderLine,
        Interaction,
        Note,
        Task,
        Task.history.model,
        TimelineEvent,
        IdempotencyRecord,
        User,
        Survey,
        Question,
        Invitation,
        Response,
        Answer,
        Comment,
        FollowUp,
        TriggerRule,
        Team,
        Ticket,
        TicketMessage,
        CompensationEntry,
        CompensationRequest,
        ReturnRequest,
    ]
    return {m.__name__: list(m._default_manager.order_by("pk").values()) for m in models}


def test_every_route_has_a_rule() -> None:
    assert set(ROUTES) == set(RULES)
    assert len(ROUTES) == 58


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_permission_matrix(
    method: str, path: str, role: str, world: World, as_role: Callable[[str], Any]
) -> None:
    rule = RULES[(method, path)]
    if role == "anonymous":
        expected = 401
    else:
        expected = rule.status if rule.allowed(world.users[role], world) else 403
    before = snapshot()

    response = as_role(role).request(method, rule.url(world), rule.body(world))

    assert response.status_code == expected, response.content
    if expected >= 400:
        assert response.json()["code"] in {"unauthenticated", "permission_denied"}
        assert snapshot() == before


def test_expected_table_matches_the_role_table(world: World) -> None:
    """Spot-check the derived expectations against the documented role table, so a mistake in
    the helpers above cannot make the matrix vacuous."""
    users = world.users
    assert [r for r in ROLES[:-1] if edits_customer(users[r], world)] == [
        "admin",
        "manager",
        "sales",
        "marketing",
        "service",
    ]
    assert [r for r in ROLES[:-1] if role_has(Perm.ORDER_EDIT)(users[r], world)] == [
        "admin",
        "manager",
        "sales",
        "sales2",
    ]
    assert [r for r in ROLES[:-1] if role_has(Perm.CUSTOMER_DELETE)(users[r], world)] == ["admin"]
    assert [r for r in ROLES[:-1] if closes_task(users[r], world)] == ["admin", "manager", "sales"]
    assert [r for r in ROLES[:-1] if works_follow_up(users[r], world)] == [
        "admin",
        "manager",
        "sales",
        "service",
    ]
    assert [r for r in ROLES[:-1] if role_has(Perm.SURVEY_MANAGE)(users[r], world)] == [
        "admin",
        "manager",
        "marketing",
    ]
    assert [r for r in ROLES[:-1] if works_ticket(users[r], world)] == [
        "admin",
        "manager",
        "service",
    ]


# --- SECURITY.md #2: IDOR -------------------------------------------------------------------
def test_sales_cannot_edit_a_colleagues_customer(world: World, as_role: Any) -> None:
    before = snapshot()
    for body in ({"city": "قم"}, {"owner_id": world.users["sales2"].pk}, {"owner_id": None}):
        response = as_role("sales2").patch(f"/customers/{world.owned.pk}", body)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert as_role("sales2").delete(f"/customers/{world.owned.pk}").status_code == 403
    assert snapshot() == before
    world.owned.refresh_from_db()
    assert (world.owned.city, world.owned.owner_id) == ("", world.users["sales"].pk)


def test_sales_cannot_close_a_colleagues_task(world: World, as_role: Any) -> None:
    response = as_role("sales2").post(f"/tasks/{world.task.pk}/complete")
    assert response.status_code == 403
    world.task.refresh_from_db()
    assert (world.task.status, world.task.completed_at) == ("open", None)


@pytest.mark.parametrize("role", ["marketing", "service"])
def test_other_departments_cannot_take_or_drop_a_sales_customer(
    role: str, world: World, as_role: Any
) -> None:
    before = snapshot()
    for owner in (world.users[role].pk, None):
        response = as_role(role).patch(f"/customers/{world.owned.pk}", {"owner_id": owner})
        assert response.status_code == 403
    assert snapshot() == before


def test_mine_filter_lists_only_own_customers(world: World, as_role: Any) -> None:
    assert as_role("sales2").get("/customers", mine="true").json() == {"items": [], "count": 0}
    own = as_role("sales").get("/customers", mine="true").json()
    assert [c["id"] for c in own["items"]] == [world.owned.pk]


# --- SECURITY.md #3: mass assignment --------------------------------------------------------
@pytest.mark.parametrize(
    "field",
    [
        "role",
        "created_by",
        "created_by_id",
        "merged_into",
        "merged_into_id",
        "id",
        "created_at",
        "updated_at",
        "name_key",
        "is_superuser",
    ],
)
def test_patch_refuses_fields_a_client_may_not_set(field: str, world: World, as_role: Any) -> None:
    before = snapshot()
    response = as_role("sales").patch(f"/customers/{world.owned.pk}", {field: 1, "city": "قم"})
    assert response.status_code == 422
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_sales_cannot_give_its_customer_away(world: World, as_role: Any) -> None:
    before = snapshot()
    response = as_role("sales").patch(
        f"/customers/{world.owned.pk}", {"owner_id": world.users["sales2"].pk}
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_sales_cannot_create_a_customer_for_someone_else(world: World, as_role: Any) -> None:
    before = snapshot()
    response = as_role("sales").post(
        "/customers",
        {"last_name": "کریمی", "mobile": "09350000002", "owner_id": world.users["manager"].pk},
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_owner_defaults_to_the_sales_person_and_a_manager_may_assign(
    world: World, as_role: Any
) -> None:
    mine = as_role("sales").post("/customers", {"last_name": "کریمی"}).json()
    assert mine["owner_id"] == world.users["sales"].pk
    assigned = as_role("manager").post(
        "/customers", {"last_name": "نوری", "owner_id": world.users["sales2"].pk}
    )
    assert assigned.status_code == 201
    assert assigned.json()["owner_id"] == world.users["sales2"].pk
    moved = as_role("manager").patch(
        f"/customers/{world.owned.pk}", {"owner_id": world.users["sales2"].pk}
    )
    assert moved.json()["owner_id"] == world.users["sales2"].pk


def test_the_api_cannot_speak_for_the_customer_on_consent(world: World, as_role: Any) -> None:
    before = snapshot()
    for source in ("customer_form", "customer_link", "customer_reply", "import"):
        response = as_role("admin").post(
            f"/customers/{world.owned.pk}/consents",
            {"channel": "sms", "status": "granted", "source": source},
        )
        assert response.status_code == 422
        assert "source" in response.json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/orders", {"total": 1}),
        ("/orders", {"created_by": 1}),
        ("/tasks", {"status": "done"}),
        ("/tasks", {"created_by_id": 1}),
        ("/notes", {"author_id": 1}),
        ("/interactions", {"employee_id": 1}),
        ("/interactions", {"department": "management"}),
    ],
)
def test_create_refuses_server_owned_fields(
    path: str, extra: dict[str, Any], world: World, as_role: Any
) -> None:
    rule = RULES[("POST", path)]
    before = snapshot()
    response = as_role("admin").post(path, {**rule.body(world), **extra})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(extra)
    assert snapshot() == before


# --- SECURITY.md #4: the anonymous surface --------------------------------------------------
def test_only_the_schema_is_public(client: Any, world: World) -> None:
    assert client.get("/api/v1/openapi.json").status_code == 200
    for method, path in ROUTES:
        url = RULES[(method, path)].url(world)
        response = getattr(client, method.lower())(f"/api/v1{url}", content_type="application/json")
        assert response.status_code == 401, (method, path)


# --- SECURITY.md #7: sorting and filtering take only known values ---------------------------
@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password"},
        {"sort": "name; DROP TABLE customers_customer"},
        {"sort": "owner__password"},
        {"order_by": "id"},
        {"owner__username": "admin"},
        {"stage": "vip"},
        {"kind": "robot"},
        {"province": "Atlantis"},
        {"created_from": "yesterday"},
    ],
)
def test_unknown_sort_or_filter_is_refused(
    params: dict[str, str], world: World, as_role: Any
) -> None:
    response = as_role("sales").get("/customers", **params)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == set(params)


@pytest.mark.parametrize("path", ["/orders", "/interactions", "/notes", "/tasks"])
def test_other_lists_refuse_unknown_filters(path: str, world: World, as_role: Any) -> None:
    response = as_role("sales").get(path, ordering="-id")
    assert response.status_code == 422
    assert response.json()["errors"] == {"ordering": "Unknown parameter."}
