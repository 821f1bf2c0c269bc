"""Bad input gets a 4xx naming each wrong field, and never a 500 (nor a stray write)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mehvar.core.models import TimelineEvent
from mehvar.customers.models import Customer, Interaction, Order, Product, Task

pytestmark = pytest.mark.django_db

Api = Callable[[str], Any]
PERSON = {"first_name": "رضا", "last_name": "کریمی"}


@pytest.fixture
def customer(make_customer: Callable[..., Customer]) -> Customer:
    return make_customer(first_name="لیلا", last_name="حسینی")


def _refused(response: Any, status: int, fields: set[str]) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body["errors"]) == fields, body
    assert all(body["errors"].values())
    return body


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"national_id": "1234567890"}, "national_id"),  # checksum fails
        ({"national_id": "۱۱۱۱۱۱۱۱۱۱"}, "national_id"),  # all one digit
        ({"kind": "company", "company_name": "آلفا", "national_id": "0499370899"}, "national_id"),
        ({"mobile": "02188776655"}, "mobile"),  # a landline
        ({"mobile": "0912123456"}, "mobile"),  # one digit short
        ({"mobile": "+44 7700 900123"}, "mobile"),
        ({"email": "ali@"}, "email"),
        ({"email": "علی@example.com@"}, "email"),
        ({"postal_code": "12345"}, "postal_code"),
        ({"province": "Atlantis"}, "province"),
        ({"birth_date": "2999-01-01"}, "birth_date"),  # future
        ({"birth_date": "1499/01/01"}, "birth_date"),  # future, Jalali
        ({"birth_date": "1404/12/30"}, "birth_date"),  # 1404 is not a leap year
        ({"birth_date": "24/03/1990"}, "birth_date"),  # day-first is ambiguous
        ({"birth_date": 19900324}, "birth_date"),
        ({"other_phones": ["123"]}, "other_phones"),
        ({"lifecycle_stage": "vip"}, "lifecycle_stage"),
        ({"kind": "robot"}, "kind"),
        ({"first_name": "ن" * 101}, "first_name"),
        ({"address": "x" * 100_000}, "address"),
        ({"tags": "vip"}, "tags"),
        ({"tags": ["t"] * 21}, "tags"),
        ({"mobile": 9121234567}, "mobile"),  # a number, not text
        ({"first_name": "a\x00b"}, "first_name"),
        ({"first_name": ["علی"]}, "first_name"),
        ({"owner_id": 0}, "owner_id"),
        ({"owner_id": 2**64}, "owner_id"),
        ({"owner_id": 999_999}, "owner_id"),  # no such employee
        ({"created_by": 1}, "created_by"),
    ],
)
def test_customer_create_names_the_bad_field(
    data: dict[str, Any], field: str, as_role: Api
) -> None:
    _refused(as_role("admin").post("/customers", {**PERSON, **data}), 422, {field})
    assert Customer.objects.count() == 0


def test_every_bad_field_is_reported_at_once(as_role: Api) -> None:
    body = _refused(
        as_role("admin").post(
            "/customers",
            {"mobile": "0212345", "national_id": "1234567890", "email": "x@", "postal_code": "1"},
        ),
        422,
        {"mobile", "national_id", "email", "postal_code", "last_name"},
    )
    assert body["code"] == "invalid"


def test_persian_input_is_accepted_and_normalised(as_role: Api) -> None:
    response = as_role("sales").post(
        "/customers",
        {
            "first_name": "علي",
            "last_name": "كاظمي",
            "mobile": "۰۰۹۸ ۹۱۲ ۱۲۳ ۴۵۶۷",
            "national_id": "٠٤٩٩٣٧٠٨٩٩",
            "birth_date": "۱۳۷۰/۰۵/۱۲",
            "postal_code": "۱۳۴۵۶-۷۸۹۰۱",
            "province": "خراسان رضوي",
            "other_phones": ["۰۲۱-۸۸۷۷۶۶۵۵"],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["first_name"], body["last_name"]) == ("علی", "کاظمی")
    assert body["mobile"] == "+989121234567"
    assert body["national_id"] == "0499370899"
    assert body["birth_date"] == "1991-08-03"
    assert body["postal_code"] == "1345678901"
    assert body["province"] == "razavi-khorasan"
    assert body["other_phones"] == ["+982188776655"]


def test_a_duplicate_names_the_existing_record(customer: Customer, as_role: Api) -> None:
    assert customer.mobile is not None
    body = _refused(
        as_role("sales").post("/customers", {**PERSON, "mobile": customer.mobile}), 409, {"mobile"}
    )
    assert (body["code"], body["existing_id"]) == ("duplicate", customer.pk)


def test_patch_validates_like_create(customer: Customer, as_role: Api) -> None:
    api = as_role("admin")
    _refused(
        api.patch(f"/customers/{customer.pk}", {"national_id": "1234567890"}), 422, {"national_id"}
    )
    _refused(api.patch(f"/customers/{customer.pk}", {"kind": None}), 422, {"kind"})
    _refused(
        api.patch(f"/customers/{customer.pk}", {"lifecycle_stage": None}), 422, {"lifecycle_stage"}
    )
    customer.refresh_from_db()
    assert (customer.national_id, customer.kind, customer.lifecycle_stage) == (
        None,
        "person",
        "lead",
    )


# --- request shape --------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [b"{not json", b"", b"\xff\xfe", b'{"first_name": "a"'])
def test_a_body_that_is_not_json(raw: bytes, as_role: Api) -> None:
    response = as_role("admin").post("/customers", raw=raw)
    assert response.status_code in (400, 422)
    assert response.json()["errors"]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("body", [[], [PERSON], "text", 42, None])
def test_a_body_that_is_not_an_object(body: Any, as_role: Api) -> None:
    response = as_role("admin").post("/customers", raw=__import__("json").dumps(body))
    assert response.status_code == 422
    assert response.json()["errors"]


def test_a_body_too_large(as_role: Api) -> None:
    response = as_role("admin").post(
        "/notes", raw=b'{"body": "' + b"x" * (11 * 1024 * 1024) + b'"}'
    )
    assert response.status_code == 413
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/customers/abc", 422),
        ("/customers/0", 422),
        ("/customers/-1", 422),
        ("/customers/99999999999999999999999", 422),
        ("/customers/123456", 404),
        ("/orders/123456", 404),
        ("/customers/123456/timeline", 404),
        ("/customers/123456/consents", 404),
    ],
)
def test_bad_or_unknown_ids(path: str, status: int, as_role: Api) -> None:
    response = as_role("admin").get(path)
    assert response.status_code == status
    assert response.json()["code"] in {"invalid", "not_found"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"page": "10000000000000000000000"}, "page"),
        ({"owner": "99999999999999999999999"}, "owner"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\x00"}, "q"),
        ({"mine": "perhaps"}, "mine"),
        ({"created_to": "1404/13/01"}, "created_to"),
    ],
)
def test_bad_query_parameters(params: dict[str, str], field: str, as_role: Api) -> None:
    _refused(as_role("admin").get("/customers", **params), 422, {field})


# --- orders ---------------------------------------------------------------------------------
def _order(customer: Customer, **extra: Any) -> dict[str, Any]:
    line = {"description": "کتاب", "quantity": 2, "unit_price": 250_000}
    return {"customer_id": customer.pk, "number": "A-100", "lines": [line], **extra}


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        (
            {"lines": [{"description": "x", "quantity": -1, "unit_price": 10}]},
            {"lines[1].quantity"},
        ),
        ({"lines": [{"description": "x", "quantity": 0, "unit_price": 10}]}, {"lines[1].quantity"}),
        (
            {"lines": [{"description": "x", "quantity": 1, "unit_price": -10}]},
            {"lines[1].unit_price"},
        ),
        (
            {"lines": [{"description": "x", "quantity": 1.5, "unit_price": 10}]},
            {"lines[1].quantity"},
        ),
        (
            {"lines": [{"description": "x", "quantity": "دو", "unit_price": 10}]},
            {"lines[1].quantity"},
        ),
        ({"lines": [{"quantity": 1, "unit_price": 10}]}, {"lines[1].description"}),
        (
            {"lines": [{"product_sku": "NOPE", "quantity": 1, "unit_price": 10}]},
            {"lines[1].product_sku"},
        ),
        ({"lines": []}, {"lines"}),
        (
            {"lines": [{"description": "x", "quantity": 1_000_000, "unit_price": 10**15}] * 2},
            {"__all__"},
        ),
        ({"discount": -1}, {"discount"}),
        ({"discount": 10**9}, {"discount"}),  # more than the order
        ({"number": ""}, {"number"}),
        ({"placed_at": "2999-01-01T10:00:00+03:30"}, {"placed_at"}),
        ({"placed_at": "2024-01-01T10:00:00"}, {"placed_at"}),  # no zone
        ({"placed_at": "9999-12-31T23:59:59-23:59"}, {"placed_at"}),
        ({"status": "lost"}, {"status"}),
        ({"customer_id": 987_654}, {"customer_id"}),
        ({"total": 5}, {"total"}),
    ],
)
def test_order_create_names_the_bad_field(
    change: dict[str, Any], fields: set[str], customer: Customer, as_role: Api
) -> None:
    _refused(as_role("admin").post("/orders", _order(customer, **change)), 422, fields)
    assert Order.objects.count() == 0


def test_persian_digits_in_amounts_and_numbers(customer: Customer, as_role: Api) -> None:
    Product.objects.create(sku="BK-1", name="کتاب", price=250_000)
    response = as_role("sales").post(
        "/orders",
        {
            "customer_id": customer.pk,
            "number": "۱۴۰۳-۲۲",
            "discount": "۱۰۰۰۰",
            "lines": [{"product_sku": "BK-1", "quantity": "۳", "unit_price": "۲۵۰۰۰۰"}],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["discount"], body["total"]) == ("1403-22", 10_000, 740_000)
    assert body["lines"][0]["product_sku"] == "BK-1"
    assert body["lines"][0]["description"] == "کتاب"


def test_a_repeated_order_number(customer: Customer, as_role: Api) -> None:
    api = as_role("admin")
    first = api.post("/orders", _order(customer))
    body = _refused(api.post("/orders", _order(customer)), 409, {"number"})
    assert body["existing_id"] == first.json()["id"]


# --- interactions, notes, tasks -------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"occurred_at": "2999-01-01T10:00:00+03:30"}, {"occurred_at"}),
        ({"occurred_at": "2024-01-01T10:00:00"}, {"occurred_at"}),
        ({"summary": "   "}, {"summary"}),
        ({"summary": "x" * 501}, {"summary"}),
        ({"channel": "system"}, {"channel"}),
        ({"direction": "sideways"}, {"direction"}),
        ({"customer_id": "abc"}, {"customer_id"}),
    ],
)
def test_interaction_names_the_bad_field(
    change: dict[str, Any], fields: set[str], customer: Customer, as_role: Api
) -> None:
    body = {
        "customer_id": customer.pk,
        "channel": "call",
        "direction": "outbound",
        "summary": "سلام",
    }
    _refused(as_role("service").post("/interactions", {**body, **change}), 422, fields)
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"title": ""}, {"title"}),
        ({"due_at": "tomorrow"}, {"due_at"}),
        ({"due_at": "2030-01-01T09:00:00"}, {"due_at"}),
        ({"assignee_id": 424242}, {"assignee_id"}),
    ],
)
def test_task_names_the_bad_field(
    change: dict[str, Any], fields: set[str], customer: Customer, as_role: Api
) -> None:
    due = (timezone.now() + timedelta(days=1)).isoformat()
    body = {"customer_id": customer.pk, "title": "تماس", "due_at": due, **change}
    _refused(as_role("sales").post("/tasks", body), 422, fields)
    assert Task.objects.count() == 0


def test_a_note_that_is_empty(customer: Customer, as_role: Api) -> None:
    events = TimelineEvent.objects.count()
    _refused(
        as_role("sales").post("/notes", {"customer_id": customer.pk, "body": " \n "}), 422, {"body"}
    )
    assert TimelineEvent.objects.count() == events
