"""Django admin for supervision: the history of the dashboard's refreshes, read-only
(the figures change only through ``supervision.actions``)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from elders.admin import ReadOnlyAdmin
from supervision.models import RefreshRun


@admin.register(RefreshRun)
class RefreshRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "trigger",
        "first_month",
        "last_month",
        "all_stations",
        "snapshot",
        "stale_months",
        "figures_written",
        "figures_deleted",
        "seconds",
    ]
    list_filter = ["trigger", "snapshot", "all_stations"]
    date_hierarchy = "started_at"

    @admin.display(description=_("duration"))
    def seconds(self, run: RefreshRun) -> str:
        return f"{run.duration_seconds:.2f} s"
