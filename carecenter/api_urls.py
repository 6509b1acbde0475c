from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from carecenter.api import StationViewSet
from elders.api import (
    AssessmentViewSet,
    ElderViewSet,
    FamilyContactViewSet,
    NeedsSurveyViewSet,
)

app_name = "api"

router = DefaultRouter()
router.register("stations", StationViewSet, basename="station")
router.register("elders", ElderViewSet, basename="elder")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("needs-surveys", NeedsSurveyViewSet, basename="needs-survey")
router.register("family-contacts", FamilyContactViewSet, basename="family-contact")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
