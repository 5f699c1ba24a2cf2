from django.urls import path

from analytics import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_export, name="dashboard_export"),
    path("attendance/", views.attendance_trends, name="attendance_trends"),
    path("my-students/", views.my_students, name="my_students"),
    path("interventions/", views.interventions_report, name="interventions_report"),
    path("interventions.csv", views.interventions_export, name="interventions_export"),
]
