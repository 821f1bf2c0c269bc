"""SECURITY.md #16 and #17 through the API: retries and races create one record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from mehvar.core.models import IdempotencyRecord
from mehvar.customers.models import Customer, Note

ApiClient = Any  # tests/api/conftest.py; a test directory without __init__ cannot import it

pytestmark = pytest.mark.django_db

needs_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL"
)

MOBILE_SPELLINGS = ["09121234567", "+989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "00989121234567"]


def _customer(mobile: str = "09121234567", **extra: Any) -> dict[str, Any]:
    return {"first_name": "نرگس", "last_name": "صادقی", "mobile": mobile, **extra}


# --- SECURITY.md #16 ------------------------------------------------------------------------
def test_same_key_and_body_replays_the_first_answer(as_role: Callable[[str], ApiClient]) -> None:
    api = as_role("sales")
    key = {"Idempotency-Key": "create-narges-1"}

    first = api.post("/customers", _customer(), headers=key)
    second = api.post("/customers", _customer(), headers=key)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert Customer.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201


def test_same_key_with_another_body_is_refused(as_role: Callable[[str], ApiClient]) -> None:
    api = as_role("sales")
    key = {"Idempotency-Key": "k-1"}
    assert api.post("/customers", _customer(), headers=key).status_code == 201

    other = api.post("/customers", _customer("09121112233"), headers=key)

    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert list(Customer.objects.values_list("mobile", flat=True)) == ["+989121234567"]


def test_same_key_on_another_endpoint_is_refused(
    as_role: Callable[[str], ApiClient], make_customer: Any
) -> None:
    customer = make_customer()
    api = as_role("sales")
    key = {"Idempotency-Key": "k-2"}
    assert (
        api.post("/notes", {"customer_id": customer.pk, "body": "یک"}, headers=key).status_code
        == 201
    )
    response = api.post(
        "/interactions",
        {"customer_id": customer.pk, "channel": "call", "direction": "inbound", "summary": "یک"},
        headers=key,
    )
    assert response.status_code == 422
    assert customer.interactions.count() == 0


def test_keys_belong_to_their_user(as_role: Callable[[str], ApiClient], make_customer: Any) -> None:
    customer = make_customer()
    key = {"Idempotency-Key": "shared-key"}
    sales = as_role("sales").post(
        "/notes", {"customer_id": customer.pk, "body": "الف"}, headers=key
    )
    # Another employee's identical key is another request: no replay of someone else's answer.
    service = as_role("service").post(
        "/notes", {"customer_id": customer.pk, "body": "ب"}, headers=key
    )
    assert (sales.status_code, service.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in service.headers
    assert sorted(Note.objects.values_list("body", flat=True)) == ["الف", "ب"]
    assert IdempotencyRecord.objects.count() == 2


def test_a_refusal_is_replayed_too(as_role: Callable[[str], ApiClient]) -> None:
    api = as_role("sales")
    key = {"Idempotency-Key": "bad-mobile"}
    first = api.post("/customers", _customer("123"), headers=key)
    second = api.post("/customers", _customer("123"), headers=key)
    assert first.status_code == second.status_code == 422
    assert first.json() == second.json()
    assert first.json()["errors"]["mobile"]


def test_without_a_key_each_post_counts(
    as_role: Callable[[str], ApiClient], make_customer: Any
) -> None:
    customer = make_customer()
    api = as_role("sales")
    for _ in range(2):
        assert api.post("/notes", {"customer_id": customer.pk, "body": "تکرار"}).status_code == 201
    assert Note.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.parametrize("key", ["", "   ", "x" * 256])
def test_a_malformed_key_is_refused(key: str, as_role: Callable[[str], ApiClient]) -> None:
    response = as_role("sales").post("/customers", _customer(), headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert Customer.objects.count() == 0


def test_an_anonymous_key_records_nothing(as_role: Callable[[str], ApiClient]) -> None:
    response = as_role("anonymous").post(
        "/customers", _customer(), headers={"Idempotency-Key": "stranger"}
    )
    assert response.status_code == 401
    assert IdempotencyRecord.objects.count() == 0


# --- SECURITY.md #17 ------------------------------------------------------------------------
def test_one_mobile_in_four_spellings_is_one_customer(as_role: Callable[[str], ApiClient]) -> None:
    api = as_role("sales")
    responses = [api.post("/customers", _customer(m)) for m in MOBILE_SPELLINGS]

    created = Customer.objects.get()
    assert created.mobile == "+989121234567"
    assert [r.status_code for r in responses] == [201, 409, 409, 409]
    for duplicate in responses[1:]:
        body = duplicate.json()
        assert body["code"] == "duplicate"
        assert body["existing_id"] == created.pk
        assert set(body["errors"]) == {"mobile"}


def _race(count: int, send: Callable[[int], Any]) -> list[Any]:
    """Fire ``count`` requests at once, each in its own thread and database connection."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            start.wait()
            results[index] = send(index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creates_of_one_mobile_make_one_customer(
    as_role: Callable[[str], ApiClient],
) -> None:
    roles = ["sales", "sales2", "marketing", "service", "manager"]

    def send(index: int) -> Any:
        client = as_role(roles[index % len(roles)])
        return client.post("/customers", _customer(MOBILE_SPELLINGS[index % 4]))

    responses = _race(20, send)

    created = Customer.objects.get()
    assert created.mobile == "+989121234567"
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    assert {r.json()["existing_id"] for r in responses if r.status_code == 409} == {created.pk}


@pytest.mark.postgres
@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_once(
    as_role: Callable[[str], ApiClient],
) -> None:
    def send(index: int) -> Any:
        return as_role("sales").post(
            "/customers", _customer(), headers={"Idempotency-Key": "retry-storm"}
        )

    responses = _race(10, send)

    assert Customer.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
