from django.contrib import admin

from mehvar.insights.models import AnalyticsRun


@admin.register(AnalyticsRun)
class AnalyticsRunAdmin(admin.ModelAdmin):
    """Read-only: runs are written by the recompute service, for operators to inspect."""

    list_display = ("id", "started_at", "finished_at", "status", "trigger", "n_customers")
    list_filter = ("status", "trigger")
    exclude = ("results",)
    readonly_fields = (
        "status", "trigger", "requested_by", "started_at", "finished_at", "observation_end",
        "n_purchases", "n_customers", "fit_error", "error",
    )  # fmt: skip

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
