"""Django admin for the volunteers app: read-only.

Volunteers, pairings and visits change through the station pages and the API,
whose actions validate, audit and keep the hours ledger in step with the visits.
"""

from django.contrib import admin

from elders.admin import ReadOnlyAdmin
from volunteers.models import (
    Certificate,
    HoursEntry,
    Pairing,
    Team,
    TrainingSession,
    Visit,
    Volunteer,
)


@admin.register(Team)
class TeamAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "station", "leader"]
    list_filter = ["kind", "station"]
    search_fields = ["name"]


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ["name", "station", "team", "status", "user"]
    list_filter = ["status", "station"]
    search_fields = ["name", "phone", "user__username"]
    list_select_related = ["station", "team", "user"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdmin):
    list_display = ["held_on", "topic", "trainer", "station"]
    list_filter = ["station"]


@admin.register(Certificate)
class CertificateAdmin(ReadOnlyAdmin):
    list_display = ["volunteer", "kind", "number", "issued_on", "expires_on"]
    list_filter = ["kind"]
    list_select_related = ["volunteer"]


@admin.register(Pairing)
class PairingAdmin(ReadOnlyAdmin):
    list_display = ["volunteer", "elder", "active", "approved_at", "letter_signed_on"]
    list_filter = ["active", "station"]
    list_select_related = ["volunteer", "elder"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "volunteer",
        "elder",
        "needs_follow_up",
        "resolved_at",
    ]
    list_filter = ["needs_follow_up", "station"]
    list_select_related = ["volunteer", "elder"]
    date_hierarchy = "started_at"


@admin.register(HoursEntry)
class HoursEntryAdmin(ReadOnlyAdmin):
    list_display = ["month", "volunteer", "minutes", "kind"]
    list_filter = ["kind", "station"]
    list_select_related = ["volunteer"]
