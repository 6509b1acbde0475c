from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from carecenter import views

urlpatterns = [
    path("", views.home_page, name="home"),
    path("stations/", views.StationListView.as_view(), name="station-list"),
    path("stations/<int:pk>/", views.station_detail, name="station-detail"),
    path("jobs/", views.job_list, name="jobs"),
    path("elders/", include("elders.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("services/", include("services.urls")),
    path("day-sheets/", include("daysheets.urls")),
    path("activities/", include("activities.urls")),
    path("vouchers/", include("vouchers.urls")),
    path("care/", include("care.urls")),
    path("inspections/", include("inspections.urls")),
    path("dashboard/", include("supervision.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("carecenter.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("healthz", views.healthz, name="healthz"),
]
