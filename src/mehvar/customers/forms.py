"""Forms of the customer pages.

A form only parses what a person typed (any digit script, Jalali dates) into the shapes the
services take; whether a mobile or a national code is valid is decided once, in
:mod:`mehvar.customers.fields`, and a refused value comes back from the service as
``ValidationFailed.errors``, which :meth:`BootstrapForm.add_service_errors` puts next to
the field it belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mehvar.core.jalali import format_jalali, parse_date
from mehvar.core.labels import is_persian
from mehvar.core.models import Channel, Department, Direction, EventKind, User
from mehvar.core.persian import normalize_text, search_key, to_latin_digits
from mehvar.core.provinces import PROVINCE_CHOICES
from mehvar.customers.models import (
    AcquisitionSource,
    ConsentChannel,
    ConsentStatus,
    Customer,
    CustomerKind,
    LifecycleStage,
    SavedView,
)
from mehvar.customers.selectors import CustomerFilters

_persian_page = is_persian


def employees() -> QuerySet[User]:
    """Active employees, for owner and assignee pickers (a company has tens, not thousands)."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


Choices = list[tuple[str, str | Promise]]


def _blank(label: str | Promise, choices: Any = ()) -> Choices:
    """A choice list that starts with an empty option (``label``)."""
    return [("", label), *((str(value), text) for value, text in choices)]


class JalaliDateInput(forms.TextInput):
    """A text input the Jalali date picker (``mehvar.js``) attaches to."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"data-jdp": "", "autocomplete": "off", "dir": "ltr", "placeholder": "1403/01/15"}
        super().__init__({**base, **(attrs or {})})

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date):
            return format_jalali(value, persian_digits=_persian_page())
        return super().format_value(value)


class JalaliDateField(forms.Field):
    """A date typed as Jalali ("۱۴۰۳/۰۱/۱۵") or Gregorian ("2024-04-03"), any digit script."""

    widget = JalaliDateInput
    default_error_messages = {"invalid": _("Not a valid date; write it like 1403/01/15.")}

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class LatinIntegerField(forms.IntegerField):
    """An integer that may be typed in Persian or Arabic digits."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = to_latin_digits(value).strip().lstrip("#")
        return super().to_python(value)


class LatinTimeField(forms.TimeField):
    def to_python(self, value: Any) -> time | None:
        if isinstance(value, str):
            value = to_latin_digits(value).strip()
        return super().to_python(value)


_CHECK_WIDGETS = (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)


