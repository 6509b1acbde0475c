from django.urls import path

from services import views

app_name = "services"

urlpatterns = [
    path("", views.record_list, name="records"),
    path("records/new/", views.record_create, name="record-create"),
    path("records/<int:pk>/", views.record_detail, name="record-detail"),
    path("records/<int:pk>/cancel/", views.record_cancel, name="record-cancel"),
    path("records/<int:pk>/confirm/", views.record_confirm, name="record-confirm"),
    path("records/to-confirm/", views.records_to_confirm, name="records-to-confirm"),
    path("records/<int:pk>/feedback/", views.feedback_add, name="feedback-add"),
    path(
        "records/<int:pk>/return-visit/",
        views.return_visit_add,
        name="return-visit-add",
    ),
    path("feedback/", views.feedback_pending, name="feedback-pending"),
    path(
        "visits/<int:pk>/feedback/",
        views.visit_feedback_add,
        name="visit-feedback-add",
    ),
    path("providers/", views.provider_list, name="providers"),
    path("providers/new/", views.provider_form, name="provider-create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider-detail"),
    path("providers/<int:pk>/edit/", views.provider_form, name="provider-edit"),
    path("agreements/", views.agreement_list, name="agreements"),
    path("agreements/new/", views.agreement_form, name="agreement-create"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement-detail"),
    path("agreements/<int:pk>/edit/", views.agreement_form, name="agreement-edit"),
    path("agreements/<int:pk>/scan/", views.agreement_scan, name="agreement-scan"),
    path("notice/", views.notice_index, name="notice-index"),
    path("notice/<int:station_pk>/", views.notice, name="notice"),
]
