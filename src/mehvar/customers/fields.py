"""One validation of customer input, shared by forms, the API and imports.

Each cleaner takes what a person typed (any digit script, Arabic ي/ك, stray spaces) and returns
the stored value or raises ``ValueError`` with a message for that person. ``clean_customer``
runs them over a whole record and keeps every valid field, so a caller can report each bad one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.core.jalali import parse_date
from mehvar.core.national_id import (
    normalize_company_id,
    normalize_national_code,
    normalize_postal_code,
)
from mehvar.core.persian import normalize_text, search_key, to_latin_digits
from mehvar.core.phones import normalize_mobile, normalize_phone
from mehvar.core.provinces import normalize_province
from mehvar.customers.models import AcquisitionSource, CustomerKind, LifecycleStage

Cleaner = Callable[[Any], Any]


class FieldError(ValueError):
    def __init__(self, message: str | Promise) -> None:
        super().__init__(str(message))
        self.message = message


def _text(max_length: int) -> Cleaner:
    def clean(value: Any) -> str:
        text = normalize_text(str(value or ""))
        if len(text) > max_length:
            raise FieldError(_("At most %(n)d characters.") % {"n": max_length})
        return text

    return clean


def _choice(enum: type[Any]) -> Cleaner:
    by_value = {str(choice.value): str(choice.value) for choice in enum}
    by_label: dict[str, str] = {}

    def labels() -> dict[str, str]:
        # Built on first use, in every language: a Persian file may say «سرنخ», an English one
        # "Lead", whatever the language of the person importing it.
        if not by_label:
            for language, _name in settings.LANGUAGES:
                with translation.override(language):
                    by_label.update({search_key(str(c.label)): str(c.value) for c in enum})
        return by_label

    def clean(value: Any) -> str:
        raw = normalize_text(str(value or ""))
        if not raw:
            return ""
        key = raw.lower()
        if key in by_value:
            return by_value[key]
        if search_key(raw) in labels():
            return labels()[search_key(raw)]
        raise FieldError(
            _("Unknown value %(value)s; expected one of: %(choices)s")
            % {"value": raw, "choices": ", ".join(by_value)}
        )

    return clean


def clean_mobile(value: Any) -> str | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        return normalize_mobile(raw)
    except ValueError as exc:
        raise FieldError(
            _("Not an Iranian mobile number (expected like 09121234567): %(value)s")
            % {"value": raw}
        ) from exc


def clean_other_phones(value: Any) -> list[str]:
    items = (
        value if isinstance(value, list | tuple) else str(value or "").replace("،", ",").split(",")
    )
    phones: list[str] = []
    for item in items:
        raw = str(item).strip()
        if not raw:
            continue
        try:
            phone = normalize_phone(raw)
        except ValueError as exc:
            raise FieldError(_("Not a valid phone number: %(value)s") % {"value": raw}) from exc
        if phone not in phones:
            phones.append(phone)
    return phones


def clean_email(value: Any) -> str:
    raw = to_latin_digits(str(value or "")).strip().lower()
    if not raw:
        return ""
    try:
        validate_email(raw)
    except DjangoValidationError as exc:
        raise FieldError(_("Not a valid email address: %(value)s") % {"value": raw}) from exc
    return raw


def clean_postal_code(value: Any) -> str:
    raw = str(value or "").strip()
    if not raw:
        return ""
    try:
        return normalize_postal_code(raw)
    except ValueError as exc:
        raise FieldError(_("A postal code has 10 digits: %(value)s") % {"value": raw}) from exc


def clean_birth_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        born = parse_date(value)
    except ValueError as exc:
        raise FieldError(_("Not a valid date: %(value)s") % {"value": value}) from exc
    if born > date.today() or born.year < 1900:  # noqa: DTZ011 - a birth date is a calendar date
        raise FieldError(_("Birth date is out of range: %(value)s") % {"value": value})
    return born


def clean_province(value: Any) -> str:
    raw = str(value or "").strip()
    if not raw:
        return ""
    code = normalize_province(raw)
    if code is None:
        raise FieldError(_("Unknown province: %(value)s") % {"value": raw})
    return code


def clean_tags(value: Any) -> list[str]:
    items = (
        value if isinstance(value, list | tuple) else str(value or "").replace("،", ",").split(",")
    )
    tags: list[str] = []
    for item in items:
        tag = normalize_text(str(item))[:50]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def clean_external_id(value: Any) -> str | None:
    raw = to_latin_digits(str(value or "")).strip()
    if len(raw) > 64:
        raise FieldError(_("At most %(n)d characters.") % {"n": 64})
    return raw or None


CLEANERS: dict[str, Cleaner] = {
    "kind": _choice(CustomerKind),
    "first_name": _text(100),
    "last_name": _text(100),
    "company_name": _text(200),
    "job_title": _text(100),
    "mobile": clean_mobile,
    "other_phones": clean_other_phones,
    "email": clean_email,
    "birth_date": clean_birth_date,
    "province": clean_province,
    "city": _text(64),
    "address": _text(1000),
    "postal_code": clean_postal_code,
    "acquisition_source": _choice(AcquisitionSource),
    "tags": clean_tags,
    "lifecycle_stage": _choice(LifecycleStage),
    "external_id": clean_external_id,
}
# national_id depends on kind, so it is cleaned after the rest.
FIELDS = (*CLEANERS, "national_id")


def clean_national_id(value: Any, *, kind: str) -> str | None:
    raw = str(value or "").strip()
    if not raw:
        return None
    try:
        if kind == CustomerKind.COMPANY:
            return normalize_company_id(raw)
        return normalize_national_code(raw)
    except ValueError as exc:
        if kind == CustomerKind.COMPANY:
            message = _("Not a valid company national id (11 digits): %(value)s")
        else:
            message = _("Not a valid national code (کد ملی): %(value)s")
        raise FieldError(message % {"value": raw}) from exc


def clean_customer(
    raw: Mapping[str, Any], *, partial: bool = False, current_kind: str | None = None
) -> tuple[dict[str, Any], dict[str, str | Promise]]:
    """Clean every known field present in ``raw``; return (clean values, errors by field).

    With ``partial`` only the fields given are checked (an update); otherwise the record must
    be complete enough to stand alone: a person needs a name, a company its company name.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str | Promise] = {}
    for name, cleaner in CLEANERS.items():
        if name not in raw:
            continue
        try:
            values[name] = cleaner(raw[name])
        except FieldError as exc:
            errors[name] = exc.message
    kind = values.get("kind") or current_kind or CustomerKind.PERSON
    if not values.get("kind") and not partial:
        values["kind"] = kind
    if "national_id" in raw:
        try:
            values["national_id"] = clean_national_id(raw["national_id"], kind=kind)
        except FieldError as exc:
            errors["national_id"] = exc.message
    if not partial:
        if kind == CustomerKind.COMPANY and not values.get("company_name"):
            errors.setdefault("company_name", _("A company needs its name."))
        if kind == CustomerKind.PERSON and not (
            values.get("first_name") or values.get("last_name")
        ):
            errors.setdefault("last_name", _("Enter a first or last name."))
        if not values.get("lifecycle_stage"):
            values.pop("lifecycle_stage", None)
    return values, errors
