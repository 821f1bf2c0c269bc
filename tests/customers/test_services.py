"""Services: the rules that hold whichever interface (page, API, import) calls them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from mehvar.core.errors import Duplicate, PermissionDenied, ServiceError, ValidationFailed
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.audit import audit_entries
from mehvar.customers.merge import customer_merge, duplicate_groups
from mehvar.customers.models import Consent, ConsentChange, Customer, Interaction, Order
from mehvar.customers.orders import LineInput, order_create
from mehvar.customers.services import (
    consent_set,
    customer_create,
    customer_update,
    interaction_log,
    note_add,
    task_complete,
    task_create,
)

pytestmark = pytest.mark.django_db


def test_create_normalises_every_spelling(users: dict[str, Any]) -> None:
    customer = customer_create(
        actor=users["sales"],
        data={
            "first_name": "  علي ",
            "last_name": "كاظمي",
            "mobile": "۰۹۱۲-۳۴۵-۶۷۸۹",
            "national_id": "٠٤٩٩٣٧٠٨٩٩",
            "province": "Tehran",
            "email": " Ali@Example.COM ",
        },
    )
    assert (customer.first_name, customer.last_name) == ("علی", "کاظمی")
    assert customer.mobile == "+989123456789"
    assert customer.national_id == "0499370899"
    assert customer.province == "tehran"
    assert customer.email == "ali@example.com"
    assert customer.name_key == "علی کاظمی"
    assert customer.name_key_rev == "کاظمی علی"
    # A sales person who creates a customer owns it.
    assert customer.owner == users["sales"]
    assert customer.timeline_events.get().kind == EventKind.CUSTOMER_CREATED


def test_create_reports_every_bad_field(users: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as caught:
        customer_create(
            actor=users["admin"],
            data={
                "mobile": "0212345",
                "national_id": "1234567890",
                "email": "no-at",
                "province": "Narnia",
            },
        )
    assert set(caught.value.errors) == {"mobile", "national_id", "email", "province", "last_name"}
    assert Customer.objects.count() == 0


def test_duplicate_mobile_in_another_spelling_is_refused(
    make_customer: Any, users: dict[str, Any]
) -> None:
    first = make_customer(mobile="09121112233")
    with pytest.raises(Duplicate) as caught:
        customer_create(actor=users["admin"], data={"last_name": "X", "mobile": "+98 912 111 2233"})
    assert caught.value.existing_id == first.pk
    assert Customer.objects.count() == 1


def test_update_writes_only_real_changes(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer(city="شیراز")
    events = TimelineEvent.objects.count()
    history = customer.history.count()
    same = customer_update(actor=users["admin"], customer=customer, data={"city": "شيراز"})
    assert same.changed == ()
    assert TimelineEvent.objects.count() == events
    assert customer.history.count() == history
    changed = customer_update(actor=users["admin"], customer=customer, data={"city": "Tabriz"})
    assert changed.changed == ("city",)
    assert customer.history.count() == history + 1


def test_sales_edits_only_own_customers(make_customer: Any, users: dict[str, Any]) -> None:
    theirs = make_customer(actor=users["sales"])
    assert theirs.owner == users["sales"]
    with pytest.raises(PermissionDenied):
        customer_update(actor=users["sales2"], customer=theirs, data={"city": "Qom"})
    theirs.refresh_from_db()
    assert theirs.city == ""
    # Sales may not hand a customer to a colleague either.
    with pytest.raises(PermissionDenied):
        customer_update(actor=users["sales"], customer=theirs, data={}, owner=users["sales2"])
    customer_update(actor=users["manager"], customer=theirs, data={}, owner=users["sales2"])
    theirs.refresh_from_db()
    assert theirs.owner == users["sales2"]


def test_customer_opt_out_cannot_be_undone_by_staff(
    make_customer: Any, users: dict[str, Any]
) -> None:
    customer = make_customer()
    consent_set(
        actor=users["marketing"], customer=customer, channel="sms", status="granted", source="staff"
    )
    consent_set(
        actor=None, customer=customer, channel="sms", status="withdrawn", source="customer_link"
    )
    with pytest.raises(ServiceError) as caught:
        consent_set(
            actor=users["marketing"],
            customer=customer,
            channel="sms",
            status="granted",
            source="staff",
        )
    assert caught.value.code == "consent_locked"
    assert Consent.objects.get(customer=customer, channel="sms").status == "withdrawn"
    # The customer may opt in again themselves; every step stays in the history.
    consent_set(
        actor=None, customer=customer, channel="sms", status="granted", source="customer_form"
    )
    statuses = list(
        ConsentChange.objects.filter(customer=customer)
        .order_by("id")
        .values_list("status", flat=True)
    )
    assert statuses == ["granted", "withdrawn", "granted"]


def test_every_kind_of_contact_lands_on_one_timeline(
    make_customer: Any, users: dict[str, Any]
) -> None:
    customer = make_customer()
    interaction_log(
        actor=users["sales"],
        customer=customer,
        channel="call",
        direction="outbound",
        summary="پیگیری پیش‌فاکتور",
    )
    interaction_log(
        actor=users["marketing"],
        customer=customer,
        channel="sms",
        direction="outbound",
        summary="کد تخفیف",
    )
    interaction_log(
        actor=users["service"],
        customer=customer,
        channel="call",
        direction="inbound",
        summary="شکایت از ارسال",
    )
    note_add(actor=users["service"], customer=customer, body="مشتری ناراضی است")
    task = task_create(
        actor=users["sales"],
        customer=customer,
        title="تماس مجدد",
        due_at=timezone.now() + timedelta(days=1),
    )
    task_complete(actor=users["sales"], task=task)
    order_create(
        actor=users["sales"],
        customer=customer,
        number="A-1",
        lines=[LineInput(quantity=2, unit_price=1_000_000, description="یخچال")],
        discount=100_000,
    )
    departments = set(customer.timeline_events.values_list("department", flat=True))
    assert {"sales", "marketing", "service"} <= departments
    kinds = list(customer.timeline_events.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "customer_created",
        "interaction",
        "interaction",
        "interaction",
        "note_added",
        "task_created",
        "task_completed",
        "order_placed",
    ]
    assert Order.objects.get(number="A-1").total == 1_900_000


def test_task_of_someone_else_cannot_be_closed(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer()
    task = task_create(actor=users["sales"], customer=customer, title="x", due_at=timezone.now())
    with pytest.raises(PermissionDenied):
        task_complete(actor=users["sales2"], task=task)
    task.refresh_from_db()
    assert task.status == "open"


def test_order_rejects_bad_lines(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer()
    with pytest.raises(ValidationFailed) as caught:
        order_create(
            actor=users["sales"],
            customer=customer,
            number="B-1",
            lines=[LineInput(quantity=0, unit_price=-5)],
            discount=10,
        )
    assert set(caught.value.errors) == {
        "lines[1].quantity",
        "lines[1].unit_price",
        "lines[1].description",
        "discount",
    }
    with pytest.raises(PermissionDenied):
        order_create(
            actor=users["marketing"],
            customer=customer,
            number="B-2",
            lines=[LineInput(quantity=1, unit_price=5, description="x")],
        )
    assert Order.objects.count() == 0


def test_merge_keeps_both_histories(make_customer: Any, users: dict[str, Any]) -> None:
    target = make_customer(first_name="مریم", last_name="احمدی", mobile="09120000001", city="تهران")
    source = make_customer(
        first_name="مريم",
        last_name="احمدي",
        mobile="09350000002",
        email="m@example.com",
        national_id="0499370899",
    )
    interaction_log(
        actor=users["service"],
        customer=source,
        channel="call",
        direction="inbound",
        summary="old record call",
    )
    order_create(
        actor=users["sales"],
        customer=source,
        number="M-1",
        lines=[LineInput(quantity=1, unit_price=10, description="x")],
    )
    consent_set(
        actor=None, customer=source, channel="sms", status="withdrawn", source="customer_reply"
    )
    consent_set(
        actor=users["admin"], customer=target, channel="sms", status="granted", source="staff"
    )
    before = TimelineEvent.objects.filter(customer__in=[source, target]).count()

    merged = customer_merge(actor=users["manager"], source=source, target=target)

    source.refresh_from_db()
    assert source.merged_into == merged
    assert source.mobile is None
    assert merged.email == "m@example.com"
    assert merged.national_id == "0499370899"
    assert "+989350000002" in merged.other_phones
    assert Interaction.objects.get().customer == merged
    assert Order.objects.get().customer == merged
    # Every old event moved, plus one saying the merge happened.
    assert merged.timeline_events.count() == before + 1
    # The customer's own opt-out survives the merge.
    assert Consent.objects.get(customer=merged, channel="sms").status == "withdrawn"
    with pytest.raises(PermissionDenied):
        customer_merge(actor=users["sales"], source=make_customer(), target=merged)


def test_duplicate_groups_find_same_email_and_same_name_in_city(make_customer: Any) -> None:
    a = make_customer(email="same@example.com")
    b = make_customer(email="SAME@example.com", first_name="x")
    c = make_customer(first_name="رضا", last_name="نوری", city="قم")
    d = make_customer(first_name="رضا", last_name="نوري", city="قم")
    groups = {(g.reason, tuple(sorted(g.customer_ids))) for g in duplicate_groups()}
    assert ("email", tuple(sorted([a.pk, b.pk]))) in groups
    assert ("name_city", tuple(sorted([c.pk, d.pk]))) in groups


def test_audit_log_names_who_changed_what(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer(actor=users["sales"], city="کرج")
    customer_update(actor=users["sales"], customer=customer, data={"city": "Isfahan"})
    entry = audit_entries(customer_id=customer.pk)[0]
    assert entry.action == "changed"
    assert entry.who == "sales"
    assert [(c.field, c.before, c.after) for c in entry.changes] == [("city", "کرج", "Isfahan")]


def test_update_cannot_blank_a_name(make_customer: Any, users: dict[str, Any]) -> None:
    customer = make_customer(first_name="سارا", last_name="")
    with pytest.raises(ValidationFailed) as caught:
        customer_update(actor=users["admin"], customer=customer, data={"first_name": " "})
    assert set(caught.value.errors) == {"last_name"}
    customer.refresh_from_db()
    assert customer.first_name == "سارا"


def test_update_links_a_person_to_a_company_only(make_customer: Any, users: dict[str, Any]) -> None:
    person = make_customer()
    company = make_customer(
        kind="company", company_name="فولاد سپاهان", first_name="", last_name=""
    )
    with pytest.raises(ValidationFailed):
        customer_update(actor=users["admin"], customer=company, data={}, company=person)
    result = customer_update(actor=users["admin"], customer=person, data={}, company=company)
    assert result.changed == ("company",)
    assert list(company.contacts.all()) == [person]


def test_choices_accept_labels_in_either_language(users: dict[str, Any]) -> None:
    persian = customer_create(
        actor=users["admin"], data={"last_name": "الف", "lifecycle_stage": "سرنخ"}
    )
    english = customer_create(
        actor=users["admin"], data={"last_name": "ب", "lifecycle_stage": "Former customer"}
    )
    assert (persian.lifecycle_stage, english.lifecycle_stage) == ("lead", "former")
