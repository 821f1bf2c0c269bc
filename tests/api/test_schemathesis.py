"""SECURITY.md #10: schemathesis against our own OpenAPI, in-process, as two roles.

Every generated request, valid or deliberately broken, must get a documented status (never a
5xx) with a body that matches the documented schema. Business-rule refusals (a mobile that is
not Iranian, a 403 for a role) are fine: the data only has to be answered correctly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mehvar.api import api
from mehvar.core.models import ApiToken
from mehvar.customers.orders import LineInput, order_create
from mehvar.feedback.models import Comment
from mehvar.feedback.responding import answers_save, invitation_create, response_for_invitation
from mehvar.feedback.surveys import survey_save, survey_set_status, trigger_rule_save
from mehvar.service.compensation import compensation_grant
from mehvar.service.models import DeskSettings, Team
from mehvar.service.returns import return_request
from mehvar.service.tickets import ticket_create
from mehvar.wsgi import application

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The document /api/v1/openapi.json serves (test_api_endpoints checks that it does), built
# here because collection may not touch the database and a WSGI request would. The lazy
# ``schemathesis.pytest.from_fixture`` loader does not run under pytest 9.2 (it writes
# ``Node._nodeid``, which pytest renamed).
schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api.get_openapi_schema())))
schema.app = application
schema.config.generation.update(modes=["positive", "negative"])


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection() -> Iterator[None]:
    # Django closes "stale" connections around each WSGI request; inside a test's transaction
    # that would close the very connection holding the test data. Django's test client unhooks
    # the same handler.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _feedback_records(users: dict[str, Any], customer: Any) -> None:
    """A survey with an unhappy answer (so a follow-up), a sending rule and a comment."""
    survey = survey_save(
        actor=users["admin"],
        data={"title_fa": "رضایت", "questions": [{"key": "nps", "kind": "nps", "text_fa": "؟"}]},
    )
    survey = survey_set_status(actor=users["admin"], survey=survey, status="active")
    trigger_rule_save(actor=users["admin"], survey=survey, data={})
    invitation = invitation_create(actor=None, survey=survey, customer=customer, channel="link")
    answers_save(response=response_for_invitation(invitation), raw={"nps": 2}, submit=True)
    Comment.objects.create(
        customer=customer, survey=survey, source="survey", ref_type="test", ref_id="1",
        text="دیر رسید", sentiment="negative",
    )  # fmt: skip


def _service_records(users: dict[str, Any], customer: Any) -> None:
    """A team and its ticket, with a grant, a grant waiting for approval and a return."""
    service = users["service"]
    team = Team.objects.create(name="Support", lead=users["manager"], monthly_budget=10**8)
    team.members.add(service)
    settings = DeskSettings.current()
    settings.default_team = team
    settings.save()
    ticket = ticket_create(
        actor=service, customer=customer, subject="دیرکرد", body="دیر رسید", channel="phone"
    )
    for amount in (100_000, 6_000_000):
        compensation_grant(
            actor=service, ticket=ticket, kind="voucher", amount=amount, reason="دیرکرد"
        )
    order = order_create(
        actor=users["admin"],
        customer=customer,
        number="S-1",
        status="delivered",
        lines=[LineInput(quantity=5, unit_price=100_000, description="لیوان")],
    )
    return_request(actor=service, line=order.lines.get(), quantity=1, reason="ترک", ticket=ticket)


@pytest.fixture(params=["sales", "manager"])
def bearer(request: pytest.FixtureRequest, users: dict[str, Any], make_customer: Any) -> str:
    # Records to find, open, edit and order for, so that not every lookup is a 404.
    customers = [make_customer(owner=users["sales"]) for _ in range(3)]
    _feedback_records(users, customers[0])
    _service_records(users, customers[0])
    return "Bearer " + ApiToken.issue(user=users[request.param], name="schemathesis")[1]


@settings(
    max_examples=15,
    deadline=timedelta(seconds=5),
    # The role and its records are set up once per operation; the examples share them and the
    # test's transaction on purpose.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@schema.parametrize()
def test_api_answers_every_request_as_documented(case: Any, bearer: str) -> None:
    case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
