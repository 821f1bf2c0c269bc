"""The desk's configuration lives in the admin: teams, categories, SLA targets, the working
week, holidays, canned replies, approval limits and the desk settings. The ledger is read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mehvar.core.jalali import InvalidDate, format_jalali, parse_date, to_jalali
from mehvar.service import canned
from mehvar.service.models import (
    ApprovalLimit,
    CannedReply,
    Category,
    CompensationEntry,
    CompensationRequest,
    DeskSettings,
    Holiday,
    SlaPolicy,
    Team,
    WorkingDay,
)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "lead", "monthly_budget")
    filter_horizontal = ("members",)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name_fa", "name_en", "team", "is_active")
    list_filter = ("is_active", "team")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("category", "priority", "first_response_minutes", "resolution_minutes")
    list_filter = ("priority",)


@admin.register(WorkingDay)
class WorkingDayAdmin(admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")


class HolidayForm(forms.ModelForm):
    """Holidays are typed in the Jalali calendar (۱۴۰۵/۰۱/۱۲), as Iranian calendars print them."""

    day = forms.CharField(label=_("date"), help_text=_("Jalali, e.g. 1405/01/12"))

    class Meta:
        model = Holiday
        fields = ("day", "name")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["day"] = format_jalali(self.instance.day)

    def clean_day(self) -> Any:
        try:
            day = parse_date(self.cleaned_data["day"], calendar="jalali")
        except (InvalidDate, ValueError) as exc:
            raise forms.ValidationError(_("Enter a Jalali date such as 1405/01/12.")) from exc
        # "2026-04-01" reads as a Jalali year six centuries ahead: a slip, not a holiday.
        if not 1300 <= to_jalali(day)[0] <= 1500:
            raise forms.ValidationError(_("Enter a Jalali date such as 1405/01/12."))
        return day


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    form = HolidayForm
    list_display = ("jalali", "day", "name")

    @admin.display(description=_("Jalali date"), ordering="day")
    def jalali(self, obj: Holiday) -> str:
        return format_jalali(obj.day)


class CannedReplyForm(forms.ModelForm):
    """A placeholder we cannot fill would reach the customer as "{discount}": refuse it here."""

    class Meta:
        model = CannedReply
        fields = ("title", "body_fa", "body_en", "category", "is_active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field in ("body_fa", "body_en"):
            unknown = canned.unknown_placeholders(cleaned.get(field) or "")
            if unknown:
                self.add_error(
                    field,
                    _("Unknown placeholders: %(names)s. Use only: %(known)s.")
                    % {
                        "names": "، ".join("{" + name + "}" for name in unknown),
                        "known": " ".join("{" + name + "}" for name in canned.PLACEHOLDERS),
                    },
                )
        return cleaned


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    form = CannedReplyForm
    list_display = ("title", "category", "is_active")
    list_filter = ("is_active", "category")


@admin.register(ApprovalLimit)
class ApprovalLimitAdmin(admin.ModelAdmin):
    list_display = ("role", "max_amount")


@admin.register(DeskSettings)
class DeskSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "repeat_days", "guarantee_days", "warn_before_minutes")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not DeskSettings.objects.exists()


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CompensationEntry)
class CompensationEntryAdmin(_ReadOnly):
    """Append-only: grants and reversals are made on the ticket, never edited here."""

    list_display = ("created_at", "customer", "kind", "amount", "team", "granted_by", "reverses")
    list_filter = ("kind", "team")
    list_select_related = ("customer", "team", "granted_by")


@admin.register(CompensationRequest)
class CompensationRequestAdmin(_ReadOnly):
    list_display = ("requested_at", "ticket", "kind", "amount", "status", "requested_by")
    list_filter = ("status",)
