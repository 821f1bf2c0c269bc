"""The service desk on other apps' pages: the customer page's service card and the follow-up's
"open a ticket" button (customers and feedback reach service only through these tags)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mehvar.customers.orders import LineInput, order_create
from mehvar.feedback import responding, surveys
from mehvar.feedback.models import FollowUp
from mehvar.service import compensation, tickets
from mehvar.service.models import Ticket
from mehvar.service.profile import service_profile
from mehvar.service.templatetags.service_tags import percent, reason_sentences

pytestmark = pytest.mark.django_db


def login(client: Client, user: Any, language: str = "en") -> Client:
    client.cookies["django_language"] = language
    client.force_login(user)
    return client


def html(response: Any) -> str:
    return str(response.content.decode())


def card(text: str) -> str:
    match = re.search(r'<section class="card mb-3" id="customer-service".*?</section>', text, re.S)
    assert match, "no service card on the page"
    return match.group(0)


def complaints(make_ticket: Any, customer: Any, n: int) -> list[Ticket]:
    return [make_ticket(customer=customer, subject=f"شکایت {i}") for i in range(n)]


def test_the_card_flags_a_customer_with_four_complaints_and_not_one_with_one(
    client: Client, users: dict[str, Any], make_customer: Any, make_ticket: Any
) -> None:
    unhappy = make_customer(first_name="نگار")
    calm = make_customer(first_name="رضا")
    complaints(make_ticket, unhappy, 4)
    complaints(make_ticket, calm, 1)

    for role in ("sales", "marketing", "service"):  # every role sees it
        shown = card(
            html(login(client, users[role]).get(reverse("customers:detail", args=[unhappy.pk])))
        )
        assert 'id="service-flag"' in shown, role
        assert "Always dissatisfied?" in shown
        assert "4 complaints in the last 12 months (4 or more make a pattern)." in shown
    calm_card = card(html(client.get(reverse("customers:detail", args=[calm.pk]))))
    assert 'id="service-flag"' not in calm_card
    assert "Always dissatisfied?" not in calm_card
    ticket = Ticket.objects.get(customer=calm)
    assert f'href="/service/tickets/{ticket.pk}/"' in calm_card
    assert "شکایت 0" in calm_card


def test_the_card_lists_open_and_finished_tickets_with_figures(
    client: Client,
    users: dict[str, Any],
    make_customer: Any,
    make_ticket: Any,
    desk: dict[str, Any],
) -> None:
    customer = make_customer()
    done, still_open = complaints(make_ticket, customer, 2)
    tickets.ticket_transition(actor=desk["agent"], ticket=done, status="resolved", resolution="ok")
    make_ticket(customer=customer, kind="question", subject="پرسش")

    shown = card(
        html(login(client, users["sales"]).get(reverse("customers:detail", args=[customer.pk])))
    )

    open_list = re.search(r'id="service-open">.*?</ul>', shown, re.S).group(0)  # type: ignore[union-attr]
    recent = re.search(r'id="service-recent">.*?</ul>', shown, re.S).group(0)  # type: ignore[union-attr]
    assert f"/service/tickets/{still_open.pk}/" in open_list
    assert "پرسش" in open_list
    assert f"/service/tickets/{done.pk}/" in recent
    assert f"/service/tickets/{done.pk}/" not in open_list
    figures = re.search(r'id="service-figures">.*?</dl>', shown, re.S).group(0)  # type: ignore[union-attr]
    values = re.findall(r'<dd class="col-5 num">([^<]*)', figures)
    assert values[:3] == ["2", "2", "0"]  # open tickets, complaints, repeats


def test_a_customer_without_tickets_has_a_quiet_card_and_a_new_ticket_link(
    client: Client, users: dict[str, Any], make_customer: Any
) -> None:
    customer = make_customer()
    text = html(
        login(client, users["marketing"]).get(reverse("customers:detail", args=[customer.pk]))
    )
    assert "No tickets yet." in card(text)
    assert f'href="/service/tickets/new/?customer={customer.pk}" id="new-ticket"' in text


def test_costly_compensation_is_explained_against_what_they_spent(
    users: dict[str, Any], make_customer: Any, make_ticket: Any, desk: dict[str, Any]
) -> None:
    customer = make_customer()
    order_create(
        actor=users["admin"],
        customer=customer,
        number="A-1",
        lines=[LineInput(1, 10_000_000, description="کفش")],
    )
    first, _second = complaints(make_ticket, customer, 2)
    compensation.compensation_grant(
        actor=desk["agent"], ticket=first, kind="voucher", amount=3_000_000, reason="تاخیر"
    )

    profile = service_profile(customer.pk)
    assert profile.reasons == ("costly",)
    with translation.override("en"):
        (sentence,) = reason_sentences(profile)
        assert "is 30% of what they spent" in sentence
        assert "with 2 complaints" in sentence
    with translation.override("fa"):
        assert percent(profile.compensation_share) == "۳۰٪"
    assert percent(None) == ""


def test_the_card_costs_a_few_queries_whatever_the_history(
    make_customer: Any,
    make_ticket: Any,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    customer = make_customer()
    template = Template("{% load service_tags %}{% service_card customer %}")
    complaints(make_ticket, customer, 2)
    with django_assert_max_num_queries(5):
        small = template.render(Context({"customer": customer}))
    complaints(make_ticket, customer, 8)
    with django_assert_max_num_queries(5):
        large = template.render(Context({"customer": customer}))
    assert small.count("/service/tickets/") == 2
    assert large.count("/service/tickets/") == 5  # the open ones, five at most


# --- The follow-up page ------------------------------------------------------------------------


@pytest.fixture
def detractor(users: dict[str, Any], make_customer: Callable[..., Any]) -> FollowUp:
    """An NPS 3 from a customer owned by ``sales``: a follow-up is opened for it."""
    survey = surveys.survey_save(
        actor=users["marketing"],
        data={"title_fa": "پیشنهاد", "questions": [{"key": "q1", "kind": "nps", "text_fa": "؟"}]},
    )
    survey = surveys.survey_set_status(actor=users["marketing"], survey=survey, status="active")
    customer = make_customer(owner=users["sales"], first_name="رضا", last_name="نادری")
    invitation = responding.invitation_create(
        actor=users["sales"], survey=survey, customer=customer, channel="link"
    )
    response = responding.response_for_invitation(invitation)
    responding.answers_save(response=response, raw={"q1": "۳"}, submit=True)
    return FollowUp.objects.get(response=response)


def test_the_follow_up_page_offers_a_ticket_until_there_is_one(
    client: Client, users: dict[str, Any], detractor: FollowUp, desk: dict[str, Any]
) -> None:
    login(client, users["service"])
    page = reverse("feedback:follow_up", args=[detractor.pk])
    action = reverse("service:ticket_from_follow_up", args=[detractor.pk])

    text = html(client.get(page))
    assert f'<form method="post" action="{action}" id="follow-up-ticket-form">' in text
    assert "Open a ticket" in text

    first = client.post(action)
    second = client.post(action)
    ticket = Ticket.objects.get()  # exactly one
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/service/tickets/{ticket.pk}/"
    assert ticket.follow_up_id == detractor.pk
    assert (ticket.channel, ticket.customer_id) == ("survey", detractor.customer_id)

    text = html(client.get(page))
    assert 'id="follow-up-ticket-form"' not in text
    assert f'href="/service/tickets/{ticket.pk}/" id="follow-up-ticket-link"' in text


def test_the_follow_up_tag_reads_the_ticket_without_the_reverse_accessor(
    users: dict[str, Any], detractor: FollowUp, desk: dict[str, Any]
) -> None:
    template = Template("{% load service_tags %}{% follow_up_ticket follow_up %}")
    context = {"follow_up": detractor, "can": {"ticket.create"}, "csrf_token": "t"}
    with translation.override("en"):
        before = template.render(Context(context))
        assert "Open a ticket" in before
        made = tickets.ticket_from_follow_up(actor=users["service"], follow_up_id=detractor.pk)
        again = tickets.ticket_from_follow_up(actor=users["service"], follow_up_id=detractor.pk)
        assert again.pk == made.pk
        after = template.render(Context(context))
    assert f"/service/tickets/{made.pk}/" in after
    assert "Open a ticket" not in after
    # Without the permission there is no button (the service would refuse anyway).
    with translation.override("en"):
        Ticket.objects.filter(pk=made.pk).update(follow_up=None)
        bare = template.render(Context({"follow_up": detractor, "can": set()}))
    assert "Open a ticket" not in bare
