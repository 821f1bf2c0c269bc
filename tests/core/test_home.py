"""The home dashboard: the shell with recent activity, and the customer numbers panel."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.core.roles import Role
from mehvar.customers import services
from mehvar.customers.models import Customer, Order
from mehvar.customers.orders import LineInput, order_create

pytestmark = pytest.mark.django_db

XSS = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_home_and_numbers_render_for_every_role(
    client: Client, users: dict[str, Any], role: str
) -> None:
    client.force_login(users[role])
    home = client.get(reverse("home"))
    assert home.status_code == 200
    # The shell loads the numbers panel from the customers app.
    assert f'hx-get="{reverse("customers:dashboard")}"' in home.content.decode()
    assert client.get(reverse("customers:dashboard")).status_code == 200


def test_anonymous_is_sent_to_login(client: Client) -> None:
    for url in (reverse("home"), reverse("customers:dashboard")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_numbers_count_this_jalali_month(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    new = make_customer(first_name="تازه")
    old = make_customer(first_name="قدیمی")
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=45))
    merged = make_customer(first_name="تازه")
    services_merge(users, merged, new)
    line = [LineInput(quantity=2, unit_price=1_250_000, description="x")]
    order_create(actor=users["sales"], customer=new, number="N-1", lines=line)
    cancelled = order_create(actor=users["sales"], customer=new, number="N-2", lines=line)
    Order.objects.filter(pk=cancelled.pk).update(status="cancelled")
    order_create(
        actor=users["sales"],
        customer=old,
        number="O-1",
        lines=line,
        placed_at=timezone.now() - timedelta(days=45),
    )
    client.force_login(users["manager"])
    response = client.get(reverse("customers:dashboard"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.templates[0].name == "customers/partials/dashboard.html"
    context = response.context
    assert context["customer_count"] == 2  # the merged record is not counted
    assert context["new_customer_count"] == 1
    assert context["order_count"] == 1
    assert context["revenue"] == 2_500_000
    page = response.content.decode()
    assert "<html" not in page
    assert "۲۵۰٬۰۰۰" in page or "250,000" in page or "۲۵۰,۰۰۰" in page


def services_merge(users: dict[str, Any], source: Any, target: Any) -> None:
    from mehvar.customers.merge import customer_merge

    customer_merge(actor=users["manager"], source=source, target=target)


def test_my_tasks_due_soon_are_mine_only(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    customer = make_customer(first_name=XSS)
    now = timezone.now()
    services.task_create(
        actor=users["sales"], customer=customer, title="فردا", due_at=now + timedelta(days=1)
    )
    services.task_create(
        actor=users["sales"], customer=customer, title="دیرشده", due_at=now - timedelta(days=2)
    )
    services.task_create(
        actor=users["sales"], customer=customer, title="ماه بعد", due_at=now + timedelta(days=30)
    )
    services.task_create(actor=users["sales2"], customer=customer, title="مال دیگری", due_at=now)
    done = services.task_create(
        actor=users["sales"], customer=customer, title="انجام‌شده", due_at=now
    )
    services.task_complete(actor=users["sales"], task=done)
    client.force_login(users["sales"])
    page = client.get(reverse("customers:dashboard")).content.decode()
    assert "فردا" in page
    assert "دیرشده" in page
    for hidden in ("ماه بعد", "مال دیگری", "انجام‌شده"):
        assert hidden not in page
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_home_shows_recent_activity_escaped(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    evil = make_customer(first_name=XSS)
    services.note_add(actor=users["service"], customer=evil, body="javascript:alert(1)")
    services.interaction_log(
        actor=users["marketing"],
        customer=evil,
        channel="sms",
        direction="outbound",
        summary=f"{XSS} کمپین",
    )
    client.force_login(users["sales"])
    response = client.get(reverse("home"))
    page = response.content.decode()
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript:' not in page
    assert "javascript:alert(1)" in page  # as text
    assert reverse("customers:detail", args=[evil.pk]) in page
    for department in ("service", "marketing"):
        assert f'data-department="{department}"' in page


def test_home_lists_the_last_fifteen_events_with_fixed_queries(
    client: Client,
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    customers = [make_customer(first_name=f"c{i}") for i in range(4)]
    for index in range(20):
        services.note_add(actor=users["sales"], customer=customers[index % 4], body=f"note-{index}")
    client.force_login(users["admin"])
    with django_assert_max_num_queries(3):
        response = client.get(reverse("home"))
    page = response.content.decode()
    assert page.count('class="timeline-item"') == 15
    assert "note-19" in page
    assert "note-4" not in page.replace("note-14", "")


def test_numbers_panel_queries_are_fixed(
    client: Client,
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    for index in range(5):
        customer = make_customer(first_name=f"c{index}")
        services.task_create(
            actor=users["admin"], customer=customer, title=f"t{index}", due_at=timezone.now()
        )
    client.force_login(users["admin"])
    with django_assert_max_num_queries(6):
        response = client.get(reverse("customers:dashboard"), HTTP_HX_REQUEST="true")
    assert response.content.decode().count("t4") == 1
