"""Django admin for elder data.

The administrator edits the eligibility policy here. Elder records are read-only in the
admin: they are changed through the station pages and the API, whose actions validate,
audit and keep the district's ID numbers unique.
"""

from django.contrib import admin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from elders import actions
from elders.id_numbers import mask
from elders.models import (
    BarthelAssessment,
    Elder,
    EligibilityPolicy,
    FamilyContact,
    NeedsSurvey,
)


@admin.register(EligibilityPolicy)
class EligibilityPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "service_age",
        "senior_age",
        "residence_years",
        "updated_at",
    ]
    fields = ["service_age", "senior_age", "residence_years", "updated_at"]
    readonly_fields = ["updated_at"]

    def has_add_permission(self, request):
        return False  # one row, created with the values of PRODUCT.md on first use

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Every elder's kept tier follows the new thresholds at once.
        actions.eligibility_policy_save(actor=request.user, policy=obj)

    def changelist_view(self, request, extra_context=None):
        policy = EligibilityPolicy.current()
        return redirect("admin:elders_eligibilitypolicy_change", policy.pk)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class FamilyContactInline(admin.TabularInline):
    model = FamilyContact
    extra = 0
    fields = ["name", "relation", "phone", "is_emergency"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Elder)
class ElderAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "gender",
        "birth_date",
        "masked_id_number",
        "station",
        "status",
        "tier_override",
    ]
    list_filter = ["station__district", "station", "status", "living_arrangement"]
    # The whole number is found on the elder list (by its blind index) and shown
    # through a logged reveal, never here.
    search_fields = ["name", "phone", "=id_number_last4"]
    exclude = ["id_number_changed_at"]

    @admin.display(description=_("resident ID number"))
    def masked_id_number(self, elder):
        return mask(elder.id_number_last4)

    list_select_related = ["station"]
    inlines = [FamilyContactInline]


@admin.register(BarthelAssessment)
class BarthelAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["elder", "assessed_on", "total", "level", "assessed_by"]
    list_select_related = ["elder", "assessed_by"]
    search_fields = ["elder__name"]
    date_hierarchy = "assessed_on"


@admin.register(NeedsSurvey)
class NeedsSurveyAdmin(ReadOnlyAdmin):
    list_display = ["elder", "surveyed_on", "surveyed_by"]
    list_select_related = ["elder", "surveyed_by"]
    search_fields = ["elder__name"]
    date_hierarchy = "surveyed_on"
