"""Django admin for inspections: read-only. Inspections change only through the
yearly job and the supervisor's pages (``inspections.actions``), which keep the
rules, the freeze of decided inspections and the audit trail."""

from django.contrib import admin

from elders.admin import ReadOnlyAdmin
from inspections.models import Decision, Finding, FindingAnswer, Inspection


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["station", "year", "score", "recommendation", "decision"]
    list_filter = ["year", "recommendation", "decision", "station__district"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["inspection", "indicator", "deadline", "status"]
    list_filter = ["status"]


@admin.register(FindingAnswer)
class FindingAnswerAdmin(ReadOnlyAdmin):
    list_display = ["finding", "answered_by", "answered_at", "result"]
    exclude = ["evidence"]  # the file is served only by the scoped page


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["inspection", "decision", "recover_amount", "decided_at"]
    list_filter = ["decision"]
