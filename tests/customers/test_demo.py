"""The demo company: valid Iranian identifiers, one consistent story per customer, and Pareto."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from mehvar.core.models import Department, EventKind, TimelineEvent, User
from mehvar.core.national_id import (
    is_valid_company_id,
    is_valid_national_code,
    is_valid_postal_code,
)
from mehvar.core.phones import normalize_mobile
from mehvar.core.provinces import MAJOR_CITIES
from mehvar.core.roles import Role
from mehvar.customers.demo import DEMO_STAFF, DemoResult, generate, reset_demo, top_share
from mehvar.customers.models import (
    Consent,
    ConsentChange,
    Customer,
    CustomerKind,
    Interaction,
    LifecycleStage,
    Order,
    OrderStatus,
    Task,
    TaskStatus,
)
from mehvar.customers.selectors import CustomerFilters, customer_list

pytestmark = pytest.mark.django_db

SIZE, YEARS = 150, 1


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo() -> DemoResult:
    return generate(customers=SIZE, seed=7, years=YEARS)


def _live_revenue() -> dict[int, int]:
    revenue: dict[int, int] = defaultdict(int)
    orders = Order.objects.exclude(status__in=[OrderStatus.CANCELLED, OrderStatus.RETURNED])
    for customer_id, total in orders.values_list("customer_id", "total"):
        revenue[customer_id] += total
    return revenue


def test_sizes_and_one_login_per_role(demo: DemoResult) -> None:
    assert Customer.objects.count() == demo.customers == SIZE
    assert Customer.objects.filter(kind=CustomerKind.COMPANY).count() == demo.companies
    assert Order.objects.count() == demo.orders > SIZE
    assert TimelineEvent.objects.count() == demo.timeline_events
    roles = set(User.objects.values_list("role", flat=True))
    assert roles == {role.value for role in Role}
    assert User.objects.filter(role=Role.SALES).count() == 2
    for login in DEMO_STAFF:
        assert User.objects.get(username=login.username).check_password(login.password)


def test_identifiers_are_valid_iranian_ones(demo: DemoResult) -> None:
    customers = list(Customer.objects.all())
    mobiles = [c.mobile for c in customers if c.mobile]
    assert len(mobiles) == len(set(mobiles)) >= SIZE * 0.9
    assert all(normalize_mobile(m) == m for m in mobiles)
    people = [c for c in customers if c.kind == CustomerKind.PERSON]
    with_code = [c for c in people if c.national_id]
    assert len(with_code) >= len(people) * 0.7
    assert all(is_valid_national_code(c.national_id or "") for c in with_code)
    companies = [c for c in customers if c.kind == CustomerKind.COMPANY]
    assert all(c.national_id and is_valid_company_id(c.national_id) for c in companies)
    assert all(is_valid_postal_code(c.postal_code) for c in customers if c.postal_code)
    assert all(c.city in MAJOR_CITIES[c.province] for c in customers)
    assert all(c.name_key and c.first_name for c in people)
    contacts = [p for p in people if p.company is not None]
    assert contacts
    assert all(p.company and p.company.kind == CustomerKind.COMPANY for p in contacts)


def test_search_finds_demo_customers_typed_with_an_arabic_keyboard(demo: DemoResult) -> None:
    admin = User.objects.get(username="admin")
    person = Customer.objects.filter(kind=CustomerKind.PERSON, last_name__contains="ی").first()
    assert person is not None
    typed = f"{person.first_name} {person.last_name}".replace("ی", "ي").replace("ک", "ك")
    found = customer_list(viewer=admin, filters=CustomerFilters(q=typed))
    assert person in found


def test_every_order_adds_up_and_is_on_its_customers_timeline(demo: DemoResult) -> None:
    events = {
        (e.ref_id, e.customer_id): e
        for e in TimelineEvent.objects.filter(
            kind=EventKind.ORDER_PLACED, ref_type="customers.order"
        )
    }
    orders = Order.objects.prefetch_related("lines")
    for order in orders:
        lines = list(order.lines.all())
        subtotal = sum(line.quantity * line.unit_price for line in lines)
        assert 1 <= len(lines) <= 4
        assert 0 <= order.discount <= subtotal
        assert order.total == subtotal - order.discount
        event = events[(str(order.pk), order.customer_id)]
        assert event.occurred_at == order.placed_at
        assert event.data["total"] == order.total
    assert len(events) == orders.count()
    statuses = {o.status for o in orders}
    assert {OrderStatus.DELIVERED, OrderStatus.CANCELLED} <= statuses


def test_consent_history_ends_in_the_current_consent(demo: DemoResult) -> None:
    consents = list(Consent.objects.all())
    assert consents
    for consent in consents:
        last = ConsentChange.objects.filter(
            customer=consent.customer, channel=consent.channel
        ).first()
        assert last is not None  # ordering is newest first
        assert (last.status, last.source, last.changed_at) == (
            consent.status,
            consent.source,
            consent.changed_at,
        )
    assert ConsentChange.objects.filter(status="withdrawn").exists()
    assert TimelineEvent.objects.filter(kind=EventKind.CONSENT_CHANGED).count() == (
        ConsentChange.objects.count()
    )


def test_the_story_is_consistent_in_time(demo: DemoResult) -> None:
    now = timezone.now()
    created = dict(Customer.objects.values_list("pk", "created_at"))
    for customer_id, occurred_at in TimelineEvent.objects.values_list("customer_id", "occurred_at"):
        assert created[customer_id] <= occurred_at <= now
    assert not Order.objects.filter(placed_at__gt=now).exists()
    departments = set(Interaction.objects.values_list("department", flat=True))
    assert {Department.SALES, Department.MARKETING, Department.SERVICE} <= departments
    assert TimelineEvent.objects.filter(kind=EventKind.INTERACTION).count() == (
        Interaction.objects.count()
    )
    assert Task.objects.filter(status=TaskStatus.OPEN, completed_at__isnull=True).exists()
    assert not Task.objects.filter(status=TaskStatus.DONE, completed_at__isnull=True).exists()
    assert Customer.history.count() == SIZE


def test_lifecycle_stage_follows_the_orders(demo: DemoResult) -> None:
    year_ago = timezone.now() - timedelta(days=365)
    customers = Customer.objects.filter(company__isnull=True).annotate(
        bought=Count("orders", distinct=True)
    )
    for customer in customers:
        kept = customer.orders.exclude(status=OrderStatus.CANCELLED)
        if not kept.exists():
            assert customer.lifecycle_stage in {LifecycleStage.LEAD, LifecycleStage.PROSPECT}
        else:
            assert customer.lifecycle_stage in {
                LifecycleStage.CUSTOMER,
                LifecycleStage.ADVOCATE,
                LifecycleStage.FORMER,
            }
            latest = max(o.placed_at for o in kept)
            assert (customer.lifecycle_stage == LifecycleStage.FORMER) == (latest < year_ago)


def test_revenue_is_concentrated_like_a_real_customer_base(demo: DemoResult) -> None:
    revenue = _live_revenue()
    share = top_share(list(revenue.values()))
    assert share == pytest.approx(demo.top20_share)
    assert share > 0.4  # uniform spend would give 0.2
    counts = Order.objects.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    assert min(counts) == 1 < max(counts)  # one-off buyers and loyal ones


def test_same_seed_same_company() -> None:
    def first_twenty() -> list[tuple[str, str, str | None]]:
        rows = Customer.objects.order_by("pk").values_list("first_name", "last_name", "mobile")
        return list(rows[:20])

    generate(customers=60, seed=11, years=YEARS)
    before = first_twenty()
    reset_demo()
    assert not Customer.objects.exists()
    generate(customers=60, seed=11, years=YEARS)
    assert first_twenty() == before
    reset_demo()
    generate(customers=60, seed=12, years=YEARS)
    assert first_twenty() != before


def test_command_if_empty_keeps_existing_data() -> None:
    out = StringIO()
    call_command("demo", "--customers", "40", "--years", "1", stdout=out)
    assert "Pareto" in out.getvalue()
    assert "mehvar-admin" in out.getvalue()
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert Customer.objects.count() == 40
    assert "mehvar-service" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("demo", "--customers", "40", stdout=StringIO())
    call_command("demo", "--customers", "30", "--years", "1", "--reset", stdout=StringIO())
    assert Customer.objects.count() == 30
