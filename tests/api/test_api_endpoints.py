"""What each endpoint returns: filters, pages, the timeline, consents, orders, merge, tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from mehvar.customers.models import ConsentChange, Customer, Order
from mehvar.customers.services import consent_set

pytestmark = pytest.mark.django_db

Api = Callable[[str], Any]


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


# --- customers ------------------------------------------------------------------------------
def test_customer_detail_has_every_documented_field(
    make_customer: Callable[..., Customer], users: dict[str, Any], as_role: Api
) -> None:
    customer = make_customer(
        owner=users["sales"],
        first_name="مینا",
        last_name="رحیمی",
        mobile="09121230000",
        email="Mina@Example.com",
        tags=["وفادار", "vip"],
        province="اصفهان",
        city="کاشان",
        acquisition_source="instagram",
        external_id="shop-77",
    )
    body = as_role("service").get(f"/customers/{customer.pk}").json()
    assert body == {
        "id": customer.pk,
        "kind": "person",
        "first_name": "مینا",
        "last_name": "رحیمی",
        "company_name": "",
        "job_title": "",
        "display_name": "مینا رحیمی",
        "mobile": "+989121230000",
        "other_phones": [],
        "email": "mina@example.com",
        "national_id": None,
        "birth_date": None,
        "province": "isfahan",
        "city": "کاشان",
        "address": "",
        "postal_code": "",
        "acquisition_source": "instagram",
        "tags": ["vip", "وفادار"],
        "owner_id": users["sales"].pk,
        "company_id": None,
        "lifecycle_stage": "lead",
        "external_id": "shop-77",
        "merged_into_id": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None


def test_a_person_works_for_a_company(make_customer: Callable[..., Customer], as_role: Api) -> None:
    firm = make_customer(kind="company", company_name="فولاد نوین", first_name="", last_name="")
    person = make_customer()
    api = as_role("manager")
    contact = api.post("/customers", {"last_name": "صالحی", "company_id": firm.pk})
    assert (contact.status_code, contact.json()["company_id"]) == (201, firm.pk)
    linked = api.patch(f"/customers/{person.pk}", {"company_id": firm.pk})
    assert linked.json()["company_id"] == firm.pk
    unlinked = api.patch(f"/customers/{person.pk}", {"company_id": None})
    assert unlinked.json()["company_id"] is None
    refused = api.post("/customers", {"last_name": "صالحی", "company_id": person.pk})
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"company_id"}


def test_list_filters_and_search(
    make_customer: Callable[..., Customer], users: dict[str, Any], as_role: Api
) -> None:
    ali = make_customer(
        first_name="علی",
        last_name="یزدانی",
        province="tehran",
        city="تهران",
        tags=["vip"],
        lifecycle_stage="customer",
        owner=users["sales"],
    )
    sara = make_customer(
        first_name="سارا",
        last_name="یزدانی",
        province="fars",
        city="شیراز",
        acquisition_source="website",
    )
    firm = make_customer(kind="company", company_name="پارس کالا", first_name="", last_name="")
    api = as_role("marketing")

    # An Arabic ي typed into the search box still finds the Persian ی.
    assert sorted(_ids(api.get("/customers", q="يزداني"))) == sorted([ali.pk, sara.pk])
    assert _ids(api.get("/customers", province="فارس")) == [sara.pk]
    assert _ids(api.get("/customers", city="شيراز")) == [sara.pk]
    assert _ids(api.get("/customers", stage="customer")) == [ali.pk]
    assert _ids(api.get("/customers", kind="company")) == [firm.pk]
    assert _ids(api.get("/customers", source="website")) == [sara.pk]
    assert _ids(api.get("/customers", tag="vip")) == [ali.pk]
    assert _ids(api.get("/customers", owner=str(users["sales"].pk))) == [ali.pk]
    assert _ids(api.get("/customers", q=ali.mobile[-10:])) == [ali.pk]


def test_list_sorts_and_pages(make_customer: Callable[..., Customer], as_role: Api) -> None:
    made = [make_customer(first_name=name, last_name="احمدی") for name in ("بابک", "آرش", "پرویز")]
    api = as_role("sales")
    by_name = _ids(api.get("/customers", sort="name"))
    assert by_name == [made[1].pk, made[0].pk, made[2].pk]
    assert _ids(api.get("/customers", sort="-name")) == by_name[::-1]
    assert _ids(api.get("/customers", sort="-created")) == [m.pk for m in reversed(made)]

    page = api.get("/customers", sort="created", page="2", page_size="2").json()
    assert page == {"items": page["items"], "count": 3}
    assert [item["id"] for item in page["items"]] == [made[2].pk]
    assert api.get("/customers", page="9").json() == {"items": [], "count": 3}


def test_created_dates_filter_in_either_calendar(
    make_customer: Callable[..., Customer], as_role: Api
) -> None:
    old = make_customer()
    Customer.objects.filter(pk=old.pk).update(created_at=datetime(2024, 3, 19, 12, tzinfo=UTC))
    new = make_customer()
    Customer.objects.filter(pk=new.pk).update(created_at=datetime(2024, 3, 21, 12, tzinfo=UTC))
    api = as_role("sales")
    # 1403/01/01 is 2024-03-20 (Nowruz).
    assert _ids(api.get("/customers", created_from="۱۴۰۳/۰۱/۰۱")) == [new.pk]
    assert _ids(api.get("/customers", created_to="2024-03-20")) == [old.pk]


def test_merged_records_leave_the_list_and_refuse_writes(
    make_customer: Callable[..., Customer], users: dict[str, Any], as_role: Api
) -> None:
    target = make_customer(first_name="حسن", last_name="موسوی", email="h@example.com")
    source = make_customer(first_name="حسن", last_name="موسوی", email="h@example.com")
    api = as_role("manager")
    groups = api.get("/duplicates").json()
    assert {
        "reason": "email",
        "key": "h@example.com",
        "customer_ids": sorted([target.pk, source.pk]),
    } in [{**g, "customer_ids": sorted(g["customer_ids"])} for g in groups]
    api.post("/notes", {"customer_id": source.pk, "body": "یادداشت قدیمی"})

    merged = api.post(f"/customers/{target.pk}/merge", {"source_id": source.pk})

    assert merged.status_code == 200
    assert merged.json()["other_phones"] == [source.mobile]
    assert _ids(api.get("/customers")) == [target.pk]
    tombstone = api.get(f"/customers/{source.pk}").json()
    assert (tombstone["merged_into_id"], tombstone["mobile"]) == (target.pk, None)
    refused = api.patch(f"/customers/{source.pk}", {"city": "قم"})
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    note = api.post("/notes", {"customer_id": source.pk, "body": "x"})
    assert note.status_code == 422
    assert set(note.json()["errors"]) == {"customer_id"}
    # The note written before the merge now lives on the survivor's timeline.
    summaries = [e["summary"] for e in api.get(f"/customers/{target.pk}/timeline").json()["items"]]
    assert "یادداشت قدیمی" in summaries
    again = api.post(f"/customers/{target.pk}/merge", {"source_id": source.pk})
    assert (again.status_code, again.json()["code"]) == (409, "merge_invalid")
    itself = api.post(f"/customers/{target.pk}/merge", {"source_id": target.pk})
    assert itself.status_code == 409


def test_delete(make_customer: Callable[..., Customer], as_role: Api) -> None:
    gone, kept = make_customer(), make_customer()
    api = as_role("admin")
    api.post(
        "/orders",
        {"customer_id": kept.pk, "number": "D-1", "lines": [{"description": "x", "unit_price": 1}]},
    )
    response = api.delete(f"/customers/{gone.pk}")
    assert (response.status_code, response.content) == (204, b"")
    assert not Customer.objects.filter(pk=gone.pk).exists()
    refused = api.delete(f"/customers/{kept.pk}")
    assert (refused.status_code, refused.json()["code"]) == (409, "conflict")
    assert api.delete(f"/customers/{gone.pk}").status_code == 404


def test_timeline_is_shared_and_paged(make_customer: Callable[..., Customer], as_role: Api) -> None:
    customer = make_customer()
    as_role("sales").post(
        "/interactions",
        {
            "customer_id": customer.pk,
            "channel": "call",
            "direction": "outbound",
            "summary": "پیشنهاد تمدید",
            "outcome": "قبول کرد",
        },
    )
    as_role("service").post("/notes", {"customer_id": customer.pk, "body": "شکایت بسته شد"})
    events = as_role("marketing").get(f"/customers/{customer.pk}/timeline").json()
    assert events["count"] == 3
    assert [(e["kind"], e["department"]) for e in events["items"]] == [
        ("note_added", "service"),
        ("interaction", "sales"),
        ("customer_created", "management"),
    ]
    assert events["items"][1]["outcome"] == "قبول کرد"
    page = as_role("marketing").get(f"/customers/{customer.pk}/timeline", page_size="1", page="3")
    assert [e["kind"] for e in page.json()["items"]] == ["customer_created"]


# --- consents -------------------------------------------------------------------------------
def test_consents_current_and_history(make_customer: Callable[..., Customer], as_role: Api) -> None:
    customer = make_customer()
    api = as_role("marketing")
    api.post(
        f"/customers/{customer.pk}/consents",
        {"channel": "sms", "status": "granted", "source": "staff", "evidence": "فرم کاغذی"},
    )
    body = api.post(
        f"/customers/{customer.pk}/consents", {"channel": "sms", "status": "withdrawn"}
    ).json()
    assert [(c["channel"], c["status"], c["source"]) for c in body["current"]] == [
        ("sms", "withdrawn", "api")
    ]
    assert [(h["status"], h["source"], h["evidence"]) for h in body["history"]] == [
        ("withdrawn", "api", ""),
        ("granted", "staff", "فرم کاغذی"),
    ]
    assert api.get(f"/customers/{customer.pk}/consents").json() == body


def test_staff_cannot_undo_a_customers_own_opt_out(
    make_customer: Callable[..., Customer], as_role: Api
) -> None:
    customer = make_customer()
    consent_set(
        actor=None, customer=customer, channel="sms", status="withdrawn", source="customer_link"
    )
    history = ConsentChange.objects.count()
    response = as_role("admin").post(
        f"/customers/{customer.pk}/consents", {"channel": "sms", "status": "granted"}
    )
    assert (response.status_code, response.json()["code"]) == (409, "consent_locked")
    assert ConsentChange.objects.count() == history
    assert customer.consents.get().status == "withdrawn"


# --- orders ---------------------------------------------------------------------------------
def test_orders_total_list_and_status(make_customer: Callable[..., Customer], as_role: Api) -> None:
    buyer, other = make_customer(), make_customer()
    api = as_role("sales")
    created = api.post(
        "/orders",
        {
            "customer_id": buyer.pk,
            "number": "S-1",
            "placed_at": "2024-03-21T10:00:00+03:30",
            "channel": "website",
            "status": "pending",
            "discount": 50_000,
            "lines": [
                {"description": "دفتر", "quantity": 3, "unit_price": 120_000},
                {"description": "خودکار", "quantity": 10, "unit_price": 15_000},
            ],
        },
    )
    assert created.status_code == 201
    order = created.json()
    assert (order["total"], order["discount"], order["status"]) == (460_000, 50_000, "pending")
    assert [line["line_total"] for line in order["lines"]] == [360_000, 150_000]
    api.post(
        "/orders",
        {
            "customer_id": other.pk,
            "number": "S-2",
            "lines": [{"description": "x", "unit_price": 1}],
        },
    )

    assert _ids(api.get("/orders", customer=str(buyer.pk))) == [order["id"]]
    assert _ids(api.get("/orders", status="pending")) == [order["id"]]
    assert _ids(api.get("/orders", placed_from="1403/01/02", placed_to="1403/01/02")) == [
        order["id"]
    ]

    shipped = api.patch(f"/orders/{order['id']}", {"status": "shipped"})
    assert shipped.json()["status"] == "shipped"
    assert Order.objects.get(pk=order["id"]).status == "shipped"
    assert as_role("manager").get(f"/orders/{order['id']}").json() == shipped.json()


def test_money_and_dates_are_typed_in_openapi(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    parts = schema["components"]["schemas"]
    assert parts["OrderLineIn"]["properties"]["unit_price"] == {
        "description": "Integer amount in Rials (1 Toman = 10 Rials).",
        "maximum": 10**15,
        "minimum": 0,
        "title": "Unit Price",
        "type": "integer",
    }
    assert parts["OrderOut"]["properties"]["total"]["type"] == "integer"
    assert parts["OrderOut"]["properties"]["placed_at"]["format"] == "date-time"
    birth = parts["CustomerOut"]["properties"]["birth_date"]["anyOf"][0]
    assert birth == {"format": "date", "type": "string"}
    post = schema["paths"]["/api/v1/orders"]["post"]
    assert {p["name"] for p in post["parameters"]} == {"Idempotency-Key"}


def test_docs_never_come_from_a_cdn(client: Client) -> None:
    response = client.get("/api/v1/docs")
    if "ninja" not in settings.INSTALLED_APPS:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets
    assert all(url.startswith(settings.STATIC_URL) for url in assets), assets


# --- interactions, notes, tasks -------------------------------------------------------------
def test_interactions_and_notes_lists(
    make_customer: Callable[..., Customer], users: dict[str, Any], as_role: Api
) -> None:
    one, two = make_customer(), make_customer()
    when = (timezone.now() - timedelta(days=1)).isoformat()
    first = (
        as_role("service")
        .post(
            "/interactions",
            {
                "customer_id": one.pk,
                "channel": "sms",
                "direction": "inbound",
                "summary": "سؤال",
                "occurred_at": when,
            },
        )
        .json()
    )
    assert (first["department"], first["employee_id"]) == ("service", users["service"].pk)
    as_role("sales").post(
        "/interactions",
        {"customer_id": two.pk, "channel": "call", "direction": "outbound", "summary": "پیگیری"},
    )
    api = as_role("marketing")
    assert _ids(api.get("/interactions", customer_id=str(one.pk))) == [first["id"]]
    assert _ids(api.get("/interactions", channel="sms")) == [first["id"]]
    assert api.get("/interactions").json()["count"] == 2

    note = api.post("/notes", {"customer_id": two.pk, "body": "  علاقه‌مند به  تخفیف "}).json()
    assert (note["body"], note["author_id"]) == ("علاقه‌مند به تخفیف", users["marketing"].pk)
    assert _ids(api.get("/notes", customer_id=str(two.pk))) == [note["id"]]
    assert _ids(api.get("/notes", customer_id=str(one.pk))) == []


def test_tasks_assign_filter_and_complete(
    make_customer: Callable[..., Customer], users: dict[str, Any], as_role: Api
) -> None:
    customer = make_customer()
    due = (timezone.now() + timedelta(days=3)).isoformat()
    own = (
        as_role("sales")
        .post("/tasks", {"customer_id": customer.pk, "title": "ارسال پیش‌فاکتور", "due_at": due})
        .json()
    )
    assert own["assignee_id"] == users["sales"].pk
    delegated = (
        as_role("manager")
        .post(
            "/tasks",
            {
                "customer_id": customer.pk,
                "title": "تماس",
                "due_at": due,
                "assignee_id": users["service"].pk,
            },
        )
        .json()
    )
    api = as_role("service")
    assert _ids(api.get("/tasks", assignee=str(users["service"].pk))) == [delegated["id"]]
    assert sorted(_ids(api.get("/tasks", customer_id=str(customer.pk)))) == sorted(
        [own["id"], delegated["id"]]
    )

    done = api.post(f"/tasks/{delegated['id']}/complete")
    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert done.json()["completed_at"] is not None
    assert _ids(api.get("/tasks", status="done")) == [delegated["id"]]
    assert _ids(api.get("/tasks", status="open")) == [own["id"]]
    assert api.post("/tasks/424242/complete").status_code == 404
