"""A complaint end to end: filed on the public form, answered, compensated and resolved.

A customer files a complaint on /support/ from a phone. The agent the desk picked signs in,
finds it in the ticket list, answers it, grants a voucher within their own limit and resolves
it saying what was done. The customer's 360 page then tells the whole story on its timeline.
"""

from __future__ import annotations

from typing import Any

import pytest

from mehvar.core.persian import to_persian_digits
from mehvar.core.roles import Role
from mehvar.service.models import CompensationEntry, DeskSettings, Team, Ticket, TicketMessage

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 900}
SUBJECT = "کتری شکسته رسید"
COMPLAINT = "کتری که سفارش دادم با بدنه ترک‌خورده رسید و آب نشت می‌کند."
REPLY = "پوزش می‌خواهیم؛ کتری نو همین امروز برایتان ارسال می‌شود."
REASON = "جبران تأخیر و کالای آسیب‌دیده"
RESOLUTION = "کتری نو ارسال شد و کد تخفیف داده شد."


@pytest.fixture
def desk(users: dict[str, Any], make_user: Any) -> dict[str, Any]:
    """The Support team (the default one): the service user and a second agent."""
    agent2 = make_user(Role.SERVICE, username="service2")
    team = Team.objects.create(name="Support", lead=users["manager"], monthly_budget=20_000_000)
    team.members.add(users["service"], agent2)
    settings = DeskSettings.current()
    settings.default_team = team
    settings.save()
    return {"team": team, "agent": users["service"], "agent2": agent2}


def test_a_complaint_from_the_public_form_is_answered_compensated_and_resolved(
    live_server: Any, browser: Any, desk: dict[str, Any], shot: Any
) -> None:
    phone = browser.new_context(
        locale="fa-IR", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/support/")
    page.fill("#f-name", "نگار احمدی")
    page.fill("#f-mobile", "۰۹۱۲۳۴۵۶۷۸۹")
    page.click("label[for=f-kind-complaint]")
    page.fill("#f-subject", SUBJECT)
    page.fill("#f-message", COMPLAINT)
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("#support-form button[type=submit]")
    # A real browser's POST must pass Django's CSRF origin check (a page served with
    # "Referrer-Policy: no-referrer" makes Chromium send "Origin: null", which fails it).
    assert posted.value.status != 403, "the public form refused a real browser's POST"
    page.wait_for_url("**/support/t/**")
    phone.close()

    ticket = Ticket.objects.select_related("customer", "assignee").get()
    assert (ticket.kind, ticket.channel, ticket.subject) == ("complaint", "web", SUBJECT)
    agent = ticket.assignee
    assert agent in (desk["agent"], desk["agent2"])  # the desk handed it to one of its agents
    number = to_persian_digits(ticket.number)

    desk_page = browser.new_page(locale="fa-IR", viewport=DESK)
    desk_page.goto(f"{live_server.url}/login/")
    desk_page.fill("#id_username", agent.username)
    desk_page.fill("#id_password", "pass-12345-word")
    desk_page.click("button[type=submit]")
    desk_page.wait_for_url(f"{live_server.url}/")

    desk_page.click('nav a[href="/service/tickets/"]')
    desk_page.wait_for_selector("#ticket-table")
    row = desk_page.locator(f'tr[data-ticket="{ticket.pk}"]')
    assert SUBJECT in row.inner_text()
    row.locator("a").first.click()
    desk_page.wait_for_selector("#ticket-work")
    assert desk_page.locator("html").get_attribute("dir") == "rtl"
    assert number in desk_page.locator("#ticket-header h1").inner_text()
    assert COMPLAINT in desk_page.locator("#messages").inner_text()

    # Answer the customer (htmx swaps the work column in place).
    desk_page.check("#reply-form input[name=kind][value=reply]")
    desk_page.fill("#reply-body", REPLY)
    with desk_page.expect_response(lambda r: r.url.endswith("/messages/")):
        desk_page.click("#reply-form button[type=submit]")
    desk_page.wait_for_selector("#messages li[data-kind=reply]")
    assert REPLY in desk_page.locator("#messages li[data-kind=reply]").inner_text()

    # A voucher of 100,000 Toman, within a service agent's own limit, typed in Persian digits.
    desk_page.select_option("#grant_kind", "voucher")
    desk_page.fill("#grant_amount", "۱۰۰٬۰۰۰")
    desk_page.fill("#grant_reason", REASON)
    with desk_page.expect_response(lambda r: r.url.endswith("/compensation/")):
        desk_page.click("#grant-form button[type=submit]")
    desk_page.wait_for_selector("#ledger-lines")
    ledger = desk_page.locator("#ledger-lines").inner_text()
    assert "۱۰۰٬۰۰۰ تومان" in ledger
    assert REASON in ledger

    # Resolve, saying what was done.
    desk_page.fill("#st_resolution", RESOLUTION)
    with desk_page.expect_response(lambda r: r.url.endswith("/status/")):
        desk_page.click("#step-resolved")
    desk_page.wait_for_selector("#ticket-header [data-status=resolved]")
    assert RESOLUTION in desk_page.locator("#ticket-header").inner_text()
    # The customer's story beside the ticket already holds all of it.
    side = desk_page.locator("#ticket-side").inner_text()
    assert REPLY[:20] in side
    assert REASON in side
    shot(desk_page, "service-journey-ticket")

    ticket.refresh_from_db()
    assert ticket.status == "resolved"
    assert ticket.first_responded_at is not None
    reply = TicketMessage.objects.get(ticket=ticket, kind="reply")
    assert reply.sent_at is not None  # the SMS left (console) after commit
    entry = CompensationEntry.objects.get()
    assert (entry.kind, entry.amount, entry.granted_by) == ("voucher", 1_000_000, agent)

    desk_page.goto(f"{live_server.url}/customers/{ticket.customer_id}/")
    timeline = desk_page.locator("#timeline").inner_text()
    assert f"{ticket.number}: {SUBJECT}" in timeline  # opened (the summary is stored text)
    assert REPLY[:20] in timeline  # answered
    assert REASON in timeline  # compensated
    assert RESOLUTION in timeline  # resolved, with what was done
    shot(desk_page, "service-journey-timeline")
    desk_page.close()
