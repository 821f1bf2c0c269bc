"""The public support form: what a customer typed → checked values, or an error per field.

Nothing here touches the database: the form is checked as a whole first, so a customer sees
every mistake at once (a bad mobile *and* an empty message), and only a form that passes these
checks reaches the services (``customer_for_contact``, ``ticket_create``), which check again.

The values a customer typed are kept as typed (minus control characters) to be shown again next
to their errors; the services store the normalised form (Latin digits, Persian ی/ک).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from django.http import QueryDict
from django.utils.translation import gettext as _

from mehvar.core.persian import normalize_text
from mehvar.customers.fields import clean_customer
from mehvar.service.models import TicketKind
from mehvar.service.tickets import BODY_MAX, SUBJECT_MAX

# A field no person sees or fills (hidden by CSS, out of the tab order); a bot filling every
# input fills it too. Its name looks like something worth filling.
HONEYPOT: Final = "website"
FIELDS: Final = ("name", "mobile", "email", "kind", "order", "subject", "message")
NAME_MAX: Final = 200
ORDER_MAX: Final = 64
# A subject the customer left empty is the start of their message.
DERIVED_SUBJECT: Final = 80
# C0/C1 controls other than tab and newlines, and lone surrogates: PostgreSQL refuses NUL in
# text, and none of them means anything in what a customer writes.
_CONTROL: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The customer's fields → the customer record's fields whose errors they show.
_CUSTOMER_ERRORS: Final = {
    "first_name": "name",
    "last_name": "name",
    "mobile": "mobile",
    "email": "email",
}


def without_control_characters(text: str) -> str:
    return _CONTROL.sub(" ", text)


def posted(data: QueryDict | Mapping[str, str]) -> dict[str, str]:
    """The form's fields as typed (every field present, control characters blanked)."""
    return {name: without_control_characters(str(data.get(name, "") or "")) for name in FIELDS}


def honeypot_filled(data: QueryDict | Mapping[str, str]) -> bool:
    return bool(str(data.get(HONEYPOT, "") or "").strip())


def split_name(name: str) -> tuple[str, str]:
    """«علی رضایی» → («علی», «رضایی»): the last word is the family name, one word is a first
    name. A guess, but only used for a customer record that did not exist yet."""
    words = normalize_text(name).split(" ")
    if len(words) == 1:
        return words[0], ""
    return " ".join(words[:-1]), words[-1]


@dataclass(frozen=True)
class SupportRequest:
    """A checked form, ready for the services."""

    contact: dict[str, str]  # first_name, last_name, mobile, email for customer_for_contact
    kind: str
    order_number: str
    subject: str
    message: str


def _subject_from(message: str) -> str:
    lines = (normalize_text(line) for line in message.splitlines())
    text = next((line for line in lines if line), "")
    return text if len(text) <= DERIVED_SUBJECT else text[: DERIVED_SUBJECT - 1].rstrip() + "…"


def check(raw: Mapping[str, str]) -> tuple[SupportRequest | None, dict[str, str]]:
    """The checked request, or the errors by field (translated in the active language)."""
    errors: dict[str, str] = {}
    name = normalize_text(raw["name"])
    if not name:
        errors["name"] = _("Please tell us your name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("At most %(n)d characters.") % {"n": NAME_MAX}
    first, last = split_name(name) if name else ("", "")
    contact = {"first_name": first, "last_name": last, "mobile": raw["mobile"]}
    contact["email"] = raw["email"]
    values, customer_errors = clean_customer(contact)
    for field, message in customer_errors.items():
        shown = _CUSTOMER_ERRORS.get(field)
        if shown is not None:
            errors.setdefault(shown, str(message))
    if not raw["mobile"].strip() and not raw["email"].strip() and "mobile" not in errors:
        errors["mobile"] = _("Give a mobile number or an email address.")
    kind = raw["kind"].strip()
    if kind not in TicketKind.values:
        errors["kind"] = _("Choose one of the listed options.")
    order_number = normalize_text(raw["order"])
    if len(order_number) > ORDER_MAX:
        errors["order"] = _("At most %(n)d characters.") % {"n": ORDER_MAX}
    message = normalize_text(raw["message"])
    if not message:
        errors["message"] = _("Please write your message.")
    elif len(message) > BODY_MAX:
        errors["message"] = _("At most %(n)d characters.") % {"n": BODY_MAX}
    subject = normalize_text(raw["subject"])
    if len(subject) > SUBJECT_MAX:
        errors["subject"] = _("At most %(n)d characters.") % {"n": SUBJECT_MAX}
    if errors:
        return None, errors
    contact = {
        "first_name": first,
        "last_name": last,
        "mobile": values.get("mobile") or "",
        "email": values.get("email") or "",
    }
    return (
        SupportRequest(
            contact=contact,
            kind=kind,
            order_number=order_number,
            subject=subject or _subject_from(raw["message"]),
            message=raw["message"],
        ),
        errors,
    )


def message_text(data: QueryDict | Mapping[str, str]) -> str:
    """The customer's new message on their ticket page, as typed."""
    return without_control_characters(str(data.get("message", "") or ""))


def check_message(text: str) -> str:
    """The error of a message added on the ticket page ("" when it is fine)."""
    message = normalize_text(text)
    if not message:
        return _("Please write your message.")
    if len(message) > BODY_MAX:
        return _("At most %(n)d characters.") % {"n": BODY_MAX}
    return ""
