"""Canned replies: one company voice, with the customer's name and the ticket filled in.

A canned reply's text holds placeholders like ``{first_name}`` or ``{ticket}``. They are filled by
one left-to-right pass over the *template* with an allow-list of names (SECURITY.md #8): no
template engine and no ``str.format``, so nothing in a reply can reach an attribute, and a value
is never scanned again — a customer named ``{agent}`` or ``{{ user.password }}`` appears exactly
as typed. Unknown placeholders are left visible and listed, so the agent sees what is missing.
Escaping for HTML is the page's job (the text goes into a ``<textarea>`` through autoescaping).

On a ticket whose writer is not known to be the record's owner (``Ticket.identity_confirmed`` is
false: someone typed a mobile or address that was already on file), the customer's placeholders
greet neutrally and the order stays empty, so a canned reply never shows the record's name or
order to whoever wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from django.conf import settings

from mehvar.core.models import User
from mehvar.service.models import CannedReply, Category, Ticket

PLACEHOLDERS: Final = (
    "first_name",
    "last_name",
    "full_name",
    "ticket",
    "subject",
    "agent",
    "order",
    "company",
)
# What an unconfirmed ticket's customer is called, in the language of the reply's text (not of
# the agent's screen, so it is not a gettext message).
NEUTRAL_GREETING: Final = {"fa": "مشتری گرامی", "en": "valued customer"}
# ``{name}``: a name is ASCII letters, digits and underscores, so "{ }" and "{۱}" are plain text.
_TOKEN: Final = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,40})\}")


@dataclass(frozen=True)
class Rendered:
    text: str
    unknown: tuple[str, ...]  # placeholder names that were left as they were, in order


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in ``text`` that rendering would not fill (each once, in order).

    For validating a canned reply when it is saved (the admin), so a typo such as
    ``{frist_name}`` is caught before any customer sees it.
    """
    seen: list[str] = []
    for match in _TOKEN.finditer(text or ""):
        name = match.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def render_text(text: str, values: Mapping[str, str]) -> Rendered:
    """Fill the allow-listed placeholders of ``text`` from ``values`` in a single pass."""
    unknown: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in PLACEHOLDERS and name in values:
            return values[name]
        if name not in unknown:
            unknown.append(name)
        return match.group(0)

    return Rendered(text=_TOKEN.sub(fill, text or ""), unknown=tuple(unknown))


def _person_name(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def values_for(ticket: Ticket, agent: User | None, *, language: str = "fa") -> dict[str, str]:
    """What each placeholder stands for on this ticket, written by this agent; ``language`` is
    the reply text's (it only picks the neutral greeting of an unconfirmed ticket)."""
    common = {
        "ticket": ticket.number,
        "subject": ticket.subject,
        "agent": _person_name(agent),
        "company": str(getattr(settings, "MEHVAR_COMPANY_NAME", "") or ""),
    }
    if not ticket.identity_confirmed:
        greeting = NEUTRAL_GREETING["en" if language.startswith("en") else "fa"]
        return {
            "first_name": greeting,
            "last_name": "",
            "full_name": greeting,
            "order": "",
        } | common
    customer = ticket.customer
    full_name = customer.display_name
    return {
        "first_name": customer.first_name or full_name,
        "last_name": customer.last_name,
        "full_name": full_name,
        "order": ticket.order.number if ticket.order is not None else "",
    } | common


def _english_text(canned: CannedReply, language: str) -> bool:
    return language.startswith("en") and bool(canned.body_en.strip())


def body_of(canned: CannedReply, language: str) -> str:
    """The Persian text, unless the reader works in English and an English text exists."""
    return canned.body_en if _english_text(canned, language) else canned.body_fa


def render_for(
    canned: CannedReply, *, ticket: Ticket, agent: User | None, language: str
) -> Rendered:
    text_language = "en" if _english_text(canned, language) else "fa"
    return render_text(body_of(canned, language), values_for(ticket, agent, language=text_language))


def replies_for(category: Category | None) -> list[CannedReply]:
    """The active canned replies that fit a ticket: its category's and the general ones."""
    replies = CannedReply.objects.filter(is_active=True)
    if category is not None:
        replies = replies.filter(category__in=[category]) | replies.filter(category__isnull=True)
    else:
        replies = replies.filter(category__isnull=True)
    return list(replies.order_by("title", "pk")[:100])
