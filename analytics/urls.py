from django.urls import path

from analytics import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard.csv", views.dashboard_export, name="dashboard_export"),
    path("attendance/", views.attendance_trends, name="attendance_trends"),
]
