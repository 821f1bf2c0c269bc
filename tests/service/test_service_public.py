"""The customer's own support pages: the public form (/support/) and the private ticket page.

A customer found by a mobile typed in Persian digits, a new customer created, errors per field
with the valid values kept, an order that is not theirs, bots, floods, hostile input, and the
ticket page that shows replies but never internal notes and restarts or reopens the ticket.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mehvar.core.models import Channel, Direction, EventKind, TimelineEvent
from mehvar.customers.models import Customer
from mehvar.customers.orders import LineInput, order_create
from mehvar.service import tickets
from mehvar.service.models import (
    MessageKind,
    Ticket,
    TicketChannel,
    TicketMessage,
    TicketStatus,
)

pytestmark = pytest.mark.django_db

SUPPORT = "/support/"
FORM = {
    "name": "کیان رضایی",
    "mobile": "09121112233",
    "email": "",
    "kind": "complaint",
    "order": "",
    "subject": "سفارش ناقص رسید",
    "message": "یکی از کالاها در جعبه نبود.",
}


@pytest.fixture(autouse=True)
def _fresh_rate_counts(settings: Any) -> None:
    """django-ratelimit counts in a cache: every test starts with a clean slate, and only the
    flood tests (``override_settings``) meet a limit."""
    caches["ratelimit"].clear()
    settings.SUPPORT_RATE_LIMIT = {"open": "1000/m", "submit": "1000/m"}


@pytest.fixture
def ticket(make_ticket: Any, make_customer: Any) -> Ticket:
    return make_ticket(customer=make_customer(mobile="09123334455"))


def page_of(ticket: Ticket, **params: str) -> str:
    url = reverse("service:support_ticket", args=[ticket.public_key])
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}?{query}" if query else url


def html(response: Any) -> str:
    return str(response.content.decode())


def send(client: Client, **changes: str) -> Any:
    return client.post(SUPPORT + "?lang=en", {**FORM, **changes})


# --- The form: a customer writes in -----------------------------------------------------------


def test_the_url_is_the_public_support_form(client: Client) -> None:
    assert reverse("service:support") == SUPPORT
    page = client.get(SUPPORT + "?lang=en")
    assert page.status_code == 200
    for name in ("name", "mobile", "email", "kind", "order", "subject", "message"):
        assert f'name="{name}"' in html(page)
    assert 'value="complaint" checked' in html(page)


def test_a_complaint_finds_the_customer_by_a_mobile_typed_in_persian_digits(
    client: Client, desk: dict[str, Any], make_customer: Any
) -> None:
    customer = make_customer(mobile="09121112233", first_name="کیان", last_name="رضایی")
    customers_before = Customer.objects.count()

    sent = send(client, mobile="۰۹۱۲ ۱۱۱ ٢٢٣٣", name="كيان")  # Persian + Arabic digits, ي/ك

    ticket = Ticket.objects.get()
    assert sent.status_code == 303
    assert sent["Location"] == page_of(ticket, new="1", lang="en")
    assert Customer.objects.count() == customers_before  # found, not created
    assert (ticket.customer_id, ticket.channel, ticket.kind) == (customer.pk, "web", "complaint")
    # Anyone can type anyone's mobile: the desk must check who wrote before trusting it.
    assert ticket.identity_confirmed is False
    assert ticket.created_by is None
    assert ticket.subject == "سفارش ناقص رسید"
    first = ticket.messages.get()
    assert (first.kind, first.channel, first.author) == (MessageKind.CUSTOMER, "web", None)
    assert first.body == "یکی از کالاها در جعبه نبود."
    opened = TimelineEvent.objects.get(customer=customer, kind=EventKind.TICKET_OPENED)
    assert (opened.channel, opened.direction) == (Channel.WEB, Direction.INBOUND)
    assert opened.actor is None

    thanks = client.get(sent["Location"])
    text = html(thanks)
    assert thanks.status_code == 200
    assert "Thank you! Your request reached us." in text
    assert ticket.number in text
    address = f"http://testserver/support/t/{ticket.public_key}/"
    assert f'<a href="{address}" id="private-link">{address}</a>' in text
    assert thanks["Referrer-Policy"] == "same-origin"
    assert "no-store" in thanks["Cache-Control"]


def test_a_new_customer_is_created_from_an_email(client: Client, desk: dict[str, Any]) -> None:
    sent = send(client, mobile="", email="Maryam@Example.com", name="مريم كاظمي", kind="question")

    assert sent.status_code == 303
    customer = Customer.objects.get(email="maryam@example.com")
    assert (customer.first_name, customer.last_name) == ("مریم", "کاظمی")
    assert customer.owner is None
    ticket = Ticket.objects.get(customer=customer)
    assert (ticket.kind, ticket.channel) == ("question", TicketChannel.WEB)
    assert ticket.identity_confirmed  # the record holds only what this person typed
    kinds = set(TimelineEvent.objects.filter(customer=customer).values_list("kind", flat=True))
    assert {EventKind.CUSTOMER_CREATED, EventKind.TICKET_OPENED} <= kinds


def test_an_empty_subject_is_the_start_of_the_message(client: Client, desk: dict[str, Any]) -> None:
    assert send(client, subject="", message="\n  گارانتی  \nجزئیات").status_code == 303
    assert Ticket.objects.get().subject == "گارانتی"
    assert send(client, subject="", message="بسته " * 40).status_code == 303
    subject = Ticket.objects.filter(subject__startswith="بسته").get().subject
    assert subject.startswith("بسته بسته")
    assert subject.endswith("…")
    assert len(subject) <= 80


def test_mistakes_are_explained_per_field_and_valid_values_kept(
    client: Client, desk: dict[str, Any]
) -> None:
    refused = send(client, mobile="12345", message="   ", subject="یک موضوع")

    text = html(refused)
    assert refused.status_code == 422
    assert "Not an Iranian mobile number" in re.search(r'id="e-mobile">([^<]*)<', text).group(1)  # type: ignore[union-attr]
    assert re.search(r'id="e-message">Please write your message.<', text)
    assert 'id="e-name"' not in text
    assert 'value="کیان رضایی"' in text  # what was fine stays typed
    assert 'value="یک موضوع"' in text
    assert 'value="12345"' in text
    assert 'href="#f-mobile"' in text
    assert 'href="#f-message"' in text
    assert not Ticket.objects.exists()
    assert not Customer.objects.filter(first_name="کیان").exists()


def test_a_mobile_or_an_email_and_a_name_are_needed(client: Client, desk: dict[str, Any]) -> None:
    refused = send(client, mobile="", email="", name="", kind="spam")
    text = html(refused)
    assert refused.status_code == 422
    assert "Give a mobile number or an email address." in text
    assert "Please tell us your name." in text
    assert re.search(r'id="e-kind">Choose one of the listed options.<', text)
    assert not Ticket.objects.exists()


def test_an_order_is_matched_only_when_it_is_the_customers_own(
    client: Client, desk: dict[str, Any], make_customer: Any, users: dict[str, Any]
) -> None:
    mine = make_customer(mobile="09121112233")
    other = make_customer(mobile="09125556677")
    own = order_create(
        actor=users["admin"],
        customer=mine,
        number="1402-77",
        lines=[LineInput(1, 1_000_000, description="کتاب")],
    )
    order_create(
        actor=users["admin"],
        customer=other,
        number="1402-88",
        lines=[LineInput(1, 1_000_000, description="کتاب")],
    )

    for number in ("1402-88", "9999"):  # someone else's, and one that does not exist
        refused = send(client, order=number)
        assert refused.status_code == 422
        error = re.search(r'id="e-order">([^<]*)<', html(refused))
        assert error
        assert error.group(1) == "We could not find this order for your mobile number or email."
    # A new customer cannot name any order either, and is not created by a refused form.
    before = Customer.objects.count()
    refused = send(client, mobile="09350001122", order="1402-77")
    assert refused.status_code == 422
    assert Customer.objects.count() == before
    assert not Ticket.objects.exists()

    assert send(client, order="۱۴۰۲-۷۷").status_code == 303  # typed in Persian digits
    assert Ticket.objects.get().order == own


def test_hostile_and_odd_input_never_breaks_the_form(client: Client, desk: dict[str, Any]) -> None:
    long = "ا" * 10_000
    assert send(client, name=long).status_code == 422
    assert send(client, order=long).status_code == 422
    assert send(client, subject=long).status_code == 422
    assert send(client, mobile="\x00" * 5, email="a\x00@b.c").status_code == 422
    assert send(client, kind="\x00").status_code == 422
    assert send(client, message="ب" * 30_000).status_code == 422

    sent = send(client, message="سلام\x00 دنیا " + "ک" * 10_000, mobile="۰٩۱2 ۱۱۱ 2233")
    assert sent.status_code == 303
    body = Ticket.objects.get().messages.get().body
    assert "\x00" not in body
    assert body.startswith("سلام دنیا")


def test_hostile_input_is_escaped_on_the_thank_you_and_ticket_pages(
    client: Client, desk: dict[str, Any]
) -> None:
    payload = '<img src=x onerror="alert(1)">'
    sent = send(client, subject=payload, message=f"{payload}\u202e<script>x</script>", name=payload)
    assert sent.status_code == 303
    for url in (sent["Location"], page_of(Ticket.objects.get())):
        text = html(client.get(url))
        assert payload not in text
        assert "<script>x" not in text
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in text

    refused = send(client, subject=payload, message="", mobile=payload)
    assert refused.status_code == 422
    assert payload not in html(refused)


def test_a_filled_honeypot_files_nothing(client: Client, desk: dict[str, Any]) -> None:
    bot = client.post(SUPPORT, {**FORM, "website": "http://spam.example"})
    assert bot.status_code == 200
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


@override_settings(SUPPORT_RATE_LIMIT={"open": "100/h", "submit": "2/h"})
def test_a_flood_of_forms_from_one_address_gets_a_polite_429(
    client: Client, desk: dict[str, Any]
) -> None:
    codes = [
        client.post(SUPPORT + "?lang=en", {**FORM, "message": ""}, REMOTE_ADDR="203.0.113.7")
        for _ in range(3)
    ]
    assert [c.status_code for c in codes] == [422, 422, 429]
    assert codes[-1]["Retry-After"] == "60"
    assert "Too many attempts" in html(codes[-1])
    assert client.post(SUPPORT, FORM, REMOTE_ADDR="203.0.113.7").status_code == 429
    assert not Ticket.objects.exists()
    # Another address keeps its own allowance.
    assert client.post(SUPPORT, FORM, REMOTE_ADDR="198.51.100.4").status_code == 303


@override_settings(SUPPORT_RATE_LIMIT={"open": "2/h", "submit": "100/h"})
def test_a_flood_of_page_views_is_refused(client: Client, ticket: Ticket) -> None:
    assert [client.get(SUPPORT).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get(page_of(ticket)).status_code == 429
    assert client.get(page_of(ticket), REMOTE_ADDR="198.51.100.5").status_code == 200


def test_csrf_protection_stays_on(ticket: Ticket) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(SUPPORT, FORM).status_code == 403
    assert browser.post(page_of(ticket), {"message": "سلام"}).status_code == 403
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 1


def test_the_pages_are_light_and_safe(client: Client, ticket: Ticket) -> None:
    for url in (SUPPORT, page_of(ticket)):
        page = client.get(url)
        text = html(page)
        assert "script-src 'self'" in page["Content-Security-Policy"]
        assert page["X-Frame-Options"] == "DENY"
        assert "<script" not in text
        assert not re.search(r"\son[a-z]+=", text)
        assert "style=" not in text
        for heavy in ("bootstrap", "htmx"):
            assert heavy not in text.lower()
        assert len(page.content) < 20_000
        assert 'dir="rtl"' in text
        assert 'lang="fa"' in text


# --- The customer's own ticket page -----------------------------------------------------------


def test_the_ticket_page_shows_replies_but_never_internal_notes(
    client: Client, ticket: Ticket, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    agent.first_name, agent.last_name = "سارا", "محمدی‌نژاد"
    agent.save(update_fields=["first_name", "last_name"])
    tickets.message_add(actor=agent, ticket=ticket, kind="note", body="مشتری همیشه ناراضی است")
    tickets.message_add(actor=agent, ticket=ticket, kind="reply", body="کالای جایگزین فرستادیم.")

    text = html(client.get(page_of(ticket, lang="en")))

    assert "کالای جایگزین فرستادیم." in text
    assert "سفارشم سه روز دیر رسید" in text  # the customer's own words
    assert "مشتری همیشه ناراضی است" not in text
    assert "سارا" in text
    assert "محمدی‌نژاد" not in text
    assert agent.get_full_name() not in text
    assert "In progress" in text


def test_a_customer_message_restarts_a_waiting_ticket_and_reopens_a_resolved_one(
    client: Client, ticket: Ticket, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    tickets.message_add(
        actor=agent, ticket=ticket, kind="reply", body="شماره سفارش؟", wait_for_customer=True
    )
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING
    assert "Waiting for your answer" in html(client.get(page_of(ticket, lang="en")))

    sent = client.post(page_of(ticket, lang="en"), {"message": "سفارش ۱۲۳"})
    assert sent.status_code == 303
    assert sent["Location"] == page_of(ticket, sent="1", lang="en")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.paused_since) == (TicketStatus.OPEN, None)
    words = ticket.messages.filter(kind=MessageKind.CUSTOMER).last()
    assert words is not None
    assert (words.body, words.channel, words.author) == ("سفارش 123", "web", None)
    assert "Your message was added." in html(client.get(sent["Location"]))

    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="انجام شد")
    assert client.post(page_of(ticket), {"message": "هنوز نرسیده"}).status_code == 303
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count, ticket.resolved_at) == (TicketStatus.OPEN, 1, None)
    inbound = TimelineEvent.objects.filter(
        customer=ticket.customer, kind=EventKind.TICKET_MESSAGE, direction=Direction.INBOUND
    )
    assert inbound.count() == 2
    assert set(inbound.values_list("channel", flat=True)) == {Channel.WEB}


def test_an_empty_message_is_refused_and_a_bot_adds_nothing(client: Client, ticket: Ticket) -> None:
    refused = client.post(page_of(ticket, lang="en"), {"message": " \x00 "})
    assert refused.status_code == 422
    assert "Please write your message." in html(refused)
    bot = client.post(page_of(ticket), {"message": "spam", "website": "x"})
    assert bot.status_code == 303
    assert ticket.messages.count() == 1


def test_a_closed_ticket_says_so_and_offers_the_form(
    client: Client, ticket: Ticket, desk: dict[str, Any]
) -> None:
    agent = desk["agent"]
    tickets.ticket_transition(actor=agent, ticket=ticket, status="resolved", resolution="انجام شد")
    tickets.ticket_transition(actor=agent, ticket=ticket, status="closed")

    text = html(client.get(page_of(ticket, lang="en")))
    assert "This ticket is closed" in text
    assert 'name="message"' not in text
    assert 'href="/support/?lang=en"' in text
    refused = client.post(page_of(ticket, lang="en"), {"message": "دوباره"})
    assert refused.status_code == 409
    assert ticket.messages.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_wrong_keys_get_the_same_404_page(client: Client, ticket: Ticket) -> None:
    key = ticket.public_key
    near = key[:-1] + ("A" if key[-1] != "A" else "B")
    bodies = set()
    for wrong in (near, "A" * 24, "x", "z" * 200, "%D8%A7" * 10, "..", "-" * 24):
        url = f"/support/t/{wrong}/"
        for response in (client.get(url), client.post(url, {"message": "سلام"})):
            assert response.status_code == 404, wrong
            bodies.add(re.sub(r"csrfmiddlewaretoken[^>]*", "", html(response)))
    assert len(bodies) == 1
    assert ticket.subject not in bodies.pop()
    assert TicketMessage.objects.count() == 1


def test_persian_by_default_and_english_on_request(client: Client, ticket: Ticket) -> None:
    persian = html(client.get(page_of(ticket)))
    assert 'lang="fa"' in persian
    assert f"T-{ticket.pk}" not in persian  # the number in Persian digits
    english = html(client.get(page_of(ticket, lang="en")))
    assert 'lang="en"' in english
    assert f"T-{ticket.pk}" in english
    client.cookies["django_language"] = "en"
    assert 'lang="en"' in html(client.get(SUPPORT))
    # Persian asked for explicitly stays Persian through the form, whatever the cookie says.
    persian_form = html(client.get(SUPPORT + "?lang=fa"))
    assert 'lang="fa"' in persian_form
    assert 'action="/support/?lang=fa"' in persian_form


def test_the_whole_story_reaches_the_customers_timeline(
    client: Client, desk: dict[str, Any], users: dict[str, Any]
) -> None:
    """The issue's walk-through: a complaint on the form, an agent's answer, the customer's
    reply on their page, and all of it on the customer's 360 page."""
    sent = send(client, mobile="09127778899", name="ژاله امینی", subject="کفش پاره شد")
    ticket = Ticket.objects.get()
    tickets.message_add(
        actor=desk["agent"],
        ticket=ticket,
        kind="reply",
        body="عکس بفرستید.",
        wait_for_customer=True,
    )
    assert "عکس بفرستید." in html(client.get(sent["Location"]))
    assert client.post(page_of(ticket), {"message": "فرستادم"}).status_code == 303

    events = TimelineEvent.objects.filter(customer=ticket.customer).order_by("occurred_at", "pk")
    assert [e.kind for e in events] == [
        EventKind.CUSTOMER_CREATED,
        EventKind.TICKET_OPENED,
        EventKind.TICKET_MESSAGE,
        EventKind.TICKET_MESSAGE,
    ]
    assert [e.direction for e in events][1:] == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.INBOUND,
    ]
    staff = Client()
    staff.cookies["django_language"] = "en"
    staff.force_login(users["sales"])
    page = html(staff.get(reverse("customers:detail", args=[ticket.customer_id])))
    assert page.count(ticket.number) >= 3  # the timeline's three ticket events
    assert "فرستادم" in page
    assert f'href="/service/tickets/{ticket.pk}/"' in page  # the service card


