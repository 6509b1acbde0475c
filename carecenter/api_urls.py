from django.urls import path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from carecenter.api import StationViewSet

app_name = "api"

router = DefaultRouter()
router.register("stations", StationViewSet, basename="station")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    *router.urls,
]
