"""Forms of the comment import: the upload, then which column holds what."""

from __future__ import annotations

from typing import Any, Final

from django import forms
from django.utils.translation import gettext_lazy as _

from mehvar.customers.forms import BootstrapForm
from mehvar.feedback.comment_import import (
    EXTENSIONS,
    SOURCE_LENGTH,
    Columns,
    MatchBy,
    source_name,
)

MATCH_CHOICES: Final = [
    ("auto", _("Recognise: mobile, national code or external id")),
    ("mobile", _("Mobile")),
    ("national_id", _("National code / company national id")),
    ("external_id", _("External id (your other system's)")),
    ("id", _("Customer number in mehvar")),
]

# Header words that usually name a column, to preselect it (Persian and English, lower case).
_GUESSES: Final[dict[str, tuple[str, ...]]] = {
    "text": ("متن", "نظر", "دیدگاه", "پیام", "comment", "text", "review", "message", "feedback"),
    "customer": ("موبایل", "همراه", "mobile", "phone", "تلفن", "کد ملی", "national", "customer"),
    "date": ("تاریخ", "date", "زمان", "time"),
    "reference": ("شناسه", "ref", "id", "کد"),
}


class CommentUploadForm(BootstrapForm):
    file = forms.FileField(
        label=_("File (CSV, TSV or Excel .xlsx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(EXTENSIONS)}),
    )


def _guess(headers: list[str], role: str, taken: set[int]) -> str:
    for word in _GUESSES[role]:
        for index, header in enumerate(headers):
            if index not in taken and word in header.casefold():
                taken.add(index)
                return str(index)
    return ""


class CommentColumnsForm(BootstrapForm):
    """The column of the text (required) and, if the file has them, of the customer, the date
    and the source's own reference; options are the file's headers."""

    token = forms.CharField(widget=forms.HiddenInput)
    text = forms.TypedChoiceField(label=_("Comment text"), coerce=int)
    customer = forms.TypedChoiceField(
        label=_("Customer"), coerce=int, required=False, empty_value=None
    )
    match_by = forms.ChoiceField(label=_("Find the customer by"), choices=MATCH_CHOICES)
    date = forms.TypedChoiceField(
        label=_("Date (Jalali or Gregorian)"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Without a date column, comments are dated now."),
    )
    reference = forms.TypedChoiceField(
        label=_("Reference (the source's own id)"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Without one, the file and row number are used, so importing the same file "
                    "again adds nothing."),
    )  # fmt: skip
    source = forms.CharField(
        label=_("Source"),
        max_length=SOURCE_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"dir": "auto"}),
        help_text=_("Where the comments come from, e.g. Digikala or Instagram: references are "
                    "unique within a source. Without one, the file's name is used."),
    )  # fmt: skip

    def __init__(self, *args: Any, headers: list[str], file_name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = [(str(index), header) for index, header in enumerate(headers)]
        none = [("", _("— none —"))]
        self.fields["text"].choices = options  # type: ignore[attr-defined]
        for name in ("customer", "date", "reference"):
            self.fields[name].choices = none + options  # type: ignore[attr-defined]
        taken: set[int] = set()
        for name in ("text", "customer", "date", "reference"):
            guess = _guess(headers, name, taken)
            if name == "text" and not guess and headers:
                guess = "0"
            self.initial.setdefault(name, guess)
        self.initial.setdefault("match_by", "auto")
        if file_name:
            self.initial.setdefault("source", source_name("", file_name=file_name))

    def columns(self) -> Columns:
        data = self.cleaned_data
        match_by: MatchBy = data["match_by"]
        return Columns(
            text=data["text"],
            customer=data.get("customer"),
            match_by=match_by,
            date=data.get("date"),
            reference=data.get("reference"),
            source=data.get("source") or "",
        )
