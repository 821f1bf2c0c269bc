"""What the pages for customers (no login: survey answers, the support form) share.

They are light pages in the customer's language, kept out of search engines, and rate-limited by
the client's address.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation


def client_key(group: str, request: HttpRequest) -> str:
    """The rate limit's key: the client's address.

    Behind a reverse proxy every request comes from the proxy, so the operator names the header
    the proxy sets (``MEHVAR_CLIENT_IP_HEADER=X-Real-IP``). Only that header is read, never
    X-Forwarded-For's client-supplied part, and only when it is configured: a header a client
    can send itself would let a flood pick a new address for every request.
    """
    header = settings.CLIENT_IP_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        address = forwarded.split(",")[-1].strip()  # the hop the proxy itself added
        if address:
            return address
    return request.META.get("REMOTE_ADDR") or "unknown"


def public_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    """Render a customer's page in ``language``, whatever the staff cookie says."""
    with translation.override(language):
        context |= {"lang": language, "rtl": language == "fa"}
        page = render(request, template, context, status=status)
    page.headers["Content-Language"] = language
    page.headers["X-Robots-Tag"] = "noindex, nofollow"
    return page
