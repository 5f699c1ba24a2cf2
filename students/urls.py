from django.urls import path

from students import navigation, views

# Students, interventions and notes are named by their id: never a name, contact or birth date
# in a URL.
urlpatterns = [
    path("students/<uuid:student_id>/", views.student_profile, name="student_profile"),
    path(
        "students/<uuid:student_id>/interventions/new/",
        views.intervention_new,
        name="intervention_new",
    ),
    path("students/<uuid:student_id>/notes/", views.case_note_new, name="case_note_new"),
    path(
        "interventions/<uuid:intervention_id>/",
        views.intervention_detail,
        name="intervention_detail",
    ),
    path(
        "interventions/<uuid:intervention_id>/check-ins/",
        views.intervention_check_in,
        name="intervention_check_in",
    ),
    path(
        "interventions/<uuid:intervention_id>/close/",
        views.intervention_close,
        name="intervention_close",
    ),
    path("notes/<uuid:note_id>/delete/", views.case_note_delete, name="case_note_delete"),
    path("account/", views.account, name="account"),
    path("start/", navigation.start, name="start"),
]
