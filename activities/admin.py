"""Activities are read-only in the admin: they change through the station's pages,
whose actions validate and audit every write."""

from django.contrib import admin

from activities.models import Activity
from elders.admin import ReadOnlyAdmin


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["title", "kind", "station", "starts_at", "place"]
    list_filter = ["kind", "station"]
