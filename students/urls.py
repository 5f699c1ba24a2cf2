from django.urls import path

from students import views

# Students are named by their id: never a name, contact or birth date in a URL.
urlpatterns = [
    path("students/<uuid:student_id>/", views.student_profile, name="student_profile"),
]
