"""The customer's voice on the customer page (the customers app never imports feedback).

``{% load feedback_tags %}{% customer_voice customer %}`` shows what the customer told us: their
latest scores, open follow-ups and latest words, with the sentiment the company believes.
"""

from __future__ import annotations

from typing import Any

from django import template

from mehvar.feedback.lists import customer_voice

register = template.Library()


@register.inclusion_tag("feedback/partials/customer_voice.html")
def customer_voice_card(customer: Any) -> dict[str, Any]:
    return {"voice": customer_voice(customer.pk), "customer": customer}
