from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from carecenter.models import (
    AccessLogEntry,
    District,
    JobStatus,
    LeadingGroupMember,
    RoleAssignment,
    Station,
    User,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "staff_may_reveal_id_numbers", "late_record_days"]
    search_fields = ["code", "name"]


@admin.register(JobStatus)
class JobStatusAdmin(admin.ModelAdmin):
    """The last run of each task, written by the workers; read only."""

    list_display = ["task", "state", "started_at", "finished_at", "runs"]
    list_filter = ["state"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LeadingGroupInline(admin.TabularInline):
    model = LeadingGroupMember
    extra = 0


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "district", "kind", "service_phone", "is_active"]
    list_filter = ["district", "kind", "is_active"]
    search_fields = ["code", "name", "address"]
    # Set by the annual inspection's funding decision only.
    readonly_fields = ["funding_stopped_from", "funding_restored_from"]
    list_select_related = ["district"]
    inlines = [LeadingGroupInline]


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["district", "station"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*DjangoUserAdmin.fieldsets, (_("Contact"), {"fields": ["phone"]}))
    list_display = ["username", "first_name", "last_name", "is_active", "last_login"]
    inlines = [RoleAssignmentInline]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "district", "station", "created_at"]
    list_filter = ["role", "district", "station"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    list_select_related = ["user", "district", "station"]
    autocomplete_fields = ["user", "district", "station"]


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """The access log, read-only: nobody edits or deletes what was logged (the
    nightly purge removes entries past their retention)."""

    list_display = [
        "at",
        "username",
        "action",
        "station",
        "elder_id",
        "rows",
        "address",
    ]
    list_filter = ["action", "station"]
    search_fields = ["=username", "=elder_id"]
    date_hierarchy = "at"
    list_select_related = ["station"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
