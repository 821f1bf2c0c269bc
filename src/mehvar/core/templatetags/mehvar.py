"""Template filters for Persian-first display: Jalali dates, Persian digits, Toman/Rial amounts.

In English the same filters show Gregorian dates and Latin digits, so one template serves both.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.utils import timezone

from mehvar.core.jalali import format_jalali
from mehvar.core.labels import is_persian
from mehvar.core.money import format_amount
from mehvar.core.persian import to_persian_digits

register = template.Library()


_persian = is_persian


@register.filter
def digits(value: Any) -> str:
    """Persian digits when the page is Persian."""
    text = "" if value is None else str(value)
    return to_persian_digits(text) if _persian() else text


@register.filter
def phone(value: str | None) -> str:
    """An E.164 Iranian number as people write it: +989121234567 → 0912 123 4567."""
    if not value:
        return ""
    text = str(value)
    if text.startswith("+98"):
        national = "0" + text[3:]
        if national.startswith("09") and len(national) == 11:
            text = f"{national[:4]} {national[4:7]} {national[7:]}"
        elif len(national) == 11:
            text = f"{national[:3]} {national[3:7]} {national[7:]}"
    return digits(text)


@register.filter
def jdate(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    if _persian():
        return format_jalali(value, with_time=bool(with_time), persian_digits=True)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat()


@register.filter
def jdatetime(value: datetime | None) -> str:
    return jdate(value, True)


@register.filter
def money(rials: int | None) -> str:
    if rials is None:
        return ""
    if settings.MEHVAR_CURRENCY_UNIT == "rial":
        return format_amount(int(rials), unit="rial", persian_digits=_persian())
    return format_amount(int(rials), unit="toman", persian_digits=_persian())


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(list(params.lists()), doseq=True) if params else "?"
