"""Forms of the import pages: the upload, and the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from mehvar.customers.forms import BootstrapForm
from mehvar.customers.imports.columns import TARGETS
from mehvar.customers.imports.readers import ALLOWED_EXTENSIONS
from mehvar.customers.imports.state import ColumnMapping
from mehvar.customers.models import ImportKind

UNIT_CHOICES = [("toman", _("Toman")), ("rial", _("Rial"))]
CALENDAR_CHOICES = [
    ("auto", _("Recognise (a year below 1700 is Jalali)")),
    ("jalali", _("Jalali (1403/01/05)")),
    ("gregorian", _("Gregorian (2024-03-24)")),
]


class UploadForm(BootstrapForm):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File (CSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(ALLOWED_EXTENSIONS)}),
    )
    unit = forms.ChoiceField(
        label=_("Amounts in the file are in"), choices=UNIT_CHOICES, required=False
    )
    calendar = forms.ChoiceField(
        label=_("Dates in the file are"), choices=CALENDAR_CHOICES, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].initial = settings.MEHVAR_CURRENCY_UNIT
        self.fields["calendar"].initial = "auto"


class MappingForm(BootstrapForm):
    """One choice per column of the file: the field it goes to, or nothing."""

    def __init__(self, *args: Any, kind: str, mapping: ColumnMapping, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("— ignore this column —"))]
        choices += [(target.name, target.label) for target in TARGETS[kind]]
        for index, header in enumerate(mapping.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(label=header, choices=choices, required=False)
            self.fields[name].widget.attrs["class"] = "form-select"
            self.initial.setdefault(
                name, mapping.targets[index] if index < len(mapping.targets) else ""
            )
        self.mapping = mapping

    def targets(self) -> list[str]:
        return [
            self.cleaned_data.get(f"column_{i}", "") or "" for i in range(len(self.mapping.headers))
        ]

    def rows(self) -> list[tuple[forms.BoundField, list[str]]]:
        """Each column's choice with a few values from the file, for the table of the page."""
        samples = self.mapping.samples
        return [
            (self[f"column_{index}"], [row[index] for row in samples if index < len(row)])
            for index in range(len(self.mapping.headers))
        ]
