"""The inbound-mail webhook: a mail provider posts the raw message, we answer what became of it.

``POST /service/inbound/email/`` with the RFC 5322 message as the body (``message/rfc822`` or
``application/octet-stream``) and ``Authorization: Bearer <MEHVAR_SUPPORT_INBOUND_SECRET>``.
Without the secret set the address does not exist (404). The answer is JSON: 200 with the
outcome (also for a skipped auto-reply, so the provider does not retry it), 400 for bytes that
are not a message, 401 for a wrong secret, 405 for another method, 413 above 10 MB, 415 for
another content type. Posting the same message again is harmless: its Message-ID finds what
the first post made.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from mehvar.core.errors import ServiceError
from mehvar.service.mail_intake import RAW_MAX, NotAnEmail, ticket_from_email

log = logging.getLogger(__name__)

_ACCEPTED_TYPES = frozenset({"message/rfc822", "application/octet-stream", "text/plain"})


def _refuse(status: int, code: str, detail: str) -> JsonResponse:
    answer = JsonResponse({"code": code, "detail": detail}, status=status)
    if status == 401:
        answer.headers["WWW-Authenticate"] = 'Bearer realm="mehvar-inbound-email"'
    return answer


def _authorised(request: HttpRequest, secret: str) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), secret.encode())


@csrf_exempt
def inbound_email(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    secret = settings.SUPPORT_INBOUND_SECRET
    if not secret:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _authorised(request, secret):
        return _refuse(401, "unauthorised", _("A valid bearer token is required."))
    content_type = request.content_type or ""
    if content_type and content_type not in _ACCEPTED_TYPES:
        return _refuse(415, "unsupported_type", _("Send the raw message as message/rfc822."))
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        declared = 0
    too_large = _("The message is larger than %(mb)d MB.") % {"mb": RAW_MAX // (1024 * 1024)}
    if declared > RAW_MAX:
        return _refuse(413, "too_large", too_large)
    # Read the stream ourselves: ``request.body`` refuses at Django's upload limit with a 400.
    raw = request.read(RAW_MAX + 1)
    if len(raw) > RAW_MAX:
        return _refuse(413, "too_large", too_large)
    try:
        result = ticket_from_email(raw)
    except NotAnEmail:
        return _refuse(400, "not_an_email", _("The body is not an email message."))
    except ServiceError as exc:
        # Not expected (the intake fits every field), but a provider must never see a 500.
        log.warning("inbound mail refused: %s", exc)
        return _refuse(exc.status, str(exc.code), str(exc.message))
    log.info("inbound mail via webhook: %s", result)
    return JsonResponse(result.as_dict())
