"""Enrolments are read-only in the admin: they change through the station's pages,
whose actions validate and audit every write."""

from django.contrib import admin

from daysheets.models import Enrolment
from elders.admin import ReadOnlyAdmin


@admin.register(Enrolment)
class EnrolmentAdmin(ReadOnlyAdmin):
    list_display = ["elder", "service_type", "station", "starts_on", "ends_on"]
    list_filter = ["service_type", "station"]