class BootstrapForm(forms.Form):
    """Bootstrap classes on every widget, and ``is-invalid`` on the ones with an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            if isinstance(widget, _CHECK_WIDGETS):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"

    def add_service_errors(self, errors: Mapping[str, str | Promise]) -> None:
        """Put the field errors a service raised next to the matching fields."""
        for name, message in errors.items():
            self.add_error(name if name in self.fields else None, str(message))


# --- The customer list ---------------------------------------------------------------------

SORT_CHOICES: list[tuple[str, str | Promise]] = [
    ("name", _("Name (A to Z)")),
    ("-name", _("Name (Z to A)")),
    ("-created", _("Newest first")),
    ("created", _("Oldest first")),
    ("revenue", _("Biggest revenue first")),
    ("clv", _("Highest lifetime value first")),
    ("p_alive", _("Most likely to buy again first")),
]


def _score_choices(field_name: str, blank: str | Promise) -> Callable[[], Choices]:
    """The choices of an analytics score field (segment, churn risk), looked up by name.

    The scores belong to the insights app, which customers never imports: the app registry
    hands over its model, so the labels stay defined (and translated) in one place.
    """

    def choices() -> Choices:
        try:
            model = apps.get_model("insights", "CustomerScore")
        except LookupError:
            return _blank(blank)
        field = model._meta.get_field(field_name)
        return _blank(blank, getattr(field, "choices", None) or ())

    return choices


class CustomerFilterForm(BootstrapForm):
    """The search box and filters of the customer list; also what a saved view stores."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    province = forms.ChoiceField(
        label=_("Province"), required=False, choices=_blank(_("All provinces"), PROVINCE_CHOICES)
    )
    city = forms.CharField(label=_("City"), required=False, max_length=64)
    stage = forms.ChoiceField(
        label=_("Lifecycle stage"),
        required=False,
        choices=_blank(_("All stages"), LifecycleStage.choices),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=_blank(_("People and companies"), CustomerKind.choices),
    )
    source = forms.ChoiceField(
        label=_("Acquisition source"),
        required=False,
        choices=_blank(_("All sources"), AcquisitionSource.choices),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("Any owner")
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)
    created_from = JalaliDateField(label=_("Created from"), required=False)
    created_to = JalaliDateField(label=_("Created to"), required=False)
    segment = forms.ChoiceField(
        label=_("Segment"), required=False, choices=_score_choices("segment", _("All segments"))
    )
    risk = forms.ChoiceField(
        label=_("Churn risk"), required=False, choices=_score_choices("churn_risk", _("Any risk"))
    )
    top = forms.BooleanField(label=_("Top 20% by revenue only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    # Query parameters the list accepts besides the filters; anything else is a 400.
    EXTRA_PARAMS = frozenset({"page"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner_field: forms.ModelChoiceField[User] = self.fields["owner"]  # type: ignore[assignment]
        owner_field.queryset = employees()

    def clean_q(self) -> str:
        return normalize_text(self.cleaned_data["q"])

    def clean_city(self) -> str:
        return normalize_text(self.cleaned_data["city"])

    def clean_tag(self) -> str:
        return normalize_text(self.cleaned_data["tag"])

    def filters(self) -> CustomerFilters:
        data = self.cleaned_data
        owner = data.get("owner")
        return CustomerFilters(
            q=data.get("q", ""),
            province=data.get("province", ""),
            city=data.get("city", ""),
            stage=data.get("stage", ""),
            kind=data.get("kind", ""),
            source=data.get("source", ""),
            tag=data.get("tag", ""),
            owner=owner.pk if owner is not None else None,
            mine=bool(data.get("mine")),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            segment=data.get("segment", ""),
            churn_risk=data.get("risk", ""),
            top=bool(data.get("top")),
            sort=data.get("sort") or "name",
        )

    def query_pairs(self) -> list[tuple[str, str]]:
        """The cleaned filters as query parameters, in field order, empty ones left out."""
        pairs: list[tuple[str, str]] = []
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", False) or (name == "sort" and value == "name"):
                continue
            if isinstance(value, User):
                text = str(value.pk)
            elif isinstance(value, date):
                text = format_jalali(value)
            elif value is True:
                text = "1"
            else:
                text = str(value)
            pairs.append((name, text))
        return pairs

    def query_string(self) -> str:
        return urlencode(self.query_pairs())

    @property
    def is_filtered(self) -> bool:
        return bool(self.query_pairs())


def unknown_params(params: Mapping[str, Any], form: forms.Form, extra: frozenset[str]) -> list[str]:
    """Parameter names that neither the form nor ``extra`` knows (SECURITY.md #7: give 400)."""
    return sorted(name for name in params if name not in form.fields and name not in extra)


class SavedViewForm(BootstrapForm):
    """Name the current filters; the query is re-parsed so only a valid filter is stored."""

    name = forms.CharField(label=_("Name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with everyone"), required=False)
    query = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def clean_name(self) -> str:
        name = normalize_text(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Give the view a name."))
        return name

    def clean_query(self) -> str:
        raw = QueryDict(self.cleaned_data.get("query") or "")
        filters = CustomerFilterForm(raw)
        if unknown_params(raw, filters, frozenset()) or not filters.is_valid():
            raise forms.ValidationError(_("These filters cannot be saved."))
        return filters.query_string()

    def save_for(self, owner: User) -> SavedView:
        """Create the view, or replace the filters of the owner's view of the same name."""
        view, _created = SavedView.objects.update_or_create(
            owner=owner,
            name=self.cleaned_data["name"],
            defaults={"query": self.cleaned_data["query"], "shared": self.cleaned_data["shared"]},
        )
        return view


# --- Creating and editing a customer -------------------------------------------------------

_COMPANY_REF = re.compile(r"#\s*(\d+)")


class CustomerForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=CustomerKind.choices, initial=CustomerKind.PERSON
    )
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    company_name = forms.CharField(label=_("Company name"), required=False, max_length=200)
    company = forms.CharField(
        label=_("Works at company"),
        required=False,
        max_length=220,
        help_text=_("The company's record number (#12) or its exact name."),
        widget=forms.TextInput(attrs={"list": "company-options", "autocomplete": "off"}),
    )
    job_title = forms.CharField(label=_("Job title"), required=False, max_length=100)
    mobile = forms.CharField(
        label=_("Mobile"),
        required=False,
        max_length=32,
        widget=forms.TextInput(
            attrs={"dir": "ltr", "inputmode": "tel", "placeholder": "0912 123 4567"}
        ),
    )
    other_phones = forms.CharField(
        label=_("Other phones"),
        required=False,
        max_length=200,
        help_text=_("Separate numbers with commas."),
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("Email"),
        required=False,
        max_length=254,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "email"}),
    )
    national_id = forms.CharField(
        label=_("National code / company id"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    birth_date = forms.CharField(
        label=_("Birth date"), required=False, max_length=30, widget=JalaliDateInput()
    )
    province = forms.ChoiceField(
        label=_("Province"), required=False, choices=_blank("—", PROVINCE_CHOICES)
    )
    city = forms.CharField(label=_("City"), required=False, max_length=64)
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"dir": "ltr", "inputmode": "numeric"}),
    )
    acquisition_source = forms.ChoiceField(
        label=_("Acquisition source"),
        required=False,
        choices=_blank("—", AcquisitionSource.choices),
    )
    lifecycle_stage = forms.ChoiceField(
        label=_("Lifecycle stage"), choices=LifecycleStage.choices, initial=LifecycleStage.LEAD
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=500,
        help_text=_("Separate tags with commas."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), required=False, queryset=User.objects.none(), empty_label=_("No owner")
    )

    # The fields the customer services validate; the rest are resolved here.
    SERVICE_FIELDS = (
        "kind", "first_name", "last_name", "company_name", "job_title", "mobile", "other_phones",
        "email", "national_id", "birth_date", "province", "city", "address", "postal_code",
        "acquisition_source", "lifecycle_stage", "tags",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        can_assign_owner: bool = False,
        with_company: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if can_assign_owner:
            owner_field: forms.ModelChoiceField[User] = self.fields["owner"]  # type: ignore[assignment]
            owner_field.queryset = employees()
        else:
            del self.fields["owner"]
        if with_company:
            # Suggestions come from the company search as the person types (htmx).
            self.fields["company"].widget.attrs.update(
                {
                    "hx-get": reverse("customers:company_options"),
                    "hx-trigger": "input changed delay:300ms",
                    "hx-target": "#company-options",
                    "hx-swap": "innerHTML",
                }
            )
        else:
            del self.fields["company"]

    @staticmethod
    def initial_for(customer: Customer) -> dict[str, Any]:
        """The form's starting values for an existing customer, as a person would type them."""
        mobile = customer.mobile or ""
        if mobile.startswith("+98"):
            mobile = "0" + mobile[3:]
        initial: dict[str, Any] = {
            name: getattr(customer, name) or ""
            for name in CustomerForm.SERVICE_FIELDS
            if name not in {"mobile", "other_phones", "tags", "birth_date"}
        }
        initial.update(
            mobile=mobile,
            other_phones=", ".join(customer.other_phones or []),
            tags=", ".join(tag.name for tag in customer.tags.all()),
            birth_date=(
                format_jalali(customer.birth_date, persian_digits=_persian_page())
                if customer.birth_date
                else ""
            ),
            owner=customer.owner_id,
        )
        return initial

    def clean_company(self) -> Customer | None:
        raw = normalize_text(self.cleaned_data.get("company") or "")
        if not raw:
            return None
        companies = Customer.objects.filter(kind=CustomerKind.COMPANY, merged_into__isnull=True)
        ref = _COMPANY_REF.search(raw)
        if ref or raw.isdigit():
            found = companies.filter(pk=int(ref.group(1) if ref else raw)).first()
            if found is None:
                raise forms.ValidationError(_("There is no company with this number."))
            return found
        matches = list(companies.filter(name_key=search_key(raw))[:2])
        if not matches:
            raise forms.ValidationError(_("No company has this name; pick one from the list."))
        if len(matches) > 1:
            raise forms.ValidationError(
                _("Several companies have this name; enter its record number (#12).")
            )
        return matches[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == CustomerKind.COMPANY:
            if not normalize_text(data.get("company_name") or ""):
                self.add_error("company_name", _("A company needs its name."))
            if data.get("company"):
                self.add_error("company", _("Only a person can be a contact of a company."))
        elif kind == CustomerKind.PERSON and not normalize_text(
            (data.get("first_name") or "") + (data.get("last_name") or "")
        ):
            self.add_error("last_name", _("Enter a first or last name."))
        return data

    def service_data(self) -> dict[str, Any]:
        """What the customer services validate, as typed."""
        return {name: self.cleaned_data.get(name, "") for name in self.SERVICE_FIELDS}


# --- The customer 360 page -----------------------------------------------------------------

_CONTACT_CHANNELS = [(c.value, c.label) for c in Channel if c != Channel.SYSTEM]
_CONTACT_DIRECTIONS = [(d.value, d.label) for d in Direction if d != Direction.INTERNAL]


class InteractionForm(BootstrapForm):
    """The quick "log a call" form; any channel, a call by default."""

    channel = forms.ChoiceField(label=_("Channel"), choices=_CONTACT_CHANNELS, initial=Channel.CALL)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=_CONTACT_DIRECTIONS, initial=Direction.OUTBOUND
    )
    summary = forms.CharField(
        label=_("What was said"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(label=_("Outcome"), required=False, max_length=255)


class NoteForm(BootstrapForm):
    body = forms.CharField(
        label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TaskForm(BootstrapForm):
    title = forms.CharField(label=_("Task"), max_length=200)
    due_date = JalaliDateField(label=_("Due date"))
    due_time = LatinTimeField(
        label=_("Time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "dir": "ltr"}, format="%H:%M"),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), required=False, queryset=User.objects.none(), empty_label=_("Me")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assignee_field: forms.ModelChoiceField[User] = self.fields["assignee"]  # type: ignore[assignment]
        assignee_field.queryset = employees()

    def due_at(self) -> datetime:
        """The due moment in the site's time zone (Tehran); 09:00 when no time was given."""
        day: date = self.cleaned_data["due_date"]
        at: time = self.cleaned_data.get("due_time") or time(9, 0)
        return timezone.make_aware(datetime.combine(day, at))

    def add_service_errors(self, errors: Mapping[str, str | Promise]) -> None:
        super().add_service_errors(
            {("due_date" if name == "due_at" else name): msg for name, msg in errors.items()}
        )


class ConsentForm(BootstrapForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=ConsentChannel.choices)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in (ConsentStatus.GRANTED, ConsentStatus.WITHDRAWN)],
    )
    evidence = forms.CharField(label=_("How the customer said it"), required=False, max_length=255)


class TimelineFilterForm(BootstrapForm):
    department = forms.ChoiceField(
        label=_("Department"),
        required=False,
        choices=_blank(_("All departments"), Department.choices),
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("All kinds"), EventKind.choices)
    )
    page = LatinIntegerField(required=False, min_value=1, max_value=10_000)


class MergeForm(BootstrapForm):
    source = LatinIntegerField(label=_("Record number to merge into this one"), min_value=1)
