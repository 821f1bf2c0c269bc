"""The page forms: digits in any script, Jalali dates, canonical filters, company lookup."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from mehvar.customers.forms import (
    CustomerFilterForm,
    CustomerForm,
    InteractionForm,
    JalaliDateField,
    LatinIntegerField,
    SavedViewForm,
    TaskForm,
    unknown_params,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1403/01/15", date(2024, 4, 3)),
        ("۱۴۰۳/۰۱/۱۵", date(2024, 4, 3)),
        ("١٤٠٣/٠١/١٥", date(2024, 4, 3)),
        ("1403-1-15", date(2024, 4, 3)),
        ("2024-04-03", date(2024, 4, 3)),
        ("  ۱۴۰۳/۱۲/۳۰ ", date(2025, 3, 20)),  # 1403 is a leap year
    ],
)
def test_jalali_date_field_reads_what_people_type(typed: str, expected: date) -> None:
    assert JalaliDateField().clean(typed) == expected


@pytest.mark.parametrize("typed", ["1404/12/30", "1403/13/01", "15/01/1403", "فردا", "2024-02-30"])
def test_jalali_date_field_refuses_dates_that_do_not_exist(typed: str) -> None:
    with translation.override("en"), pytest.raises(Exception, match="Not a valid date"):
        JalaliDateField().clean(typed)


def test_jalali_date_field_is_optional_when_asked() -> None:
    assert JalaliDateField(required=False).clean("") is None


def test_jalali_input_shows_a_date_in_jalali() -> None:
    field = JalaliDateField()
    with translation.override("fa"):
        assert field.widget.format_value(date(2024, 4, 3)) == "۱۴۰۳/۰۱/۱۵"
    with translation.override("en"):
        assert field.widget.format_value(date(2024, 4, 3)) == "1403/01/15"
    assert 'data-jdp=""' in field.widget.render("d", None)


def test_latin_integer_field_takes_persian_digits_and_a_hash() -> None:
    assert LatinIntegerField().clean("۱۲۳") == 123
    assert LatinIntegerField().clean("#٤٥") == 45


@pytest.mark.django_db
def test_filter_form_builds_filters_and_a_canonical_query(users: dict[str, Any]) -> None:
    form = CustomerFilterForm(
        QueryDict(
            "q=%D8%B9%D9%84%D9%8A&province=tehran&city=&mine=on&created_from=%DB%B1%DB%B4%DB%B0%DB%B3/%DB%B0%DB%B1/%DB%B0%DB%B1&sort=-created"
            f"&owner={users['sales'].pk}"
        )
    )
    assert form.is_valid(), form.errors
    filters = form.filters()
    assert filters.q == "علی"  # Arabic yeh normalised
    assert (filters.province, filters.city, filters.mine, filters.sort) == (
        "tehran",
        "",
        True,
        "-created",
    )
    assert filters.owner == users["sales"].pk
    assert filters.created_from == date(2024, 3, 20)
    assert form.query_pairs() == [
        ("q", "علی"),
        ("province", "tehran"),
        ("owner", str(users["sales"].pk)),
        ("mine", "1"),
        ("created_from", "1403/01/01"),
        ("sort", "-created"),
    ]
    # The canonical query parses back to the same filters.
    again = CustomerFilterForm(QueryDict(form.query_string()))
    assert again.is_valid()
    assert again.filters() == filters


@pytest.mark.django_db
def test_filter_form_default_sort_is_left_out_of_the_query() -> None:
    form = CustomerFilterForm(QueryDict("sort=name&stage=lead"))
    assert form.is_valid()
    assert form.query_string() == "stage=lead"
    assert form.is_filtered


@pytest.mark.django_db
def test_unknown_parameters_are_reported() -> None:
    params = QueryDict("q=x&page=2&order_by=password&__raw=1")
    form = CustomerFilterForm(params)
    assert unknown_params(params, form, CustomerFilterForm.EXTRA_PARAMS) == ["__raw", "order_by"]


@pytest.mark.django_db
def test_saved_view_form_stores_only_a_clean_query() -> None:
    form = SavedViewForm({"name": " مشتریان  تهران ", "query": "province=tehran&sort=name&city="})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "مشتریان تهران"
    assert form.cleaned_data["query"] == "province=tehran"
    bad = SavedViewForm({"name": "x", "query": "province=tehran&evil=1"})
    assert not bad.is_valid()
    assert "query" in bad.errors


@pytest.mark.django_db
def test_customer_form_needs_a_name_for_its_kind() -> None:
    person = CustomerForm({"kind": "person", "lifecycle_stage": "lead"})
    assert not person.is_valid()
    assert "last_name" in person.errors
    company = CustomerForm({"kind": "company", "lifecycle_stage": "lead", "first_name": "x"})
    assert not company.is_valid()
    assert "company_name" in company.errors


@pytest.mark.django_db
def test_customer_form_finds_the_company_by_number_or_exact_name(
    make_customer: Callable[..., Any],
) -> None:
    company = make_customer(kind="company", company_name="کاشی ميبد", first_name="")
    for typed in (f"#{company.pk}", str(company.pk), f"کاشی میبد (#{company.pk})", "كاشي ميبد"):
        form = CustomerForm(
            {"kind": "person", "last_name": "x", "lifecycle_stage": "lead", "company": typed}
        )
        assert form.is_valid(), (typed, form.errors)
        assert form.cleaned_data["company"] == company
    missing = CustomerForm(
        {"kind": "person", "last_name": "x", "lifecycle_stage": "lead", "company": "#999999"}
    )
    assert not missing.is_valid()
    assert "company" in missing.errors
    person = make_customer(first_name="ن", last_name="م")
    not_a_company = CustomerForm(
        {"kind": "person", "last_name": "x", "lifecycle_stage": "lead", "company": f"#{person.pk}"}
    )
    assert not not_a_company.is_valid()


@pytest.mark.django_db
def test_customer_form_starts_from_the_record_as_people_write_it(
    make_customer: Callable[..., Any],
) -> None:
    customer = make_customer(
        mobile="+989121234567", birth_date="1370/05/12", other_phones="02188776655", tags="الف, ب"
    )
    with translation.override("fa"):
        initial = CustomerForm.initial_for(customer)
    assert initial["mobile"] == "09121234567"
    assert initial["birth_date"] == "۱۳۷۰/۰۵/۱۲"
    assert initial["other_phones"] == "+982188776655"
    assert initial["tags"] == "الف, ب"


@pytest.mark.django_db
def test_service_errors_land_next_to_their_fields() -> None:
    form = CustomerForm({"kind": "person", "last_name": "x", "lifecycle_stage": "lead"})
    assert form.is_valid()
    form.add_service_errors({"mobile": "bad mobile", "lines[1].quantity": "elsewhere"})
    assert form.errors["mobile"] == ["bad mobile"]
    assert form.non_field_errors() == ["elsewhere"]
    assert "is-invalid" in form.fields["mobile"].widget.attrs["class"]


def test_interaction_form_defaults_to_an_outbound_call_and_hides_system() -> None:
    form = InteractionForm()
    assert (form["channel"].value(), form["direction"].value()) == ("call", "outbound")
    channel_field: Any = form.fields["channel"]
    assert "system" not in {value for value, _label in channel_field.choices}


@pytest.mark.django_db
def test_task_form_combines_a_jalali_day_and_a_time_in_tehran() -> None:
    form = TaskForm({"title": "تماس", "due_date": "۱۴۰۳/۰۱/۱۵", "due_time": "۱۶:۴۵"})
    assert form.is_valid(), form.errors
    due = form.due_at()
    assert timezone.is_aware(due)
    local = timezone.localtime(due)
    assert (local.date(), local.time()) == (date(2024, 4, 3), time(16, 45))
    offset = local.utcoffset()
    assert offset is not None
    assert offset.total_seconds() == 3.5 * 3600
    no_time = TaskForm({"title": "t", "due_date": "1403/01/15"})
    assert no_time.is_valid()
    assert timezone.localtime(no_time.due_at()).hour == 9
