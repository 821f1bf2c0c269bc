"""Template helpers for analytics figures, also loaded by the customer pages.

The customers app never imports ``insights`` (import-linter holds it): its templates
``{% load insights_tags %}`` instead and read the score through the reverse one-to-one
``customer.score``, which :func:`score_of` makes safe for customers who have none.
"""

from __future__ import annotations

import math
from typing import Any

from django import template
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _

from mehvar.core.labels import is_persian
from mehvar.core.templatetags.mehvar import digits, money
from mehvar.insights.models import ChurnRisk, CustomerScore
from mehvar.insights.segments import segment_text

register = template.Library()


_persian = is_persian


def _number(value: Any) -> float | None:
    """A finite float, or None for what is not one.

    A figure missing from a stored run reaches the filters as "" (the template's value for an
    unknown variable, e.g. ``results.pareto.gini`` without a Pareto summary): show "—" for it
    rather than failing the page.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def score_of(customer: Any) -> CustomerScore | None:
    """``customer.score``, or None for a customer without one (never bought, or no run yet)."""
    try:
        score = customer.score
    except ObjectDoesNotExist:
        return None
    return score if isinstance(score, CustomerScore) else None


@register.filter
def segment_label(code: str | None) -> str:
    return segment_text(code, "label") if code else ""


@register.filter
def segment_hint(code: str | None) -> str:
    """What the company should do with the customers of a segment."""
    return segment_text(code, "action") if code else ""


@register.filter
def segment_rule(code: str | None) -> str:
    """How the segment is defined (its R and FM scores), for a tooltip."""
    return segment_text(code, "rule") if code else ""


@register.filter
def churn_risk_label(code: str | None) -> str:
    if not code:
        return _("Unknown")
    try:
        return str(ChurnRisk(code).label)
    except ValueError:
        return code


@register.filter
def percent(value: float | None, places: int = 0) -> str:
    """A share (0..1) as a percentage in the page's digits: 0.734 → "۷۳٪" / "73%"."""
    share = _number(value)
    if share is None:
        return "—"
    number = f"{100 * share:.{int(places)}f}"
    if _persian():
        return digits(number.replace(".", "٫")) + "٪"
    return number + "%"


@register.filter
def money_whole(rials: float | None) -> str:
    """A predicted amount (CLV) in whole units of the page's currency: no "٫۳ تومان"."""
    amount = _number(rials)
    if amount is None:
        return "—"
    step = 10 if settings.MEHVAR_CURRENCY_UNIT == "toman" else 1
    return money(round(amount / step) * step)


@register.filter
def decimal(value: float | None, places: int = 2) -> str:
    number = _number(value)
    if number is None:
        return "—"
    text = f"{number:.{int(places)}f}"
    return digits(text.replace(".", "٫")) if _persian() else text
