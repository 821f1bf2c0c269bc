"""The customer pages: list, saved views, the 360 page and its htmx forms, create/edit, merge."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mehvar.core.jalali import format_jalali
from mehvar.core.models import EventKind, TimelineEvent
from mehvar.core.roles import Role
from mehvar.customers import services
from mehvar.customers.models import (
    Consent,
    ConsentStatus,
    Customer,
    Interaction,
    Note,
    SavedView,
    Task,
    TaskStatus,
)
from mehvar.customers.orders import LineInput, order_create

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
XSS_NAME = "<img src=x onerror=alert(1)>"
XSS_NOTE = "javascript:alert(document.cookie)"
ALL_ROLES = [role.value for role in Role]


def login(client: Client, user: Any) -> Client:
    # These tests read the English strings; Persian rendering has tests of its own.
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def body(response: Any) -> str:
    return str(response.content.decode())


def names_in_results(response: Any) -> set[str]:
    """The customer names linked from the list's table."""
    return set(
        re.findall(
            r'class="fw-semibold text-decoration-none" href="[^"]+">([^<]+)</a>', body(response)
        )
    )


@pytest.fixture
def customer(make_customer: Callable[..., Any], users: dict[str, Any]) -> Any:
    """A customer owned by the first sales person."""
    return make_customer(first_name="سارا", last_name="احمدی", owner=users["sales"])


