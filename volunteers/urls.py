from django.urls import path

from volunteers import views

app_name = "volunteers"

urlpatterns = [
    # station staff and supervisors
    path("", views.volunteer_list, name="list"),
    path("new/", views.volunteer_create, name="create"),
    path("<int:pk>/", views.volunteer_detail, name="detail"),
    path("<int:pk>/edit/", views.volunteer_edit, name="edit"),
    path("<int:pk>/login/", views.volunteer_login, name="login"),
    path("<int:pk>/certificates/new/", views.certificate_add, name="certificate-add"),
    path("<int:pk>/pair/", views.pairing_claim, name="pairing-claim"),
    path("teams/", views.team_list, name="teams"),
    path("teams/new/", views.team_form, name="team-create"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/edit/", views.team_form, name="team-edit"),
    path("training/", views.training_list, name="training"),
    path("training/new/", views.training_form, name="training-create"),
    path("training/<int:pk>/", views.training_form, name="training-edit"),
    path("certificates/", views.certificate_list, name="certificates"),
    path("pairings/", views.pairing_list, name="pairings"),
    path("pairings/<int:pk>/", views.pairing_detail, name="pairing-detail"),
    path("pairings/<int:pk>/letter/", views.pairing_letter, name="pairing-letter"),
    path("pairings/<int:pk>/approve/", views.pairing_approve, name="pairing-approve"),
    path("pairings/<int:pk>/sign/", views.pairing_sign, name="pairing-sign"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairing-end"),
    path("follow-ups/", views.follow_up_list, name="follow-ups"),
    path(
        "follow-ups/<int:pk>/resolve/",
        views.follow_up_resolve,
        name="follow-up-resolve",
    ),
    path("visits/", views.visit_list, name="visits"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("hours/", views.hours, name="hours"),
    path("hours/export.xlsx", views.hours_export, name="hours-export"),
    # the volunteer's own pages
    path("me/", views.my_elders, name="my-elders"),
    path("me/elders/<int:elder_pk>/visit/", views.visit_log, name="visit-log"),
    path("me/hours/", views.my_hours, name="my-hours"),
    # ... as an installable app that works without signal (volunteers/offline.py)
    path("me/offline/", views.offline_page, name="offline-page"),
    path("me/offline.json", views.offline_state, name="offline-state"),
    path("me/sw.js", views.service_worker, name="service-worker"),
    path(
        "me/manifest-<str:language>.webmanifest",
        views.manifest,
        name="manifest",
    ),
]
