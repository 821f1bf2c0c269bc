"""The customer's own support pages: no login, Persian first, light enough for a slow phone.

``/support/`` is the public form: a complaint, question, request or return from anyone. The
customer is found by their mobile (then email) or created, and the ticket is opened in the same
transaction; the browser is then sent to the ticket's private page, which thanks them and shows
the ticket number and the address to keep (a refresh cannot file the form twice).

Anyone can type anyone's mobile number. A ticket filed on a record that existed before the form
was sent is therefore opened with ``identity_confirmed=False``: staff see a warning and call the
number on file before discussing the record, canned replies greet neutrally instead of filling
in the record's name and order, and the customer's service profile leaves it out. A record the
form itself created holds only what this person typed, so its ticket is confirmed. An order
number that is not the customer's gets one answer whether it exists or not.

``/support/t/<key>/`` is that private page: the ticket's state in plain words, the replies
addressed to the customer and their own messages (never internal notes, never an agent's full
name), and a box to write more — which restarts a ticket waiting on them and reopens a resolved
one. The key is 144 random bits; a wrong key gets the same 404 page whatever it is.

Abuse: page views and POSTs are rate-limited per client IP (``SUPPORT_RATE_LIMIT``, a dict like
``FEEDBACK_RATE_LIMIT``: ``{"open": "60/m", "submit": "5/m"}``), a hidden honeypot field makes a
bot's submission vanish, CSRF stays on.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from mehvar.core.errors import ServiceError, ValidationFailed
from mehvar.core.models import Channel
from mehvar.core.public import client_key, public_page
from mehvar.customers.models import Customer, Order
from mehvar.customers.services import customer_for_contact
from mehvar.service import public_forms, tickets
from mehvar.service.models import (
    MessageKind,
    Ticket,
    TicketChannel,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from mehvar.service.public_forms import SupportRequest

RATE_DEFAULTS: Final = {"open": "60/m", "submit": "5/m"}
# The shape of ``models.new_public_key()`` (token_urlsafe(18) is 24 characters): anything else
# is refused before the database is asked.
_KEY: Final = re.compile(r"[A-Za-z0-9_-]{16,32}")
# What the services call a field → the form's field that shows its error.
_FORM_FIELD: Final = {
    "first_name": "name",
    "last_name": "name",
    "mobile": "mobile",
    "email": "email",
    "kind": "kind",
    "order": "order",
    "subject": "subject",
    "body": "message",
}


# --- Helpers -------------------------------------------------------------------------------


def _rate(purpose: str) -> str:
    configured = getattr(settings, "SUPPORT_RATE_LIMIT", None) or {}
    return str(configured.get(purpose) or RATE_DEFAULTS[purpose])


def _limited(request: HttpRequest, purpose: str) -> bool:
    """Count this request against the IP's allowance for ``purpose`` (open, submit)."""
    return bool(
        is_ratelimited(
            request=request,
            group=f"service.support.{purpose}",
            key=client_key,
            rate=_rate(purpose),
            increment=True,
        )
    )


def _language(request: HttpRequest) -> str:
    """Persian, or English when asked for (``?lang=en``) or chosen with the site's switch."""
    asked = request.GET.get("lang")
    if asked in ("fa", "en"):
        return asked
    return "en" if (translation.get_language() or "fa").startswith("en") else "fa"


def _with_language(url: str, language: str, **params: str) -> str:
    # Always explicit: a Persian page must stay Persian for a browser whose cookie says English.
    query = [f"{key}={value}" for key, value in params.items()]
    return f"{url}?{'&'.join([*query, f'lang={language}'])}"


