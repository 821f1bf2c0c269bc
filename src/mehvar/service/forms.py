"""Forms of the desk's staff pages.

A form only parses what a person typed (any digit script, amounts in the company's unit) into
the shapes the services take; the services decide what is allowed and their
``ValidationFailed.errors`` go next to the matching fields (``add_service_errors``).
"""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mehvar.core.labels import is_persian
from mehvar.core.models import User
from mehvar.core.money import InvalidAmount, parse_amount
from mehvar.core.persian import normalize_text
from mehvar.customers.forms import BootstrapForm, LatinIntegerField
from mehvar.customers.models import Order, OrderLine, Product
from mehvar.service.lists import SORTS, TicketFilters, recent_months, workers
from mehvar.service.models import (
    Category,
    CompensationKind,
    InspectionResult,
    MessageKind,
    Priority,
    ReturnStatus,
    Team,
    TicketChannel,
    TicketKind,
    TicketStatus,
)

Choices = list[tuple[str, str | Promise]]

_AMOUNT_ERRORS: Final = {
    "empty": _("Enter an amount."),
    "invalid_format": _("Write the amount with digits only, like 250,000."),
    "unit_mismatch": _("Write the amount in the unit shown."),
    "fraction_of_rial": _("The amount must be a whole number of Rials."),
    "too_large": _("This amount is too large."),
}
# Channels a person at the desk opens a ticket for; web, email and survey tickets open themselves.
STAFF_CHANNELS: Final = (
    TicketChannel.PHONE,
    TicketChannel.IN_STORE,
    TicketChannel.STAFF,
    TicketChannel.EMAIL,
)


def _blank(label: str | Promise, choices: Any = ()) -> Choices:
    return [("", label), *((str(value), text) for value, text in choices)]


def amount_label() -> Promise:
    return _("Amount (Rial)") if settings.MEHVAR_CURRENCY_UNIT == "rial" else _("Amount (Toman)")


