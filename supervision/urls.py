from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.district_dashboard, name="district"),
    path("export/<slug:key>.xlsx", views.district_export, name="export"),
    path("stations/<int:pk>/", views.station_dashboard, name="station"),
    path(
        "stations/<int:pk>/export/<slug:key>.xlsx",
        views.station_export,
        name="station-export",
    ),
]