def _html(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    page = public_page(request, template, context, language=language, status=status)
    # The ticket's address is its key: it must not leave the site in a Referer header. Not
    # "no-referrer": with it Chromium posts the page's forms with "Origin: null", which Django's
    # CSRF check rightly refuses.
    page.headers["Referrer-Policy"] = "same-origin"
    return page


def _message(
    request: HttpRequest,
    *,
    language: str,
    status: int,
    heading: str,
    text: str,
    link: str = "",
    link_text: str = "",
) -> HttpResponse:
    context = {"heading": heading, "text": text, "link": link, "link_text": link_text}
    return _html(request, "service/public/message.html", context, language=language, status=status)


def _too_many(request: HttpRequest, language: str) -> HttpResponse:
    with translation.override(language):
        heading, text = _("Too many attempts"), _("Please wait a minute, then try again.")
    page = _message(request, language=language, status=429, heading=heading, text=text)
    page.headers["Retry-After"] = "60"
    return page


def _not_found(request: HttpRequest, language: str) -> HttpResponse:
    """The same page for every wrong key: nothing tells a near miss from nonsense."""
    with translation.override(language):
        heading = _("Page not found")
        text = _("This link is not valid. Please check that it was copied in full.")
        link_text = _("Contact support")
    return _message(
        request,
        language=language,
        status=404,
        heading=heading,
        text=text,
        link=_with_language(reverse("service:support"), language),
        link_text=link_text,
    )


# --- The support form ----------------------------------------------------------------------


def _kinds() -> list[tuple[str, str]]:
    return [(str(kind.value), str(kind.label)) for kind in TicketKind]


def _form(
    request: HttpRequest,
    language: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    values = values or dict.fromkeys(public_forms.FIELDS, "")
    values["kind"] = values.get("kind") or TicketKind.COMPLAINT
    errors = errors or {}
    with translation.override(language):
        kinds = _kinds()
        labels = {
            "name": _("Your name"),
            "mobile": _("Mobile number"),
            "email": _("Email"),
            "kind": _("What is it about?"),
            "order": _("Order number"),
            "subject": _("Subject"),
            "message": _("Your message"),
        }
    context = {
        "values": values,
        "errors": errors,
        # In the form's order, for the summary at the top.
        "error_list": [(name, labels[name], errors[name]) for name in labels if name in errors],
        "labels": labels,
        "kinds": kinds,
        "action": _with_language(reverse("service:support"), language),
        "switch_url": reverse("service:support") + ("?lang=fa" if language == "en" else "?lang=en"),
        "honeypot": public_forms.HONEYPOT,
    }
    return _html(
        request, "service/public/support_form.html", context, language=language, status=status
    )


def _customer_order(customer: Customer, number: str) -> Order | None:
    """The customer's own order by its number; another customer's order is not theirs to name.

    One query asks for both at once, so an order that does not exist and someone else's order
    take the same path and get the same words: the form cannot be used to learn which order
    numbers exist.
    """
    if not number:
        return None
    order = Order.objects.filter(number=number, customer_id=customer.pk).first()
    if order is None:
        raise ValidationFailed(
            {"order": gettext_lazy("We could not find this order for your mobile number or email.")}
        )
    return order


def _known_contact(contact: dict[str, str]) -> bool:
    """Whether a record already answers to this mobile or email, looked up as
    ``customer_for_contact`` looks (the values are already cleaned by ``public_forms.check``)."""
    keys = Q(pk__in=[])
    if contact.get("mobile"):
        keys |= Q(mobile=contact["mobile"])
    if contact.get("email"):
        keys |= Q(email_key=contact["email"].lower())
    return Customer.objects.filter(keys, merged_into=None).exists()


def _file(form: SupportRequest) -> Ticket:
    """Find or create the customer and open the ticket: both or neither."""
    # Stored text (the timeline's summaries) is in the company's language, Persian.
    with translation.override("fa"), transaction.atomic():
        started = timezone.now()
        existed = _known_contact(form.contact)
        customer = customer_for_contact(
            data=form.contact, channel=Channel.WEB, source_label=_("support form")
        )
        # Found, not created: an existing record (the lookup above) or one older than this form
        # (a record made by a racing request is newer, and holds only what that person typed).
        confirmed = not existed and customer.created_at >= started
        order = _customer_order(customer, form.order_number)
        return tickets.ticket_create(
            actor=None,
            customer=customer,
            subject=form.subject,
            body=form.message,
            channel=TicketChannel.WEB,
            kind=form.kind,
            order=order,
            identity_confirmed=confirmed,
        )


def _form_errors(exc: ValidationFailed) -> dict[str, str]:
    errors: dict[str, str] = {}
    for field, message in exc.errors.items():
        errors.setdefault(_FORM_FIELD.get(field, "message"), str(message))
    return errors


@never_cache
@require_http_methods(["GET", "POST"])
def support_form(request: HttpRequest) -> HttpResponse:
    """The public form; a sent form lands on the new ticket's private page."""
    language = _language(request)
    if _limited(request, "submit" if request.method == "POST" else "open"):
        return _too_many(request, language)
    if request.method == "GET":
        return _form(request, language)
    if public_forms.honeypot_filled(request.POST):
        # A bot: thank it as a person would be thanked, file nothing.
        with translation.override(language):
            heading = _("Thank you!")
            text = _("Your message reached us. We will answer as soon as we can.")
        return _message(request, language=language, status=200, heading=heading, text=text)
    values = public_forms.posted(request.POST)
    with translation.override(language):
        checked, errors = public_forms.check(values)
        if checked is not None:
            try:
                ticket = _file(checked)
            except ValidationFailed as exc:
                errors = _form_errors(exc)
            except ServiceError as exc:
                # The record the mobile found cannot take tickets (merged a moment ago).
                errors = {"message": str(exc.message)}
    if errors:
        return _form(request, language, values=values, errors=errors, status=422)
    url = reverse("service:support_ticket", args=[ticket.public_key])
    return HttpResponseRedirect(_with_language(url, language, new="1"), status=303)


# --- The customer's own ticket page --------------------------------------------------------


def _ticket_of(key: str) -> Ticket | None:
    if not _KEY.fullmatch(key):
        return None
    return Ticket.objects.filter(public_key=key).first()


def _status_words(status: str) -> tuple[str, str]:
    """The ticket's state as a customer would say it: a short label and what it means for them."""
    words = {
        TicketStatus.NEW: (
            _("Received"),
            _("We have received your message; someone will answer you soon."),
        ),
        TicketStatus.OPEN: (_("In progress"), _("We are working on it.")),
        TicketStatus.WAITING: (
            _("Waiting for your answer"),
            _("We asked you something: please answer below so we can go on."),
        ),
        TicketStatus.RESOLVED: (
            _("Solved"),
            _("We believe this is solved. If it is not, write below and we will look again."),
        ),
        TicketStatus.CLOSED: (
            _("Closed"),
            _("This ticket is closed. If you need more help, please send us a new request."),
        ),
    }
    return words[TicketStatus(status)]


def _conversation(ticket: Ticket) -> list[dict[str, Any]]:
    """The customer's messages and the replies to them; internal notes never leave the desk."""
    shown = (
        TicketMessage.objects.filter(
            ticket=ticket, kind__in=(MessageKind.CUSTOMER, MessageKind.REPLY)
        )
        .select_related("author")
        .only("kind", "body", "created_at", "author__first_name")
        .order_by("created_at", "id")
    )
    conversation = []
    for message in shown:
        is_reply = message.kind == MessageKind.REPLY
        # An agent is known to the customer by their first name only.
        first_name = message.author.first_name if is_reply and message.author else ""
        who = (first_name or _("Support team")) if is_reply else _("You")
        conversation.append(
            {"reply": is_reply, "who": who, "at": message.created_at, "body": message.body}
        )
    return conversation


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    language: str,
    *,
    text: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    url = reverse("service:support_ticket", args=[ticket.public_key])
    with translation.override(language):
        label, meaning = _status_words(ticket.status)
        context = {
            "ticket": ticket,
            "kind": str(TicketKind(ticket.kind).label),
            "status_label": label,
            "status_text": meaning,
            "conversation": _conversation(ticket),
            "closed": ticket.status == TicketStatus.CLOSED,
            "new": request.GET.get("new") == "1",
            "sent": request.GET.get("sent") == "1",
            "address": request.build_absolute_uri(url),
            "action": _with_language(url, language),
            "support_url": _with_language(reverse("service:support"), language),
            "switch_url": url + ("?lang=fa" if language == "en" else "?lang=en"),
            "text": text,
            "error": error,
            "honeypot": public_forms.HONEYPOT,
        }
    return _html(request, "service/public/ticket.html", context, language=language, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def support_ticket(request: HttpRequest, key: str) -> HttpResponse:
    """The customer's own ticket; a POST adds their message to it."""
    language = _language(request)
    if _limited(request, "submit" if request.method == "POST" else "open"):
        return _too_many(request, language)
    ticket = _ticket_of(key)
    if ticket is None:
        return _not_found(request, language)
    if request.method == "GET":
        return _ticket_page(request, ticket, language)
    url = reverse("service:support_ticket", args=[ticket.public_key])
    if public_forms.honeypot_filled(request.POST):
        return HttpResponseRedirect(_with_language(url, language, sent="1"), status=303)
    text = public_forms.message_text(request.POST)
    if ticket.status == TicketStatus.CLOSED:
        # Words on a closed ticket would reach nobody: the page says so and offers a new request.
        return _ticket_page(request, ticket, language, text=text, status=409)
    with translation.override(language):
        error = public_forms.check_message(text)
        if not error:
            try:
                with translation.override("fa"):
                    tickets.message_add(
                        actor=None,
                        ticket=ticket,
                        kind=MessageKind.CUSTOMER,
                        body=text,
                        channel=TicketChannel.WEB,
                    )
            except ValidationFailed as exc:
                error = str(next(iter(exc.errors.values()), exc.message))
    if error:
        return _ticket_page(request, ticket, language, text=text, error=error, status=422)
    return HttpResponseRedirect(_with_language(url, language, sent="1"), status=303)
