from django.urls import path

from inspections import views

app_name = "inspections"

urlpatterns = [
    path("", views.inspection_list, name="list"),
    path("refresh/", views.inspection_refresh, name="refresh"),
    path("<int:pk>/", views.inspection_detail, name="detail"),
    path("<int:pk>/checklist/", views.checklist_confirm, name="checklist"),
    path("<int:pk>/findings/", views.finding_create, name="finding-create"),
    path("<int:pk>/decide/", views.inspection_decide, name="decide"),
    path("findings/<int:pk>/answer/", views.finding_answer, name="finding-answer"),
    path("answers/<int:pk>/recheck/", views.answer_recheck, name="answer-recheck"),
    path("answers/<int:pk>/evidence/", views.answer_evidence, name="evidence"),
]
