"""Django admin for the services app.

The administrator edits the service catalogue here (names, units, default prices,
active). Station data (providers, agreements, records, feedback) is read-only in the
admin: it changes through the station pages and the API, whose actions validate and
audit every write.
"""

from django.contrib import admin

from elders.admin import ReadOnlyAdmin
from services.models import (
    Feedback,
    Provider,
    ReturnVisit,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
)


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "unit", "default_price", "active"]
    list_editable = ["default_price", "active"]
    list_filter = ["unit", "active"]
    fields = ["code", "name_zh", "name_en", "unit", "default_price", "active"]
    readonly_fields = ["code"]
    search_fields = ["code", "name_zh", "name_en"]

    def has_add_permission(self, request):
        return False  # the codes are fixed (carecenter.catalogue.ServiceKind)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "station", "contact_phone", "active"]
    list_filter = ["station__district", "station", "kind", "active"]
    list_select_related = ["station"]
    search_fields = ["name", "licence"]


@admin.register(ServiceAgreement)
class ServiceAgreementAdmin(ReadOnlyAdmin):
    list_display = [
        "provider",
        "station",
        "starts_on",
        "ends_on",
        "charging_method",
        "status",
    ]
    list_filter = ["station", "status", "charging_method"]
    list_select_related = ["provider", "station"]
    # The scan has no public URL; it is read through the agreement's page.
    exclude = ["scan"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "delivered_at",
        "elder",
        "service_type",
        "station",
        "price",
        "self_paid",
        "voucher_paid",
        "cancelled_at",
    ]
    list_filter = ["station", "service_type", "has_feedback"]
    list_select_related = ["elder", "service_type", "station"]
    date_hierarchy = "delivered_at"
    search_fields = ["elder__name"]
    show_full_result_count = False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["record", "satisfaction", "attitude", "quality", "channel"]
    list_select_related = ["record__elder", "record__service_type"]


@admin.register(ReturnVisit)
class ReturnVisitAdmin(ReadOnlyAdmin):
    list_display = ["record", "visited_at", "outcome", "visited_by"]
    list_select_related = ["record__elder", "record__service_type", "visited_by"]
