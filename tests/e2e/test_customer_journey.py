"""A sales person logs in, finds a customer typing Arabic ي, opens the 360 page and logs a call."""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.core.models import EventKind, TimelineEvent
from mehvar.customers.services import interaction_log

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_find_with_arabic_yeh_and_log_a_call(
    live_server: Any, browser: Any, users: dict[str, Any], make_customer: Any, shot: Any
) -> None:
    customer = make_customer(first_name="یاسمین", last_name="کیانی", actor=users["sales"])
    make_customer(first_name="بهرام", last_name="یزدانی")
    interaction_log(
        actor=users["service"],
        customer=customer,
        channel="call",
        direction="inbound",
        summary="گزارش خرابی جاروبرقی",
    )
    page = browser.new_page(locale="fa-IR", viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#id_username", "sales")
    page.fill("#id_password", "pass-12345-word")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    # Arabic keyboard: ي (U+064A) and ك (U+0643) instead of Persian ی and ک.
    search = page.locator("nav input[name=q]")
    search.fill("ياسمين كياني")
    search.press("Enter")
    page.wait_for_url("**/customers/?q=*")
    results = page.locator("#results a.fw-semibold")
    assert results.count() == 1
    assert results.first.inner_text() == "یاسمین کیانی"
    shot(page, "search-arabic-yeh")

    results.first.click()
    page.wait_for_url(f"**/customers/{customer.pk}/")
    timeline = page.locator("#timeline-list")
    assert "گزارش خرابی جاروبرقی" in timeline.inner_text()

    form = page.locator("#log-call form")
    form.locator("[name=summary]").fill("پیگیری تعمیر؛ قرار شد فردا تماس بگیریم")
    form.locator("[name=outcome]").fill("راضی")
    form.locator("button[type=submit]").click()
    page.locator("#timeline-list", has_text="پیگیری تعمیر").wait_for()
    # htmx put it on the timeline without a reload; the database agrees.
    assert page.url.endswith(f"/customers/{customer.pk}/")
    event = TimelineEvent.objects.filter(customer=customer, kind=EventKind.INTERACTION).first()
    assert event is not None
    assert event.summary == "پیگیری تعمیر؛ قرار شد فردا تماس بگیریم"
    assert event.actor == users["sales"]
    assert event.department == "sales"
    shot(page, "customer-360-after-call")
    page.close()
