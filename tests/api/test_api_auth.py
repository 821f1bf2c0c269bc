"""Who is speaking: a personal bearer token, or the browser session with its CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mehvar.core.models import ApiToken
from mehvar.customers.models import Customer

pytestmark = pytest.mark.django_db

NEW_CUSTOMER = {"first_name": "بهرام", "last_name": "نیکو", "mobile": "09131234567"}
# Any 32 characters from Django's CSRF alphabet form a valid (unmasked) secret.
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"


def _unauthenticated(response: Any) -> None:
    assert response.status_code == 401
    assert response.json() == {"code": "unauthenticated", "detail": "Authentication required."}


def test_no_credentials(client: Client) -> None:
    _unauthenticated(client.get("/api/v1/customers"))
    _unauthenticated(
        client.post("/api/v1/customers", NEW_CUSTOMER, content_type="application/json")
    )
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("header", ["Bearer mhv_not-a-real-token", "Bearer ", "Token abc", "mhv_x"])
def test_a_wrong_token(client: Client, header: str) -> None:
    _unauthenticated(client.get("/api/v1/customers", headers={"Authorization": header}))


def test_a_valid_token(client: Client, users: dict[str, Any]) -> None:
    token, raw = ApiToken.issue(user=users["service"], name="crm sync")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json()["username"] == "service"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token(client: Client, users: dict[str, Any]) -> None:
    token, raw = ApiToken.issue(user=users["sales"], name="old laptop")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    _unauthenticated(client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}))


def test_the_token_of_an_inactive_employee(client: Client, users: dict[str, Any]) -> None:
    _token, raw = ApiToken.issue(user=users["sales"], name="laptop")
    users["sales"].is_active = False
    users["sales"].save(update_fields=["is_active"])
    headers = {"Authorization": f"Bearer {raw}"}
    _unauthenticated(client.get("/api/v1/me", headers=headers))
    _unauthenticated(
        client.post(
            "/api/v1/customers", NEW_CUSTOMER, content_type="application/json", headers=headers
        )
    )
    assert Customer.objects.count() == 0


def _browser(user: Any) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.cookies["csrftoken"] = CSRF_SECRET
    return browser


def test_session_reads_without_csrf(users: dict[str, Any]) -> None:
    response = _browser(users["marketing"]).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "marketing"


def test_session_write_needs_the_csrf_token(users: dict[str, Any]) -> None:
    browser = _browser(users["sales"])
    refused = browser.post("/api/v1/customers", NEW_CUSTOMER, content_type="application/json")
    assert refused.status_code == 403
    assert Customer.objects.count() == 0

    accepted = browser.post(
        "/api/v1/customers",
        NEW_CUSTOMER,
        content_type="application/json",
        headers={"X-CSRFToken": CSRF_SECRET},
    )
    assert accepted.status_code == 201
    assert Customer.objects.get().created_by == users["sales"]


def test_session_of_an_inactive_employee(users: dict[str, Any]) -> None:
    browser = _browser(users["sales"])
    users["sales"].is_active = False
    users["sales"].save(update_fields=["is_active"])
    _unauthenticated(browser.get("/api/v1/me"))


def test_me_lists_the_role_permissions(as_role: Callable[[str], Any]) -> None:
    me = as_role("sales").get("/me").json()
    assert me["role"] == "sales"
    assert me["permissions"] == [
        "customer.view",
        "customer.create",
        "customer.edit",
        "customer.import",
        "consent.edit",
        "order.view",
        "order.edit",
        "interaction.log",
        "note.add",
        "task.add",
        "survey.send",
        "feedback.view",
        "follow_up.work",
        "sentiment.correct",
        "ticket.view",
        "ticket.create",
        "ticket.note",
    ]
