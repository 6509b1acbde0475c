"""Django admin for vouchers: the administrator keeps each district's policy and each
station's yearly budget. Cycles, grants and the ledger are read-only here: they
change only through issuance, approval, payment and expiry."""

from django.contrib import admin

from elders.admin import ReadOnlyAdmin
from vouchers.models import (
    Cycle,
    Grant,
    IssuanceRun,
    LedgerEntry,
    ReconciliationRun,
    StationBudget,
    VoucherPolicy,
)


@admin.register(VoucherPolicy)
class VoucherPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "district",
        "effective_from",
        "amount_free",
        "amount_low_cost",
        "validity_months",
        "approval_required",
    ]
    list_filter = ["district", "approval_required"]

    def has_delete_permission(self, request, obj=None):
        return False  # cycles keep the policy they were issued under


@admin.register(StationBudget)
class StationBudgetAdmin(admin.ModelAdmin):
    list_display = ["station", "year", "amount"]
    list_filter = ["year", "station__district"]


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ["station", "month", "status", "grants_count", "total_amount"]
    list_filter = ["status", "month"]


@admin.register(IssuanceRun)
class IssuanceRunAdmin(ReadOnlyAdmin):
    list_display = ["station", "cycle", "trigger", "started_by", "started_at"]
    list_filter = ["trigger"]


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["elder", "month", "tier", "amount", "remaining", "expires_on"]
    list_filter = ["month", "tier"]
    raw_id_fields = ["elder"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["elder", "kind", "amount", "month", "created_at"]
    list_filter = ["kind", "month"]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "station", "disagreement_count"]
    list_select_related = ["station"]
