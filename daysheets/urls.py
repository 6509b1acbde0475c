import datetime

from django.urls import path, register_converter

from daysheets import views


class DateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        return datetime.date.fromisoformat(value)

    def to_url(self, value):
        return value.isoformat()


register_converter(DateConverter, "isodate")

app_name = "daysheets"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:station_pk>/<slug:code>/<isodate:day>/", views.sheet, name="sheet"),
    path(
        "<int:station_pk>/<slug:code>/<isodate:day>/route/",
        views.route,
        name="route",
    ),
    path("enrolments/", views.enrolment_list, name="enrolments"),
    path("enrolments/new/", views.enrolment_form, name="enrolment-create"),
    path("enrolments/<int:pk>/", views.enrolment_form, name="enrolment-edit"),
    path("enrolments/<int:pk>/end/", views.enrolment_end, name="enrolment-end"),
]
