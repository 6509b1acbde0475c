from django.urls import path

from elders import roster_views, views

app_name = "elders"

urlpatterns = [
    path("", views.elder_list, name="list"),
    path("new/", views.elder_create, name="create"),
    path("needs/", views.needs_summary, name="needs-summary"),
    path("pick/", views.elder_pick, name="pick"),
    path("<int:pk>/", views.elder_detail, name="detail"),
    path("<int:pk>/edit/", views.elder_edit, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_form, name="contact-add"),
    path(
        "<int:pk>/contacts/<int:contact_pk>/", views.contact_form, name="contact-edit"
    ),
    path(
        "<int:pk>/contacts/<int:contact_pk>/delete/",
        views.contact_delete,
        name="contact-delete",
    ),
    path("<int:pk>/assessments/new/", views.assessment_add, name="assessment-add"),
    path("<int:pk>/surveys/new/", views.survey_add, name="survey-add"),
    path(
        "<int:pk>/assessments/<int:assessment_pk>/remove/",
        views.assessment_remove,
        name="assessment-remove",
    ),
    path(
        "<int:pk>/surveys/<int:survey_pk>/remove/",
        views.survey_remove,
        name="survey-remove",
    ),
    path("<int:pk>/tier/", views.tier_override, name="tier-override"),
    path("<int:pk>/reveal-id/", views.reveal_id_number, name="reveal-id"),
    path("access-log/", views.access_log_page, name="access-log"),
    # roster import and export
    path("import/", roster_views.import_upload, name="import"),
    path("import/confirm/", roster_views.import_confirm, name="import-confirm"),
    path("import/template.xlsx", roster_views.import_template, name="import-template"),
    path("export.xlsx", roster_views.export_xlsx, name="export"),
]
