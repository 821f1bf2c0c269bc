"""Which column of an uploaded file feeds which field: targets, header aliases, detection.

Iranian spreadsheets arrive with Persian headers («نام خانوادگی», «تلفن همراه»), English ones
from shop software ("Last name", "Mobile"), and our own exports in either language. Headers are
compared by a loose key (Persian normalisation, case, spacing, ZWNJ and punctuation ignored), so
«نام‌خانوادگی», "last_name" and "Last Name" all find the same field. A mapping chosen by the
user always wins over detection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.core.persian import search_key
from mehvar.customers.models import ImportKind

IGNORE = ""


@dataclass(frozen=True)
class Target:
    name: str
    label: str | Promise
    aliases: tuple[str, ...] = ()


_EXTERNAL_ID_ALIASES = (
    "شناسه",
    "شناسه مشتری",
    "کد مشتری",
    "شماره مشتری",
    "کد اشتراک",
    "external id",
    "external_id",
    "id",
    "customer id",
    "customer code",
    "client id",
)
_MOBILE_ALIASES = (
    "موبایل",
    "تلفن همراه",
    "شماره همراه",
    "شماره موبایل",
    "همراه",
    "شماره تماس",
    "mobile",
    "mobile number",
    "phone",
    "phone number",
    "cell",
    "cellphone",
    "cell phone",
)
_NATIONAL_ID_ALIASES = (
    "کد ملی",
    "کدملی",
    "شماره ملی",
    "شناسه ملی",
    "national code",
    "national id",
    "national_id",
    "melli code",
    "code melli",
)
_FIRST_NAME_ALIASES = ("نام", "first name", "firstname", "given name")
_LAST_NAME_ALIASES = (
    "نام خانوادگی",
    "فامیلی",
    "فامیل",
    "last name",
    "lastname",
    "surname",
    "family name",
)
_FULL_NAME_ALIASES = (
    "نام و نام خانوادگی",
    "نام کامل",
    "نام مشتری",
    "full name",
    "fullname",
    "name",
    "customer name",
)

CUSTOMER_TARGETS: tuple[Target, ...] = (
    Target("external_id", _("External id"), _EXTERNAL_ID_ALIASES),
    Target("first_name", _("First name"), _FIRST_NAME_ALIASES),
    Target("last_name", _("Last name"), _LAST_NAME_ALIASES),
    Target("full_name", _("Full name (split at the last space)"), _FULL_NAME_ALIASES),
    Target("kind", _("Kind (person/company)"), ("نوع", "نوع مشتری", "kind", "type")),
    Target(
        "company_name",
        _("Company name"),
        ("نام شرکت", "شرکت", "سازمان", "company", "company name", "organization"),
    ),
    Target("job_title", _("Job title"), ("سمت", "عنوان شغلی", "شغل", "job title", "position")),
    Target("mobile", _("Mobile"), _MOBILE_ALIASES),
    Target(
        "other_phones",
        _("Other phones"),
        ("تلفن", "تلفن ثابت", "سایر تلفن ها", "landline", "telephone", "tel", "other phones"),
    ),
    Target("email", _("Email"), ("ایمیل", "پست الکترونیک", "رایانامه", "email", "e-mail")),
    Target("national_id", _("National code"), _NATIONAL_ID_ALIASES),
    Target(
        "birth_date",
        _("Birth date"),
        ("تاریخ تولد", "تولد", "birth date", "birthday", "date of birth", "dob", "birthdate"),
    ),
    Target("province", _("Province"), ("استان", "province", "state")),
    Target("city", _("City"), ("شهر", "city", "town")),
    Target("address", _("Address"), ("آدرس", "نشانی", "address")),
    Target(
        "postal_code",
        _("Postal code"),
        ("کد پستی", "کدپستی", "postal code", "postcode", "zip", "zip code"),
    ),
    Target(
        "acquisition_source",
        _("Acquisition source"),
        ("منبع", "منبع جذب", "نحوه آشنایی", "source", "acquisition source"),
    ),
    Target("tags", _("Tags"), ("برچسب", "برچسب ها", "تگ", "tags", "tag", "labels")),
    Target(
        "lifecycle_stage",
        _("Lifecycle stage"),
        ("مرحله", "وضعیت", "وضعیت مشتری", "stage", "lifecycle stage", "lifecycle", "status"),
    ),
    Target(
        "consent_sms",
        _("SMS consent"),
        ("رضایت پیامک", "اجازه پیامک", "پیامک", "sms consent", "sms opt in", "sms"),
    ),
    Target("consent_email", _("Email consent"), ("رضایت ایمیل", "اجازه ایمیل", "email consent")),
    Target("consent_call", _("Call consent"), ("رضایت تماس", "اجازه تماس", "call consent")),
)

ORDER_TARGETS: tuple[Target, ...] = (
    Target(
        "order_number",
        _("Order number"),
        (
            "شماره سفارش",
            "کد سفارش",
            "شماره فاکتور",
            "order number",
            "order no",
            "order",
            "order id",
            "invoice",
            "invoice number",
        ),
    ),
    Target(
        "placed_at",
        _("Order date"),
        ("تاریخ", "تاریخ سفارش", "تاریخ خرید", "تاریخ فاکتور", "date", "order date"),
    ),
    Target("customer_external_id", _("Customer external id"), _EXTERNAL_ID_ALIASES),
    Target("mobile", _("Mobile"), _MOBILE_ALIASES),
    Target("national_id", _("National code"), _NATIONAL_ID_ALIASES),
    Target("first_name", _("First name"), _FIRST_NAME_ALIASES),
    Target("last_name", _("Last name"), _LAST_NAME_ALIASES),
    Target("full_name", _("Full name (split at the last space)"), _FULL_NAME_ALIASES),
    Target(
        "sku",
        _("SKU"),
        ("کد کالا", "کد محصول", "شناسه کالا", "sku", "product code", "item code"),
    ),
    Target(
        "product_name",
        _("Product"),
        (
            "کالا",
            "نام کالا",
            "محصول",
            "نام محصول",
            "شرح کالا",
            "شرح",
            "product",
            "product name",
            "item",
            "description",
        ),
    ),
    Target("quantity", _("Quantity"), ("تعداد", "مقدار", "quantity", "qty", "count")),
    Target("unit_price", _("Unit price"), ("قیمت واحد", "فی", "قیمت", "unit price", "price")),
    Target("amount", _("Line amount"), ("مبلغ", "مبلغ کل", "جمع", "amount", "line total")),
    Target("discount", _("Discount"), ("تخفیف", "discount")),
    Target("channel", _("Channel"), ("کانال", "کانال فروش", "channel", "sales channel")),
    Target("status", _("Status"), ("وضعیت", "وضعیت سفارش", "status", "order status")),
    Target("note", _("Note"), ("توضیحات", "یادداشت", "note", "notes")),
)

TARGETS: dict[str, tuple[Target, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_TARGETS,
    ImportKind.ORDERS: ORDER_TARGETS,
}

IDENTIFIERS: dict[str, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: ("external_id", "mobile", "national_id"),
    ImportKind.ORDERS: ("customer_external_id", "mobile", "national_id"),
}

_NOISE = re.compile(r"[\s_\-.:*()\[\]/\\#\"'،,؛;]+")


_REMARK = re.compile(r"\([^)]*\)")


def header_key(header: str) -> str:
    """The loose form two headers are compared by: «نام‌ خانوادگی*» and "Last_Name" alike,
    and "Unit price (Toman)" like "Unit price" (a remark in parentheses is not the name)."""
    return _NOISE.sub("", search_key(_REMARK.sub("", str(header))))


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    targets = TARGETS[kind]
    # Explicit aliases first, then the field labels in each language, so a header written like
    # our own export's (in Persian or English) is recognised too.
    for target in targets:
        for alias in (target.name, *target.aliases):
            index.setdefault(header_key(alias), target.name)
    for language in ("en", "fa"):
        with translation.override(language):
            for target in targets:
                index.setdefault(header_key(str(target.label)), target.name)
    return index


def target_names(kind: str) -> set[str]:
    return {target.name for target in TARGETS[kind]}


def target_label(kind: str, name: str) -> str:
    for target in TARGETS[kind]:
        if target.name == name:
            return str(target.label)
    return name


def detect_mapping(headers: Sequence[str], kind: str) -> list[str]:
    """The target of each column, or IGNORE; a field already taken by an earlier column is not
    given twice (the second «موبایل» column is ignored, not merged)."""
    index = _alias_index(kind)
    taken: set[str] = set()
    mapping: list[str] = []
    for header in headers:
        target = index.get(header_key(header), IGNORE)
        if target in taken:
            target = IGNORE
        if target:
            taken.add(target)
        mapping.append(target)
    return mapping


@dataclass(frozen=True)
class MappingProblem:
    column: int | None  # index of the column at fault, None for the mapping as a whole
    message: str | Promise


def validate_mapping(mapping: Sequence[str], kind: str) -> list[MappingProblem]:
    """What stops a mapping from being imported: unknown or doubled targets, missing keys."""
    problems: list[MappingProblem] = []
    known = target_names(kind)
    seen: dict[str, int] = {}
    for index, target in enumerate(mapping):
        if not target:
            continue
        if target not in known:
            problems.append(MappingProblem(index, _("Unknown field %(f)s.") % {"f": target}))
        elif target in seen:
            problems.append(MappingProblem(index, _("Another column already goes to this field.")))
        else:
            seen[target] = index
    chosen = set(seen)
    if not chosen & set(IDENTIFIERS[kind]):
        problems.append(
            MappingProblem(
                None,
                _(
                    "Choose a column for the mobile, the national code or the external id: "
                    "rows are matched to existing customers by them, so a second import of the "
                    "same file changes nothing."
                ),
            )
        )
    if kind == ImportKind.ORDERS:
        if "order_number" not in chosen:
            problems.append(MappingProblem(None, _("Choose the column of the order number.")))
        if not chosen & {"unit_price", "amount"}:
            problems.append(
                MappingProblem(None, _("Choose the column of the unit price or the line amount."))
            )
    return problems


def mapping_from_names(
    headers: Sequence[str], kind: str, overrides: Mapping[str, str]
) -> list[str]:
    """Detected mapping with some columns set by header text (the CLI's ``--map col=field``)."""
    mapping = detect_mapping(headers, kind)
    keys = [header_key(h) for h in headers]
    for column, field in overrides.items():
        key = header_key(column)
        if key not in keys:
            raise KeyError(column)
        field = "" if field in {"", "-", "ignore"} else field
        position = keys.index(key)
        if field:
            # The field moves to this column; the column that had it by detection lets go.
            mapping = [IGNORE if target == field else target for target in mapping]
        mapping[position] = field
    return mapping