# --- Who may open what ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
def test_every_page_renders_for_every_role(
    client: Client, users: dict[str, Any], customer: Any, role: str
) -> None:
    login(client, users[role])
    pages = [
        reverse("customers:list"),
        reverse("customers:detail", args=[customer.pk]),
        reverse("customers:create"),
        reverse("customers:duplicates"),
        reverse("customers:dashboard"),
        reverse("customers:company_options") + "?company=x",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
    # Everyone but another sales person may edit this customer, owned by "sales".
    assert client.get(reverse("customers:edit", args=[customer.pk])).status_code == 200


@pytest.mark.parametrize(
    ("name", "kwargs", "method"),
    [
        ("customers:list", {}, "get"),
        ("customers:create", {}, "get"),
        ("customers:create", {}, "post"),
        ("customers:duplicates", {}, "get"),
        ("customers:dashboard", {}, "get"),
        ("customers:company_options", {}, "get"),
        ("customers:saved_view_save", {}, "post"),
        ("customers:saved_view_delete", {"view_pk": 1}, "post"),
        ("customers:detail", {"pk": 1}, "get"),
        ("customers:edit", {"pk": 1}, "get"),
        ("customers:edit", {"pk": 1}, "post"),
        ("customers:log_interaction", {"pk": 1}, "post"),
        ("customers:note_add", {"pk": 1}, "post"),
        ("customers:task_add", {"pk": 1}, "post"),
        ("customers:task_complete", {"pk": 1, "task_pk": 1}, "post"),
        ("customers:consent_update", {"pk": 1}, "post"),
        ("customers:merge", {"pk": 1}, "get"),
        ("customers:merge", {"pk": 1}, "post"),
    ],
)
def test_anonymous_is_sent_to_login(
    client: Client, name: str, kwargs: dict[str, int], method: str
) -> None:
    url = reverse(name, kwargs=kwargs)
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Customer.objects.count() == 0


def test_anonymous_posting_a_call_writes_nothing(client: Client, customer: Any) -> None:
    url = reverse("customers:log_interaction", args=[customer.pk])
    response = client.post(url, {"channel": "call", "direction": "inbound", "summary": "x"})
    assert response.status_code == 302
    assert not Interaction.objects.exists()


# --- The list ------------------------------------------------------------------------------


def test_search_finds_a_name_typed_with_arabic_letters_and_persian_digits(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    make_customer(first_name="یاسر", last_name="کریمی", mobile="09351112233")
    make_customer(first_name="مینا", last_name="نوری", mobile="09127654321")
    login(client, users["service"])
    list_url = reverse("customers:list")

    # Arabic keyboard: ي (U+064A) and ك (U+0643).
    arabic = client.get(list_url, {"q": "ياسر كريمي"})
    assert arabic.status_code == 200
    assert names_in_results(arabic) == {"یاسر کریمی"}

    by_last_name = client.get(list_url, {"q": "كريمي"})
    assert names_in_results(by_last_name) == {"یاسر کریمی"}

    persian_digits = client.get(list_url, {"q": "۰۹۳۵۱۱۱"})
    assert names_in_results(persian_digits) == {"یاسر کریمی"}

    nobody = client.get(list_url, {"q": "زهره"})
    assert names_in_results(nobody) == set()
    assert "No customer matches." in body(nobody)


def test_search_as_you_type_returns_only_the_results_partial(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales"])
    response = client.get(reverse("customers:list"), {"q": "سارا"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in body(response)
    assert response.templates[0].name == "customers/partials/results.html"
    assert "HX-Request" in response["Vary"]
    assert names_in_results(response) == {"سارا احمدی"}
    # The save-view form's hidden query follows the search (out-of-band swap).
    assert 'id="view_query" value="q=%D8%B3%D8%A7%D8%B1%D8%A7" hx-swap-oob="true"' in body(response)


def test_filters_narrow_the_results(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    tehran = make_customer(
        first_name="الف",
        last_name="تهرانی",
        province="tehran",
        city="تهران",
        lifecycle_stage="customer",
        tags="vip, وفادار",
        acquisition_source="instagram",
        owner=users["sales"],
    )
    make_customer(
        first_name="ب",
        last_name="شیرازی",
        province="fars",
        city="شیراز",
        lifecycle_stage="lead",
        owner=users["sales2"],
    )
    make_customer(kind="company", company_name="شرکت پارس", province="tehran", first_name="")
    old = make_customer(first_name="پ", last_name="قدیمی", province="tehran")
    Customer.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    login(client, users["sales"])
    url = reverse("customers:list")

    def found(**params: Any) -> set[str]:
        response = client.get(url, params)
        assert response.status_code == 200, body(response)[:500]
        return names_in_results(response)

    assert found() == {"الف تهرانی", "ب شیرازی", "شرکت پارس", "پ قدیمی"}
    assert found(province="tehran") == {"الف تهرانی", "شرکت پارس", "پ قدیمی"}
    assert found(province="tehran", kind="person") == {"الف تهرانی", "پ قدیمی"}
    assert found(kind="company") == {"شرکت پارس"}
    assert found(city="شيراز") == {"ب شیرازی"}  # Arabic yeh in the filter too
    assert found(stage="customer") == {"الف تهرانی"}
    assert found(source="instagram") == {"الف تهرانی"}
    assert found(tag="وفادار") == {"الف تهرانی"}
    assert found(mine="1") == {"الف تهرانی"}
    assert found(owner=users["sales2"].pk) == {"ب شیرازی"}
    a_month_ago = format_jalali(timezone.localdate() - timedelta(days=30), persian_digits=True)
    assert "پ قدیمی" not in found(created_from=a_month_ago)
    assert found(created_to=a_month_ago) == {"پ قدیمی"}
    assert tehran.pk


def test_list_sorts_and_paginates(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    for index in range(30):
        make_customer(first_name=f"نام{index:02d}", last_name="آزمون")
    login(client, users["admin"])
    url = reverse("customers:list")
    first = client.get(url, {"sort": "name"})
    assert len(names_in_results(first)) == 25
    assert "نام00 آزمون" in names_in_results(first)
    second = client.get(url, {"sort": "name", "page": "2"})
    assert names_in_results(second) == {f"نام{i} آزمون" for i in range(25, 30)}
    backwards = client.get(url, {"sort": "-name"})
    assert "نام29 آزمون" in names_in_results(backwards)
    assert "نام00 آزمون" not in names_in_results(backwards)


@pytest.mark.parametrize(
    "params",
    [{"sort": "password"}, {"order_by": "name"}, {"province": "atlantis"}, {"created_from": "x"}],
)
def test_unknown_sort_or_filter_is_a_400(
    client: Client, users: dict[str, Any], customer: Any, params: dict[str, str]
) -> None:
    login(client, users["admin"])
    response = client.get(reverse("customers:list"), params)
    assert response.status_code == 400
    assert names_in_results(response) == set()


def test_export_links_only_for_roles_that_may_export(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    export = reverse("data:export_customers")
    login(client, users["marketing"])
    response = client.get(reverse("customers:list"), {"province": "tehran"})
    assert f'href="{export}?province=tehran&amp;format=csv"' in body(response)
    assert f'href="{export}?province=tehran&amp;format=xlsx"' in body(response)
    login(client, users["sales"])
    assert export not in body(client.get(reverse("customers:list")))


# --- Saved views ---------------------------------------------------------------------------


def test_saved_view_create_list_and_delete(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales"])
    response = client.post(
        reverse("customers:saved_view_save"),
        {"name": "تهرانی‌ها", "query": "province=tehran&stage=lead&sort=name"},
    )
    view = SavedView.objects.get()
    assert (view.owner, view.name, view.query, view.shared) == (
        users["sales"],
        "تهرانی‌ها",
        "province=tehran&stage=lead",
        False,
    )
    assert response["Location"] == reverse("customers:list") + "?province=tehran&stage=lead"
    page = body(client.get(reverse("customers:list")))
    assert "تهرانی‌ها" in page
    assert 'href="/customers/?province=tehran&amp;stage=lead"' in page
    # Saving the same name again replaces the filters instead of failing.
    client.post(reverse("customers:saved_view_save"), {"name": "تهرانی‌ها", "query": "mine=1"})
    assert SavedView.objects.get().query == "mine=1"

    response = client.post(reverse("customers:saved_view_delete", args=[view.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_saved_view_refuses_a_query_that_is_not_a_filter(
    client: Client, users: dict[str, Any]
) -> None:
    login(client, users["sales"])
    client.post(
        reverse("customers:saved_view_save"),
        {"name": "bad", "query": "province=tehran&next=javascript:alert(1)"},
    )
    assert not SavedView.objects.exists()


def test_another_users_private_view_is_invisible_and_cannot_be_deleted(
    client: Client, users: dict[str, Any]
) -> None:
    private = SavedView.objects.create(owner=users["sales"], name="فقط من", query="mine=1")
    shared = SavedView.objects.create(
        owner=users["sales"], name="برای همه", query="stage=lead", shared=True
    )
    login(client, users["sales2"])
    page = body(client.get(reverse("customers:list")))
    assert "فقط من" not in page
    assert "برای همه" in page
    # Only the owner gets a delete button for the shared view.
    assert reverse("customers:saved_view_delete", args=[shared.pk]) not in page
    for view in (private, shared):
        response = client.post(reverse("customers:saved_view_delete", args=[view.pk]))
        assert response.status_code == 404
    assert SavedView.objects.count() == 2


# --- The 360 page --------------------------------------------------------------------------


def test_360_page_shows_every_departments_timeline(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    services.interaction_log(
        actor=users["sales"],
        customer=customer,
        channel="call",
        direction="outbound",
        summary="تماس فروش: پیشنهاد تمدید",
        outcome="علاقه‌مند",
    )
    services.interaction_log(
        actor=users["marketing"],
        customer=customer,
        channel="sms",
        direction="outbound",
        summary="پیامک کمپین نوروزی",
    )
    services.interaction_log(
        actor=users["service"],
        customer=customer,
        channel="call",
        direction="inbound",
        summary="شکایت از تاخیر ارسال",
        outcome="پیگیری شد",
    )
    login(client, users["marketing"])
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.status_code == 200
    page = body(response)
    for text in ("تماس فروش: پیشنهاد تمدید", "پیامک کمپین نوروزی", "شکایت از تاخیر ارسال"):
        assert text in page
    for department in ("sales", "marketing", "service"):
        assert f'data-department="{department}"' in page
    assert "علاقه‌مند" in page
    assert "سارا احمدی" in page


def test_360_timeline_filters_by_department_and_loads_more(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    for index in range(25):
        services.interaction_log(
            actor=users["service"],
            customer=customer,
            channel="call",
            direction="inbound",
            summary=f"service-{index:02d}",
        )
    services.interaction_log(
        actor=users["sales"],
        customer=customer,
        channel="call",
        direction="outbound",
        summary="sales-only",
    )
    login(client, users["admin"])
    url = reverse("customers:detail", args=[customer.pk])

    sales = client.get(url, {"department": "sales"}, **HTMX)
    assert sales.status_code == 200
    assert "<html" not in body(sales)
    assert "sales-only" in body(sales)
    assert "service-" not in body(sales)

    service_page1 = body(client.get(url, {"department": "service"}, **HTMX))
    assert service_page1.count('data-department="service"') == 20
    assert "department=service&amp;page=2" in service_page1
    service_page2 = body(client.get(url, {"department": "service", "page": "2"}, **HTMX))
    assert service_page2.count('data-department="service"') == 5
    assert "Load more" not in service_page2
    # Without JavaScript, "load more" shows the page with every event so far.
    full = body(client.get(url, {"department": "service", "page": "2"}))
    assert full.count('data-department="service"') == 25
    assert client.get(url, {"department": "nope"}).status_code == 400


def test_log_a_call_with_htmx_returns_the_partial_and_writes_the_timeline(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales"])
    response = client.post(
        reverse("customers:log_interaction", args=[customer.pk]),
        {
            "channel": "call",
            "direction": "inbound",
            "summary": "پرسید کی ارسال می‌شود",
            "outcome": "جواب داده شد",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert response.templates[0].name == "customers/partials/log_call.html"
    page = body(response)
    assert "<html" not in page
    assert 'hx-swap-oob="afterbegin:#timeline-list"' in page
    assert "پرسید کی ارسال می‌شود" in page
    interaction = Interaction.objects.get()
    assert (interaction.channel, interaction.direction, interaction.department) == (
        "call",
        "inbound",
        "sales",
    )
    assert interaction.employee == users["sales"]
    event = TimelineEvent.objects.get(kind=EventKind.INTERACTION)
    assert event.customer_id == customer.pk
    assert event.summary == "پرسید کی ارسال می‌شود"
    assert event.outcome == "جواب داده شد"
    assert f'id="event-{event.pk}"' in page


def test_log_a_call_without_javascript_redirects(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["service"])
    url = reverse("customers:log_interaction", args=[customer.pk])
    response = client.post(url, {"channel": "call", "direction": "outbound", "summary": "سلام"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk]) + "#timeline"
    assert Interaction.objects.get().department == "service"


def test_log_a_call_with_no_summary_shows_the_error_in_the_form(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales"])
    url = reverse("customers:log_interaction", args=[customer.pk])
    response = client.post(
        url, {"channel": "call", "direction": "inbound", "summary": "  "}, **HTMX
    )
    assert response.status_code == 422
    page = body(response)
    assert 'id="log_summary_error"' in page
    assert "is-invalid" in page
    assert not Interaction.objects.exists()
    # Without JavaScript the whole page comes back with the error next to the field.
    full = client.post(url, {"channel": "telepathy", "direction": "inbound", "summary": "x"})
    assert full.status_code == 422
    assert 'id="log_channel_error"' in body(full)
    assert not Interaction.objects.exists()


def test_notes_and_tasks_through_htmx(client: Client, users: dict[str, Any], customer: Any) -> None:
    login(client, users["marketing"])
    note = client.post(
        reverse("customers:note_add", args=[customer.pk]), {"body": "مشتری ویژه"}, **HTMX
    )
    assert note.status_code == 200
    assert "مشتری ویژه" in body(note)
    assert Note.objects.get().author == users["marketing"]

    due = format_jalali(timezone.localdate() + timedelta(days=2), persian_digits=True)
    task = client.post(
        reverse("customers:task_add", args=[customer.pk]),
        {"title": "پیگیری پیش‌فاکتور", "due_date": due, "due_time": "۱۴:۳۰"},
        **HTMX,
    )
    assert task.status_code == 200, body(task)
    made = Task.objects.get()
    local_due = timezone.localtime(made.due_at)
    assert (local_due.date(), local_due.hour, local_due.minute) == (
        timezone.localdate() + timedelta(days=2),
        14,
        30,
    )
    assert made.assignee == users["marketing"]
    assert 'id="stat-open-tasks"' in body(task)

    done = client.post(reverse("customers:task_complete", args=[customer.pk, made.pk]), **HTMX)
    assert done.status_code == 200
    made.refresh_from_db()
    assert made.status == TaskStatus.DONE
    assert TimelineEvent.objects.filter(kind=EventKind.TASK_COMPLETED).count() == 1


def test_a_task_with_a_bad_date_is_refused_next_to_the_field(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales"])
    response = client.post(
        reverse("customers:task_add", args=[customer.pk]),
        {"title": "x", "due_date": "1403/13/40"},
        **HTMX,
    )
    assert response.status_code == 422
    assert 'id="task_due_date_error"' in body(response)
    assert not Task.objects.exists()


def test_only_assignee_creator_or_manager_completes_a_task(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    task = services.task_create(
        actor=users["sales"], customer=customer, title="t", due_at=timezone.now()
    )
    login(client, users["service"])
    url = reverse("customers:task_complete", args=[customer.pk, task.pk])
    assert client.post(url).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    login(client, users["manager"])
    assert client.post(url).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_consent_is_recorded_and_a_customers_own_opt_out_stays(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["service"])
    url = reverse("customers:consent_update", args=[customer.pk])
    client.post(url, {"channel": "sms", "status": "granted", "evidence": "تلفنی"})
    assert Consent.objects.get(channel="sms").status == ConsentStatus.GRANTED

    services.consent_set(
        actor=None, customer=customer, channel="sms", status="withdrawn", source="customer_link"
    )
    response = client.post(url, {"channel": "sms", "status": "granted"}, follow=True)
    assert Consent.objects.get(channel="sms").status == ConsentStatus.WITHDRAWN
    assert "only the customer can opt in again" in body(response)


def test_merged_record_redirects_to_the_survivor(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    target = make_customer(first_name="الف", last_name="یک")
    source = make_customer(first_name="الف", last_name="یک")
    login(client, users["manager"])
    url = reverse("customers:merge", args=[target.pk])
    assert client.get(url, {"q": "الف"}).status_code == 200
    confirm = client.get(url, {"q": f"#{source.pk}"})
    assert confirm.status_code == 200
    assert "Confirm the merge" in body(confirm)
    response = client.post(url, {"source": str(source.pk)})
    assert response.status_code == 302
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    gone = client.get(reverse("customers:detail", args=[source.pk]))
    assert gone["Location"] == reverse("customers:detail", args=[target.pk])


def test_merge_is_for_managers_only(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    target = make_customer(first_name="الف", last_name="یک")
    source = make_customer(first_name="الف", last_name="یک")
    login(client, users["sales"])
    url = reverse("customers:merge", args=[target.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"source": source.pk}).status_code == 403
    source.refresh_from_db()
    assert source.merged_into_id is None
    assert reverse("customers:merge", args=[target.pk]) not in body(
        client.get(reverse("customers:detail", args=[target.pk]))
    )


def test_duplicates_page_lists_groups(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    first = make_customer(first_name="رضا", last_name="موسوی", email="reza@example.com")
    second = make_customer(first_name="رضا", last_name="موسوی", email="Reza@example.com")
    login(client, users["manager"])
    page = body(client.get(reverse("customers:duplicates")))
    assert "reza@example.com" in page
    merge_url = reverse("customers:merge", args=[first.pk]) + f"?q={second.pk}"
    assert merge_url in page


# --- Create and edit -----------------------------------------------------------------------


def customer_post(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "person",
        "first_name": "نگار",
        "last_name": "صالحی",
        "mobile": "",
        "lifecycle_stage": "lead",
    }
    data.update(overrides)
    return data


def test_create_accepts_persian_digits_and_jalali_dates(
    client: Client, users: dict[str, Any]
) -> None:
    login(client, users["sales"])
    response = client.post(
        reverse("customers:create"),
        customer_post(
            first_name="علي",  # Arabic yeh
            mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹",
            national_id="۰۰۸۴۵۷۵۹۴۸",
            birth_date="۱۳۷۰/۰۵/۱۲",
            postal_code="۱۹۳۹۵۴۳۱۱۸",
            province="isfahan",
            city="اصفهان",
            tags="وفادار، vip",
        ),
    )
    assert response.status_code == 302, body(response)
    made = Customer.objects.get()
    assert response["Location"] == reverse("customers:detail", args=[made.pk])
    assert (made.first_name, made.mobile, made.national_id) == (
        "علی",
        "+989123456789",
        "0084575948",
    )
    assert made.birth_date == date(1991, 8, 3)
    assert made.owner == users["sales"]
    assert sorted(t.name for t in made.tags.all()) == ["vip", "وفادار"]


def test_form_errors_are_shown_next_to_the_fields(client: Client, users: dict[str, Any]) -> None:
    login(client, users["sales"])
    response = client.post(
        reverse("customers:create"),
        customer_post(mobile="12345", national_id="1234567890", birth_date="۱۴۰۳/۱۳/۰۱"),
    )
    assert response.status_code == 422
    page = body(response)
    for field in ("mobile", "national_id", "birth_date"):
        # The message sits right after its own input, which is marked invalid.
        pattern = (
            rf'<input[^>]*name="{field}"[^>]*>\s*'
            rf'<div class="invalid-feedback d-block" id="id_{field}_error">'
        )
        assert re.search(pattern, page), field
        assert re.search(rf'<input[^>]*name="{field}"[^>]*class="[^"]*is-invalid', page)
    assert "Not an Iranian mobile number" in page
    assert not Customer.objects.exists()


def test_a_duplicate_mobile_links_to_the_existing_record(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["service"])
    response = client.post(reverse("customers:create"), customer_post(mobile=customer.mobile))
    assert response.status_code == 422
    assert reverse("customers:detail", args=[customer.pk]) in body(response)
    assert Customer.objects.count() == 1


def test_a_person_picks_a_company(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    company = make_customer(kind="company", company_name="فولاد نوین", first_name="")
    login(client, users["admin"])
    options = client.get(reverse("customers:company_options"), {"company": "فولاد"}, **HTMX)
    assert f'value="فولاد نوین (#{company.pk})"' in body(options)
    response = client.post(
        reverse("customers:create"), customer_post(company=f"فولاد نوین (#{company.pk})")
    )
    assert response.status_code == 302
    person = Customer.objects.get(kind="person")
    assert person.company == company
    page = body(client.get(reverse("customers:detail", args=[company.pk])))
    assert reverse("customers:detail", args=[person.pk]) in page


def test_owner_is_chosen_only_by_managers(client: Client, users: dict[str, Any]) -> None:
    login(client, users["sales"])
    assert 'name="owner"' not in body(client.get(reverse("customers:create")))
    # A sales person cannot slip an owner in: the field does not exist for them.
    client.post(reverse("customers:create"), customer_post(owner=str(users["sales2"].pk)))
    assert Customer.objects.get().owner == users["sales"]

    login(client, users["manager"])
    assert 'name="owner"' in body(client.get(reverse("customers:create")))
    client.post(
        reverse("customers:create"),
        customer_post(last_name="دوم", owner=str(users["sales2"].pk)),
    )
    assert Customer.objects.get(last_name="دوم").owner == users["sales2"]


def test_edit_changes_the_record(client: Client, users: dict[str, Any], customer: Any) -> None:
    login(client, users["sales"])
    url = reverse("customers:edit", args=[customer.pk])
    page = body(client.get(url))
    assert f'value="0{customer.mobile[3:]}"' in page
    data = {
        "kind": "person",
        "first_name": "سارا",
        "last_name": "احمدی‌نژاد",
        "mobile": customer.mobile,
        "lifecycle_stage": "customer",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.last_name, customer.lifecycle_stage) == ("احمدی‌نژاد", "customer")
    assert customer.owner == users["sales"]


def test_edit_by_another_sales_person_is_refused_and_changes_nothing(
    client: Client, users: dict[str, Any], customer: Any
) -> None:
    login(client, users["sales2"])
    url = reverse("customers:edit", args=[customer.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, customer_post(first_name="هکر", mobile=""))
    assert response.status_code == 403
    customer.refresh_from_db()
    assert (customer.first_name, customer.last_name) == ("سارا", "احمدی")
    assert customer.mobile
    assert not TimelineEvent.objects.filter(kind=EventKind.CUSTOMER_UPDATED).exists()
    # ... and the 360 page offers no Edit button to them, but does to the owner.
    detail = reverse("customers:detail", args=[customer.pk])
    assert url not in body(client.get(detail))
    login(client, users["sales"])
    assert url in body(client.get(detail))


# --- Escaping ------------------------------------------------------------------------------


def test_stored_xss_comes_back_escaped_on_list_and_360(
    client: Client, users: dict[str, Any], make_customer: Callable[..., Any]
) -> None:
    evil = make_customer(first_name=XSS_NAME, last_name="\u202eevil", city="<svg onload=alert(1)>")
    services.note_add(actor=users["sales"], customer=evil, body=XSS_NOTE)
    services.interaction_log(
        actor=users["sales"],
        customer=evil,
        channel="call",
        direction="inbound",
        summary=XSS_NAME,
        outcome=XSS_NOTE,
    )
    login(client, users["admin"])
    pages = [
        client.get(reverse("customers:list")),
        client.get(reverse("customers:list"), {"q": "<img"}),
        client.get(reverse("customers:detail", args=[evil.pk])),
        client.get(reverse("customers:edit", args=[evil.pk])),
    ]
    for response in pages:
        page = body(response)
        assert XSS_NAME not in page
        assert "<svg onload" not in page
        assert 'href="javascript:' not in page
        assert "<script>" not in page.replace('<script src="', "")
        assert "script-src 'self'" in response["Content-Security-Policy"]
    detail = body(pages[2])
    assert "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert XSS_NOTE in detail  # shown as text, never as a link


# --- Query counts --------------------------------------------------------------------------


def test_360_page_query_count_does_not_grow_with_history(
    client: Client,
    users: dict[str, Any],
    customer: Any,
    django_assert_max_num_queries: Any,
) -> None:
    actors = [users["sales"], users["marketing"], users["service"], users["manager"]]
    for index in range(20):
        services.interaction_log(
            actor=actors[index % 4],
            customer=customer,
            channel="call",
            direction="inbound",
            summary=f"event {index}",
        )
    for index in range(10):
        order_create(
            actor=users["sales"],
            customer=customer,
            number=f"A-{index}",
            lines=[
                LineInput(quantity=2, unit_price=150_000, description="کالا"),
                LineInput(quantity=1, unit_price=90_000, description="ارسال"),
            ],
            placed_at=timezone.now() - timedelta(days=index),
        )
    for index in range(5):
        services.note_add(actor=actors[index % 4], customer=customer, body=f"note {index}")
        services.task_create(
            actor=actors[index % 4],
            customer=customer,
            title=f"task {index}",
            due_at=timezone.now() + timedelta(days=index),
        )
    services.consent_set(
        actor=users["sales"], customer=customer, channel="sms", status="granted", source="staff"
    )
    login(client, users["sales"])
    url = reverse("customers:detail", args=[customer.pk])
    # Session, user, customer, tags, 2 stats, consents, consent history, orders + lines, notes,
    # tasks, timeline, employees for the assignee picker, and the customer's voice (answers
    # count and latest, open follow-ups, latest comments): 18, plus the service card (the
    # figures in one query, the open and latest tickets in one): 20, whatever the history.
    with django_assert_max_num_queries(20):
        response = client.get(url)
    assert response.status_code == 200
    page = body(response)
    assert page.count('class="timeline-item"') == 20
    assert "A-9" in page or "A-۹" in page


def test_list_query_count_is_fixed(
    client: Client,
    users: dict[str, Any],
    make_customer: Callable[..., Any],
    django_assert_max_num_queries: Any,
) -> None:
    for index in range(30):
        make_customer(first_name=f"n{index}", owner=users["sales"] if index % 2 else None)
    login(client, users["admin"])
    with django_assert_max_num_queries(6):
        response = client.get(reverse("customers:list"))
    assert response.status_code == 200