class AmountField(forms.Field):
    """An amount typed in the company's unit, in any digit script ("۲۵۰٬۰۰۰"); Rials out."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", amount_label())
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"})

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if not text:
            return None
        try:
            rials = parse_amount(
                text, unit="rial" if settings.MEHVAR_CURRENCY_UNIT == "rial" else "toman"
            )
        except InvalidAmount as exc:
            raise forms.ValidationError(
                _AMOUNT_ERRORS.get(exc.code, _AMOUNT_ERRORS["invalid_format"])
            ) from exc
        if rials <= 0:
            raise forms.ValidationError(_("Enter an amount above zero."))
        return rials


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label("fa" if is_persian() else "en"))


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


def _text(value: str) -> str:
    return normalize_text(value or "")


# --- The list ------------------------------------------------------------------------------

SORT_LABELS: Final[dict[str, Promise]] = {
    "due": _("Next deadline first"),
    "-created": _("Newest first"),
    "created": _("Oldest first"),
    "priority": _("Most urgent first"),
}


class TicketFilterForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", _("Open (new, open, waiting)")),
            ("all", _("All")),
            *TicketStatus.choices,
        ],
    )
    mine = forms.BooleanField(label=pgettext_lazy("tickets", "Only mine"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All teams")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("All kinds"), TicketKind.choices)
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=_blank(_("Any priority"), Priority.choices)
    )
    category = CategoryChoiceField(
        label=_("Category"),
        required=False,
        queryset=Category.objects.none(),
        empty_label=_("All categories"),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    sort = forms.ChoiceField(
        label=_("Sort"), required=False, choices=[(key, SORT_LABELS[key]) for key in SORTS]
    )

    EXTRA_PARAMS = frozenset({"page"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["category"].queryset = Category.objects.order_by("name_fa")  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs["placeholder"] = _("T-12, subject, name or mobile")

    def filters(self) -> TicketFilters:
        data = self.cleaned_data
        team, category = data.get("team"), data.get("category")
        return TicketFilters(
            status=data.get("status") or "open",
            mine=bool(data.get("mine")),
            team=team.pk if team is not None else None,
            kind=data.get("kind") or "",
            priority=data.get("priority") or "",
            category=category.pk if category is not None else None,
            overdue=bool(data.get("overdue")),
            q=_text(data.get("q") or ""),
            sort=data.get("sort") or "due",
        )


# --- Opening a ticket ----------------------------------------------------------------------


class TicketForm(BootstrapForm):
    customer = LatinIntegerField(widget=forms.HiddenInput, min_value=1)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("What the customer said"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=TicketKind.choices, initial="complaint")
    category = CategoryChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.none(), empty_label="—"
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="normal")
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in STAFF_CHANNELS],
        initial=TicketChannel.PHONE,
    )
    order = forms.ModelChoiceField(
        label=_("Order"), required=False, queryset=Order.objects.none(), empty_label="—"
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.none(), empty_label="—"
    )
    assignee = PersonChoiceField(
        label=_("Assignee"),
        required=False,
        queryset=User.objects.none(),
        empty_label=_("Pick automatically"),
    )

    def __init__(
        self, *args: Any, customer_id: int | None, can_assign: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]
        orders: QuerySet[Order] = (
            Order.objects.filter(customer_id=customer_id).order_by("-placed_at", "-id")
            if customer_id
            else Order.objects.none()
        )
        self.fields["order"].queryset = orders  # type: ignore[attr-defined]
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        if can_assign:
            self.fields["assignee"].queryset = workers()  # type: ignore[attr-defined]
        else:
            del self.fields["assignee"]

    def clean_subject(self) -> str:
        return _text(self.cleaned_data["subject"])


# --- Working on a ticket -------------------------------------------------------------------


class MessageForm(BootstrapForm):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (MessageKind.REPLY.value, _("Reply to the customer")),
            (MessageKind.NOTE.value, _("Internal note (only staff see it)")),
        ],
        initial=MessageKind.REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label=_("Message"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 5})
    )
    wait_for_customer = forms.BooleanField(
        label=_("Wait for the customer's answer (the SLA clock stops)"), required=False
    )

    def __init__(self, *args: Any, can_reply: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can_reply:
            field: forms.ChoiceField = self.fields["kind"]  # type: ignore[assignment]
            field.choices = [(MessageKind.NOTE.value, _("Internal note (only staff see it)"))]
            field.initial = MessageKind.NOTE
            del self.fields["wait_for_customer"]
        self.fields["body"].widget.attrs["id"] = "reply-body"


class StatusForm(BootstrapForm):
    status = forms.ChoiceField(label=_("Status"), choices=TicketStatus.choices)
    resolution = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to resolve the ticket."),
    )


class TicketUpdateForm(BootstrapForm):
    assignee = PersonChoiceField(
        label=_("Assignee"), required=False, queryset=User.objects.none(), empty_label=_("Nobody")
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    category = CategoryChoiceField(
        label=_("Category"), required=False, queryset=Category.objects.none(), empty_label="—"
    )
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label="—"
    )

    def __init__(self, *args: Any, can_assign: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)  # type: ignore[attr-defined]
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        if can_assign:
            self.fields["assignee"].queryset = workers()  # type: ignore[attr-defined]
        else:
            del self.fields["assignee"]


class GrantForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=CompensationKind.choices)
    amount = AmountField()
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(BootstrapForm):
    line = forms.ModelChoiceField(
        label=_("Item"), queryset=OrderLine.objects.none(), empty_label=None
    )
    quantity = LatinIntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=100_000,
        initial=1,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "dir": "ltr"}),
    )
    reason = forms.CharField(label=_("Why it comes back"), max_length=500)

    def __init__(self, *args: Any, order: Order | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        lines = order.lines.order_by("id") if order is not None else OrderLine.objects.none()
        self.fields["line"].queryset = lines  # type: ignore[attr-defined]


class InspectForm(BootstrapForm):
    inspection = forms.ChoiceField(
        label=_("What the inspection found"), choices=InspectionResult.choices
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept and refund")), ("refuse", _("Refuse"))],
        initial="accept",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Inspection note"), required=False, max_length=500)
    refund_amount = AmountField(required=False)

    def add_service_errors(self, errors: Any) -> None:
        renamed = {"inspection_note": "note"}
        super().add_service_errors({renamed.get(k, k): v for k, v in errors.items()})


# --- The ledger ----------------------------------------------------------------------------


class DecideForm(BootstrapForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=500,
        help_text=_("Required when rejecting."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "reject" and not _text(data.get("note") or ""):
            self.add_error("note", _("Say why the request is rejected."))
        return data


class ReverseForm(BootstrapForm):
    reason = forms.CharField(label=_("Why it is reversed"), max_length=500)

    def clean_reason(self) -> str:
        reason = _text(self.cleaned_data["reason"])
        if not reason:
            raise forms.ValidationError(_("Say why the grant is reversed."))
        return reason


class LedgerFilterForm(BootstrapForm):
    team = forms.ModelChoiceField(
        label=_("Team"), required=False, queryset=Team.objects.none(), empty_label=_("All teams")
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=_blank(_("All kinds"), CompensationKind.choices)
    )
    month = forms.ChoiceField(label=_("Month"), required=False)

    EXTRA_PARAMS = frozenset({"page"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        month: forms.ChoiceField = self.fields["month"]  # type: ignore[assignment]
        month.choices = _blank(_("Every month"), recent_months())


class ReturnFilterForm(BootstrapForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=_blank(_("All"), ReturnStatus.choices)
    )

    EXTRA_PARAMS = frozenset({"page"})
