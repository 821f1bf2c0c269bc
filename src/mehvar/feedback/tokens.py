"""Single-use survey links: the token signs (invitation id, nonce) with the site's secret.

The token is short because it travels in an SMS (70 Persian characters per part): the id in
base 36, an 8-character random nonce and 128 bits of HMAC-SHA256 under the site's secret key —
about 30 characters instead of the ~150 of ``signing.dumps``.

A forged or altered token fails the signature; a token whose nonce does not match the row (the
invitation was re-issued) is forged as far as we are concerned; expiry is the invitation's own
``expires_at`` (a survey can be given more days without re-signing); single use is
``completed_at``. The token carries no personal data — only the row id and a random nonce.
"""

from __future__ import annotations

import base64
import hmac
import re
from enum import StrEnum
from typing import Final

from django.utils import timezone
from django.utils.crypto import salted_hmac

from mehvar.feedback.models import Invitation

SALT: Final = "mehvar.feedback.invitation"


class LinkState(StrEnum):
    VALID = "valid"
    INVALID = "invalid"
    EXPIRED = "expired"
    USED = "used"
    CLOSED = "closed"


_DIGITS: Final = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int) -> str:
    text = ""
    while True:
        number, digit = divmod(number, 36)
        text = _DIGITS[digit] + text
        if not number:
            return text


def _signature(value: str) -> str:
    digest = salted_hmac(SALT, value, algorithm="sha256").digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token_for(invitation: Invitation) -> str:
    value = f"{_base36(invitation.pk)}.{invitation.nonce}"
    return f"{value}.{_signature(value)}"


_SHAPE: Final = re.compile(r"[0-9a-z]{1,13}\.[A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{22}")


def _parse(token: str) -> tuple[int, str] | None:
    # The shape first: anything else (other scripts, spaces, a pasted sentence) is not ours,
    # and compare_digest only takes ASCII strings.
    if not _SHAPE.fullmatch(token):
        return None
    parts = token.split(".")
    value = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_signature(value), parts[2]):
        return None
    try:
        return int(parts[0], 36), parts[1]
    except ValueError:
        return None


def invitation_for(token: str) -> tuple[LinkState, Invitation | None]:
    """The invitation a token names and whether it may still be answered."""
    parsed = _parse(token)
    if parsed is None:
        return LinkState.INVALID, None
    pk, nonce = parsed
    invitation = (
        Invitation.objects.select_related("survey", "customer").filter(pk=pk, nonce=nonce).first()
    )
    if invitation is None:
        return LinkState.INVALID, None
    if invitation.completed_at is not None:
        return LinkState.USED, invitation
    if invitation.expires_at <= timezone.now():
        return LinkState.EXPIRED, invitation
    if invitation.survey.status != "active":
        return LinkState.CLOSED, invitation
    return LinkState.VALID, invitation