def test_a_record_found_by_its_email_gives_an_unconfirmed_ticket(
    client: Client, desk: dict[str, Any], make_customer: Any
) -> None:
    known = make_customer(mobile="09120000001", email="victim@example.com")

    # A new mobile with the victim's address still lands on the victim's record.
    assert send(client, mobile="09350000002", email="Victim@Example.com").status_code == 303

    ticket = Ticket.objects.get()
    assert (ticket.customer, ticket.identity_confirmed) == (known, False)


def test_a_found_record_is_unconfirmed_even_when_it_was_made_by_a_form_before(
    client: Client, desk: dict[str, Any]
) -> None:
    assert send(client).status_code == 303
    assert send(client, message="دوباره").status_code == 303

    first, second = Ticket.objects.order_by("pk")
    assert first.customer_id == second.customer_id
    assert (first.identity_confirmed, second.identity_confirmed) == (True, False)


def test_an_unknown_order_and_someone_elses_look_exactly_alike(
    client: Client, desk: dict[str, Any], make_customer: Any, users: dict[str, Any]
) -> None:
    """Same words, same page, same queries: the form tells nobody which order numbers exist."""
    make_customer(mobile="09121112233")
    other = make_customer(mobile="09125556677")
    order_create(
        actor=users["admin"],
        customer=other,
        number="1402-88",
        lines=[LineInput(1, 1_000_000, description="کتاب")],
    )

    def attempt(number: str) -> tuple[int, str, int]:
        with CaptureQueriesContext(connection) as captured:
            refused = send(client, order=number)
        page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html(refused))
        return refused.status_code, page.replace(number, "N"), len(captured.captured_queries)

    someone_elses, unknown = attempt("1402-88"), attempt("1402-99")

    assert someone_elses == unknown
    assert someone_elses[0] == 422
    assert not Ticket.objects.exists()
