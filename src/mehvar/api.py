"""``/api/v1/``: one NinjaAPI, a router per app, errors as JSON with field detail."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mehvar.core.api_auth import API_AUTH
from mehvar.core.errors import Duplicate, ErrorCode, ServiceError, ValidationFailed
from mehvar.customers.api import router as customers_router
from mehvar.feedback.api import router as feedback_router
from mehvar.service.api import router as service_router

api = NinjaAPI(
    title="mehvar API",
    version="1",
    description="Customer 360 for sales, marketing and service. Authenticate with "
    "`Authorization: Bearer <token>`; send `Idempotency-Key` on POST to retry safely.",
    auth=API_AUTH,
    urls_namespace="api-v1",
    # ninja serves Swagger UI from its own static files only when it is an installed app;
    # otherwise its page pulls scripts from a CDN, which our users' networks may block and our
    # CSP forbids. No docs page then: /api/v1/openapi.json is always served.
    docs_url="/docs" if "ninja" in settings.INSTALLED_APPS else None,
)


_LOC_SOURCES = frozenset({"body", "query", "path"})
_LOC_WRAPPERS = frozenset({"payload", "filters", "ninja_pagination"})


def _field_path(loc: list[Any]) -> str:
    # ninja reports ("body", "payload", "lines", 0, "quantity"); clients want
    # "lines[1].quantity", numbered from one like the services' own messages. Only the leading
    # source and wrapper are ninja's: a field that is itself called "body" keeps its name.
    parts = list(loc)
    if parts and parts[0] in _LOC_SOURCES:
        parts = parts[1:]
    if parts and parts[0] in _LOC_WRAPPERS:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part + 1}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "__all__"


@api.exception_handler(NinjaValidationError)
def on_invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(_field_path(list(error.get("loc", []))), str(error.get("msg", "")))
    return api.create_response(
        request, {"code": "invalid", "detail": "Invalid input.", "errors": errors}, status=422
    )


# A bare ServiceError defaults to 400; these codes describe the record's state, not the input.
_CONFLICT_CODES = frozenset({ErrorCode.CONFLICT, ErrorCode.CONSENT_LOCKED, ErrorCode.MERGE_INVALID})


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    status = 409 if exc.status == 400 and exc.code in _CONFLICT_CODES else exc.status
    body: dict[str, Any] = {"code": str(exc.code), "detail": str(exc.message)}
    if isinstance(exc, ValidationFailed):
        body["errors"] = {k: str(v) for k, v in exc.errors.items()}
    if isinstance(exc, Duplicate) and exc.existing_id is not None:
        body["existing_id"] = exc.existing_id
    return api.create_response(request, body, status=status)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "detail": "Authentication required."}, status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises these for a body that is not JSON (400) and a failed CSRF check (403).
    body: dict[str, Any] = {"code": "error", "detail": str(exc.message)}
    if exc.status_code == 400:
        body.update(code="bad_request", errors={"__all__": str(exc.message)})
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(RequestDataTooBig)
def on_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # ninja reads the body outside its own error handling; without this, Django's HTML 400.
    message = _("The request body is too large.")
    return api.create_response(
        request,
        {"code": "too_large", "detail": message, "errors": {"__all__": message}},
        status=413,
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(
        request, {"code": "not_found", "detail": _("Not found.")}, status=404
    )


api.add_router("/", customers_router)
api.add_router("/", feedback_router)
api.add_router("/", service_router)
