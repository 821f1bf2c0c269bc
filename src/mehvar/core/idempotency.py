"""``Idempotency-Key`` on every API POST (SECURITY.md #16).

The key is recorded in the same transaction as the work it guards: if the request fails, both
vanish and the client may retry; if it succeeds, a replay gets the stored response and creates
nothing. A second request with the same key waits on the unique index until the first commits,
so two concurrent retries still do the work once. The same key with another body is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from mehvar.core.models import ApiToken, IdempotencyRecord

HEADER = "Idempotency-Key"
API_PREFIX = "/api/"


def _owner(request: HttpRequest) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        user = ApiToken.authenticate(auth[7:].strip())
        return f"user:{user.pk}" if user else None
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return None


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"code": code, "detail": detail}, status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None or not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > 255:
            return _error(
                400, "idempotency_key_invalid", _("Idempotency-Key must be 1–255 characters.")
            )
        owner = _owner(request)
        if owner is None:
            # Let the API answer 401 itself; nothing is recorded for a stranger.
            return self.get_response(request)
        try:
            body = request.body
        except RequestDataTooBig:
            return _error(413, "too_large", _("The request body is too large."))
        digest = hashlib.sha256(
            json.dumps([request.method, request.path, body.hex()]).encode()
        ).hexdigest()

        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        owner=owner,
                        key=key,
                        method=request.method,
                        path=request.path[:500],
                        request_hash=digest,
                    )
            except IntegrityError:
                return self._replay(owner, key, digest)
            response = self.get_response(request)
            if response.status_code >= 500 or response.streaming:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.response_body = bytes(response.content)
            record.content_type = response.headers.get("Content-Type", "")
            record.save(update_fields=["status_code", "response_body", "content_type"])
            return response

    def _replay(self, owner: str, key: str, digest: str) -> HttpResponse:
        record = IdempotencyRecord.objects.get(owner=owner, key=key)
        if record.request_hash != digest:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was already used with a different request."),
            )
        if not record.completed:
            return _error(
                409,
                "idempotency_in_progress",
                _("The first request with this key is still running."),
            )
        response = HttpResponse(
            bytes(record.response_body or b""),
            status=record.status_code,
            content_type=record.content_type or "application/json",
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
