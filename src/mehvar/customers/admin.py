from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from mehvar.customers.models import Customer, Order, OrderLine, Product, Tag


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    """The admin is for operators; staff work in the pages, which go through services."""

    list_display = ("id", "display_name", "mobile", "province", "lifecycle_stage", "owner")
    list_filter = ("kind", "lifecycle_stage", "province")
    search_fields = ("name_key", "mobile", "email_key", "national_id")
    readonly_fields = ("name_key", "name_key_rev", "email_key", "merged_into")
    raw_id_fields = ("company", "owner")

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Edits must go through services so the timeline and search keys stay true.
        return False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ("number", "customer", "placed_at", "status", "total")
    list_filter = ("status", "channel")
    raw_id_fields = ("customer",)
    inlines = [OrderLineInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(Product)
admin.site.register(Tag)
