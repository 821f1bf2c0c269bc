"""Errors that services raise and every interface (page, API, import) turns into a clear answer.

Messages are lazily translated: Persian by default, English when the viewer chose it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from django.utils.functional import Promise


class ErrorCode(StrEnum):
    INVALID = "invalid"
    PERMISSION_DENIED = "permission_denied"
    NOT_FOUND = "not_found"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    CONSENT_LOCKED = "consent_locked"
    MERGE_INVALID = "merge_invalid"


# A refusal because of the record's state (not the input's shape) is a conflict: HTTP 409.
_CONFLICTS = frozenset(
    {ErrorCode.CONFLICT, ErrorCode.CONSENT_LOCKED, ErrorCode.MERGE_INVALID, ErrorCode.DUPLICATE}
)


class ServiceError(Exception):
    code: ErrorCode = ErrorCode.INVALID
    status = 400

    def __init__(self, message: str | Promise, *, code: ErrorCode | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        if self.code in _CONFLICTS:
            self.status = 409


class ValidationFailed(ServiceError):
    """One or more fields are wrong; ``errors`` maps each field to its message."""

    status = 422

    def __init__(
        self, errors: Mapping[str, str | Promise], *, code: ErrorCode | None = None
    ) -> None:
        first = next(iter(errors.values()), "")
        super().__init__(first, code=code)
        self.errors = dict(errors)


class PermissionDenied(ServiceError):
    code = ErrorCode.PERMISSION_DENIED
    status = 403


class NotFound(ServiceError):
    code = ErrorCode.NOT_FOUND
    status = 404


class Duplicate(ValidationFailed):
    """A unique field (mobile, national code, external id) already belongs to another customer."""

    code = ErrorCode.DUPLICATE
    status = 409

    def __init__(self, errors: Mapping[str, str | Promise], *, existing_id: int | None) -> None:
        super().__init__(errors)
        self.existing_id = existing_id
