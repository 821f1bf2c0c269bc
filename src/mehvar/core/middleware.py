"""Response headers that hold on every page: a strict Content-Security-Policy (SECURITY.md #5)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware

# Everything is served by mehvar itself (no CDN); inline scripts are not allowed, so a stored
# payload that slips past escaping still cannot run. htmx needs no inline script either.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/v1/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class PersianFirstLocaleMiddleware(LocaleMiddleware):
    """Persian unless the person chose English with the switch (cookie), whatever the browser.

    Django would follow Accept-Language, so a company laptop set to English would open mehvar in
    English; our users expect the Persian product they bought, and the switch is one click away.
    The API still honours Accept-Language: there the caller is a program that asks on purpose.
    """

    def process_request(self, request: HttpRequest) -> None:
        if not request.path.startswith("/api/"):
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
