"""Forms of the staff pages: the survey builder, inviting, sending rules and follow-ups.

The builder posts ordinary fields: the survey's settings by name, and each question as
``questions-<n>-<field>`` (its choices as ``questions-<n>-choices-<m>-value|fa|en``). The
numbers only order the blocks; :func:`question_blocks` turns them back into
:class:`QuestionBlock` rows that hold exactly what was typed (to show it again next to its
errors) and give :func:`schemas.SurveyIn`-shaped dicts to ``surveys.survey_save``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from mehvar.core.models import Department, User
from mehvar.core.persian import to_latin_digits
from mehvar.customers.forms import BootstrapForm, LatinIntegerField, employees
from mehvar.customers.models import Customer, Product
from mehvar.feedback.branching import OPERATORS
from mehvar.feedback.lists import CUSTOMER_WORDS
from mehvar.feedback.models import (
    CommentSource,
    FollowUpStatus,
    InvitationChannel,
    Question,
    QuestionKind,
    Sentiment,
    Survey,
    TriggerEvent,
)

TEXT_FIELDS: Final = (
    "text_fa", "text_en", "alt_text_fa", "alt_text_en", "feature_fa", "feature_en",
)  # fmt: skip
_BLOCK = re.compile(r"^questions-(\d{1,3})-(.+)$")
_CHOICE = re.compile(r"^choices-(\d{1,2})-(value|fa|en)$")
_INTEGER = re.compile(r"^-?\d+$")
# Empty choice rows offered under a choice question, so choices can be added without script.
SPARE_CHOICES: Final = 2
MAX_BLOCKS: Final = 60


# --- The builder ---------------------------------------------------------------------------

OPERATOR_LABELS: Final = (
    ("lte", _("is at most")),
    ("gte", _("is at least")),
    ("eq", _("equals")),
    ("in", _("is one of (separate with commas)")),
    ("answered", _("was answered")),
)


def _show_if_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass
class QuestionBlock:
    """One question as the builder shows it: the typed strings as typed, and their errors."""

    key: str = ""
    kind: str = QuestionKind.NPS.value
    text_fa: str = ""
    text_en: str = ""
    alt_text_fa: str = ""
    alt_text_en: str = ""
    feature_fa: str = ""
    feature_en: str = ""
    required: bool = True
    choices: list[dict[str, str]] = field(default_factory=list)
    show_if_key: str = ""
    show_if_op: str = ""
    show_if_value: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    # A question somebody answered keeps its key and type (``surveys._keep_answered``).
    locked: bool = False

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, locked: bool = False) -> QuestionBlock:
        """A block from a SurveyIn-shaped question dict (a starter) or a saved question."""
        show_if = data.get("show_if") or {}
        texts: dict[str, Any] = {name: str(data.get(name) or "") for name in TEXT_FIELDS}
        return cls(
            key=str(data.get("key") or ""),
            kind=str(data.get("kind") or QuestionKind.NPS.value),
            **texts,
            required=bool(data.get("required", True)),
            choices=[
                {part: str(choice.get(part) or "") for part in ("value", "fa", "en")}
                for choice in data.get("choices") or []
                if isinstance(choice, Mapping)
            ],
            show_if_key=str(show_if.get("key") or ""),
            show_if_op=str(show_if.get("op") or ""),
            show_if_value=_show_if_value(show_if.get("value")),
            locked=locked,
        )

    @classmethod
    def from_question(cls, question: Question, *, locked: bool = False) -> QuestionBlock:
        data = {name: getattr(question, name) for name in ("key", "kind", *TEXT_FIELDS)}
        data |= {
            "required": question.required,
            "choices": question.choices,
            "show_if": question.show_if,
        }
        return cls.from_data(data, locked=locked)

    def is_blank(self) -> bool:
        """Nothing typed: the spare block at the end of the page, left empty."""
        return not any(getattr(self, name).strip() for name in TEXT_FIELDS) and not any(
            value.strip() for choice in self.choices for value in choice.values()
        )

    @property
    def choice_rows(self) -> list[dict[str, str]]:
        """The choices typed so far and a few empty rows to type more into."""
        return [*self.choices, *({"value": "", "fa": "", "en": ""},) * SPARE_CHOICES]

    def show_if(self) -> tuple[dict[str, Any] | None, str | None]:
        """The branching rule as ``branching.ShowIf`` reads it, or an error message."""
        if not self.show_if_key:
            return None, None
        op = self.show_if_op if self.show_if_op in OPERATORS else "lte"
        raw = to_latin_digits(self.show_if_value).strip()
        value: Any
        if op == "answered":
            value = None
        elif op == "in":
            value = [part.strip() for part in raw.replace("،", ",").split(",") if part.strip()]
            if not value:
                return None, str(_("List the answers, separated by commas."))
        elif op in ("lte", "gte"):
            if not _INTEGER.match(raw):
                return None, str(_("Compare with a number."))
            value = int(raw)
        else:
            if not raw:
                return None, str(_("Say which answer."))
            value = int(raw) if _INTEGER.match(raw) else raw
        return {"key": self.show_if_key, "op": op, "value": value}, None

    def data(self) -> dict[str, Any]:
        """The question as ``schemas.QuestionIn`` expects it."""
        show_if, _error = self.show_if()
        data: dict[str, Any] = {
            "key": self.key.strip(),
            "kind": self.kind,
            **{name: getattr(self, name) for name in TEXT_FIELDS},
            "required": self.required,
            "choices": [],
            "show_if": show_if,
        }
        if self.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            data["choices"] = [
                choice for choice in self.choices if any(v.strip() for v in choice.values())
            ]
        return data


def question_blocks(post: QueryDict) -> list[QuestionBlock]:
    """The question blocks a builder form posted, in the order of their numbers."""
    raw: dict[int, dict[str, str]] = {}
    choices: dict[int, dict[int, dict[str, str]]] = {}
    for name in post:
        match = _BLOCK.match(name)
        if match is None:
            continue
        number, rest = int(match.group(1)), match.group(2)
        value = post.get(name, "")
        choice = _CHOICE.match(rest)
        if choice is not None:
            row = choices.setdefault(number, {}).setdefault(int(choice.group(1)), {})
            row[choice.group(2)] = value.strip()
        else:
            raw.setdefault(number, {})[rest] = value
    blocks = []
    for number in sorted(set(raw) | set(choices))[:MAX_BLOCKS]:
        fields = raw.get(number, {})
        if fields.get("remove"):
            continue
        rows = [choices.get(number, {})[m] for m in sorted(choices.get(number, {}))]
        texts: dict[str, Any] = {name: fields.get(name, "") for name in TEXT_FIELDS}
        block = QuestionBlock(
            key=fields.get("key", "").strip(),
            kind=fields.get("kind", QuestionKind.NPS.value),
            **texts,
            required=bool(fields.get("required")),
            choices=[
                {part: row.get(part, "") for part in ("value", "fa", "en")}
                for row in rows
                if any(row.get(part) for part in ("value", "fa", "en"))
            ],
            show_if_key=fields.get("show_if_key", "").strip(),
            show_if_op=fields.get("show_if_op", "").strip(),
            show_if_value=fields.get("show_if_value", "").strip(),
            locked=bool(fields.get("locked")),
        )
        if not block.is_blank():
            blocks.append(block)
    return blocks


def blocks_errors(blocks: list[QuestionBlock]) -> dict[str, str]:
    """What the builder itself can tell before the service looks (a branching value's shape)."""
    errors = {}
    for index, block in enumerate(blocks, start=1):
        _rule, error = block.show_if()
        if error:
            errors[f"questions[{index}].show_if"] = error
    return errors


_QUESTION_ERROR = re.compile(r"^questions\[(\d+)\](?:\.(\w+))?")


def spread_errors(errors: Mapping[str, Any], blocks: list[QuestionBlock]) -> dict[str, str]:
    """Hand each "questions[2].text_fa" error to its block; return the errors left over."""
    rest: dict[str, str] = {}
    for name, message in errors.items():
        match = _QUESTION_ERROR.match(name)
        index = int(match.group(1)) - 1 if match else -1
        if match and 0 <= index < len(blocks):
            part = match.group(2) or "question"
            # "questions[2].choices[1].fa" and "questions[2].show_if.op" land on their editor.
            blocks[index].errors.setdefault(part, str(message))
        else:
            rest[name] = str(message)
    return rest


def _products() -> QuerySet[Product]:
    return Product.objects.order_by("name")


class SurveySettingsForm(BootstrapForm):
    """The survey's own fields; the names are those of ``schemas.SurveyIn``."""

    title_fa = forms.CharField(label=_("Title (Persian)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    intro_fa = forms.CharField(
        label=_("Introduction (Persian)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    intro_en = forms.CharField(
        label=_("Introduction (English)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )
    thanks_fa = forms.CharField(
        label=_("Thank-you text (Persian)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    thanks_en = forms.CharField(
        label=_("Thank-you text (English)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )
    touchpoint = forms.CharField(
        label=_("Touchpoint"),
        max_length=100,
        required=False,
        help_text=_("What the answers are about, such as “delivery” or “in-store purchase”."),
    )
    department = forms.ChoiceField(label=_("Department"), required=False, choices=())
    product_id = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    public_enabled = forms.BooleanField(label=_("Public link and QR code"), required=False)
    link_days = LatinIntegerField(
        label=_("Personal links are valid for (days)"), min_value=1, max_value=365, initial=14
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department = cast(forms.ChoiceField, self.fields["department"])
        department.choices = [("", _("(none)"))] + [
            (value, label) for value, label in Department.choices if value != Department.SYSTEM
        ]
        product = cast(forms.ModelChoiceField, self.fields["product_id"])  # type: ignore[type-arg]
        product.queryset = _products()
        product.empty_label = str(_("(none)"))
        for name in ("title_fa", "intro_fa", "thanks_fa"):
            self.fields[name].widget.attrs.update({"dir": "rtl", "lang": "fa"})
        self.fields["title_en"].widget.attrs.update({"dir": "ltr", "lang": "en"})

    @classmethod
    def for_survey(cls, survey: Survey) -> SurveySettingsForm:
        names = [name for name in cls.base_fields if name != "product_id"]
        initial = {name: getattr(survey, name) for name in names}
        return cls(initial={**initial, "product_id": survey.product_id})

    def survey_data(self, blocks: list[QuestionBlock]) -> dict[str, Any]:
        """The SurveyIn-shaped dict to save (call after ``is_valid``)."""
        data = {name: value for name, value in self.cleaned_data.items() if name != "product_id"}
        product = self.cleaned_data.get("product_id")
        data["product_id"] = product.pk if product is not None else None
        data["questions"] = [block.data() for block in blocks]
        return data


# --- Inviting ------------------------------------------------------------------------------

MAX_INVITES: Final = 50


class InviteForm(BootstrapForm):
    """Whom to invite (ids ticked in the list of matches) and how."""

    customer = forms.ModelMultipleChoiceField(
        label=_("Customers"),
        queryset=Customer.objects.filter(merged_into__isnull=True),
        widget=forms.MultipleHiddenInput,
        error_messages={"required": _("Pick at least one customer.")},
    )
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=InvitationChannel.choices,
        initial=InvitationChannel.LINK,
        widget=forms.RadioSelect,
    )

    def clean_customer(self) -> QuerySet[Customer]:
        picked: QuerySet[Customer] = self.cleaned_data["customer"]
        if picked.count() > MAX_INVITES:
            raise forms.ValidationError(
                _("Invite at most %(count)s customers at a time."), params={"count": MAX_INVITES}
            )
        return picked


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Find customers"), max_length=100, required=False)


# --- Sending rules -------------------------------------------------------------------------


class RuleForm(BootstrapForm):
    event = forms.ChoiceField(label=_("After"), choices=TriggerEvent.choices)
    delay_days = LatinIntegerField(label=_("Days later"), min_value=0, max_value=365, initial=2)
    channel = forms.ChoiceField(
        label=_("Send by"),
        choices=[
            (InvitationChannel.SMS.value, InvitationChannel.SMS.label),
            (InvitationChannel.EMAIL.value, InvitationChannel.EMAIL.label),
        ],
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


# --- Follow-ups ----------------------------------------------------------------------------

FOLLOW_UP_SCOPES: Final = ("mine", "open", "overdue", "all")


class FollowUpForm(BootstrapForm):
    """One step on a follow-up: note what was done, move it on, or hand it to someone else."""

    status = forms.ChoiceField(
        label=_("Step"),
        required=False,
        choices=[
            ("", _("Only save the note")),
            (FollowUpStatus.CONTACTED.value, _("Customer contacted")),
            (FollowUpStatus.RESOLVED.value, _("Resolved")),
            (FollowUpStatus.OPEN.value, _("Reopen")),
        ],
    )
    resolution = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=User.objects.none(), required=False
    )

    def __init__(self, *args: Any, can_assign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if can_assign:
            assignee = cast(forms.ModelChoiceField, self.fields["assignee"])  # type: ignore[type-arg]
            assignee.queryset = employees()
        else:
            del self.fields["assignee"]


# --- The feedback wall ---------------------------------------------------------------------


class WallFilterForm(BootstrapForm):
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False, choices=[("", _("All")), *Sentiment.choices]
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[
            (CUSTOMER_WORDS, _("Customers' own words")),
            ("", _("Everything, with staff notes and calls")),
            *CommentSource.choices,
        ],
    )
    survey = forms.ModelChoiceField(
        label=_("Survey"),
        queryset=Survey.objects.only("id", "title_fa", "title_en"),
        required=False,
        empty_label=_("All"),
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class CorrectForm(forms.Form):
    label = forms.ChoiceField(choices=Sentiment.choices)
