from django.urls import path
from rest_framework.routers import DefaultRouter

from activities.api import ActivityViewSet
from care.api import CareCallViewSet, CareDueView, EmergencyViewSet
from carecenter.api import StationViewSet, obtain_expiring_token
from elders.api import (
    AccessLogView,
    AssessmentViewSet,
    ElderViewSet,
    FamilyContactViewSet,
    NeedsSurveyViewSet,
)
from inspections.api import InspectionViewSet
from services.api import (
    AgreementViewSet,
    ProviderViewSet,
    ServiceRecordViewSet,
    ServiceTypeViewSet,
)
from supervision.api import report_figures, report_table
from volunteers.api import PairingViewSet, TeamViewSet, VisitViewSet, VolunteerViewSet
from vouchers.api import VoucherCycleViewSet, VoucherGrantViewSet, voucher_balance

app_name = "api"

router = DefaultRouter()
router.register("stations", StationViewSet, basename="station")
router.register("elders", ElderViewSet, basename="elder")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("needs-surveys", NeedsSurveyViewSet, basename="needs-survey")
router.register("family-contacts", FamilyContactViewSet, basename="family-contact")
router.register("service-types", ServiceTypeViewSet, basename="service-type")
router.register("providers", ProviderViewSet, basename="provider")
router.register("agreements", AgreementViewSet, basename="agreement")
router.register("service-records", ServiceRecordViewSet, basename="service-record")
router.register("volunteers", VolunteerViewSet, basename="volunteer")
router.register("teams", TeamViewSet, basename="team")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("visits", VisitViewSet, basename="visit")
router.register("voucher-grants", VoucherGrantViewSet, basename="voucher-grant")
router.register("voucher-cycles", VoucherCycleViewSet, basename="voucher-cycle")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("care-calls", CareCallViewSet, basename="care-call")
router.register("emergencies", EmergencyViewSet, basename="emergency")
router.register("activities", ActivityViewSet, basename="activity")

urlpatterns = [
    path("auth/token/", obtain_expiring_token, name="api-token"),
    path("access-log/", AccessLogView.as_view(), name="access-log"),
    path(
        "elders/<int:id>/voucher-balance/",
        voucher_balance,
        name="elder-voucher-balance",
    ),
    path("care-due/", CareDueView.as_view(), name="care-due"),
    path("reports/figures/", report_figures, name="report-figures"),
    path("reports/tables/<slug:key>/", report_table, name="report-table"),
    *router.urls,
]
