from django.urls import path

from vouchers import views

app_name = "vouchers"

urlpatterns = [
    path("", views.cycle_list, name="cycles"),
    path("issue/", views.cycle_issue, name="issue"),
    path("cycles/<int:pk>/", views.cycle_detail, name="cycle"),
    path("cycles/<int:pk>/approve/", views.cycle_approve, name="approve"),
    path("elders/<int:pk>/", views.elder_vouchers, name="elder"),
    path("report/", views.report, name="report"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
    path("statements/", views.statements, name="statements"),
    path("statements/<int:provider_pk>/", views.statement, name="statement"),
    path(
        "statements/<int:provider_pk>/export/",
        views.statement_export,
        name="statement-export",
    ),
]
