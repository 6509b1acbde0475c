from django.urls import path

from care import views

app_name = "care"

urlpatterns = [
    path("", views.due_list, name="due"),
    path("calls/", views.call_list, name="call-list"),
    path("calls/quick/", views.call_quick, name="call-quick"),
    path("calls/new/<int:elder_pk>/", views.call_log, name="call-log"),
    path("emergencies/", views.emergency_list, name="emergency-list"),
    path("emergencies/new/", views.emergency_create, name="emergency-create"),
    path("emergencies/<int:pk>/", views.emergency_detail, name="emergency-detail"),
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path(
        "follow-ups/<slug:kind>/<int:pk>/resolve/",
        views.follow_up_resolve,
        name="follow-up-resolve",
    ),
    path("readings/", views.reading_list, name="reading-list"),
    path("readings/new/<int:elder_pk>/", views.reading_add, name="reading-add"),
]
