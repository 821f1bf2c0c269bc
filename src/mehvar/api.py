"""``/api/v1/``: one NinjaAPI, a router per app, errors as JSON with field detail."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from mehvar.core.api_auth import API_AUTH
from mehvar.core.errors import Duplicate, ServiceError, ValidationFailed
from mehvar.customers.api import router as customers_router

api = NinjaAPI(
    title="mehvar API",
    version="1",
    description="Customer 360 for sales, marketing and service. Authenticate with "
    "`Authorization: Bearer <token>`; send `Idempotency-Key` on POST to retry safely.",
    auth=API_AUTH,
    urls_namespace="api-v1",
    docs_url="/docs",
)


def _field_path(loc: list[Any]) -> str:
    # ninja reports ("body", "payload", "mobile"); clients want "mobile".
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "filters")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_invalid_input(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(_field_path(list(error.get("loc", []))), str(error.get("msg", "")))
    return api.create_response(
        request, {"code": "invalid", "detail": "Invalid input.", "errors": errors}, status=422
    )


@api.exception_handler(ServiceError)
def on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    body: dict[str, Any] = {"code": str(exc.code), "detail": str(exc.message)}
    if isinstance(exc, ValidationFailed):
        body["errors"] = {k: str(v) for k, v in exc.errors.items()}
    if isinstance(exc, Duplicate) and exc.existing_id is not None:
        body["existing_id"] = exc.existing_id
    return api.create_response(request, body, status=exc.status)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"code": "unauthenticated", "detail": "Authentication required."}, status=401
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(
        request, {"code": "error", "detail": str(exc.message)}, status=exc.status_code
    )


api.add_router("/", customers_router)
