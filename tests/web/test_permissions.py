"""Every URL, for every kind of user, with the answer each must get.

The target student is in North High. The counselor's caseload is North High; the "other"
counselor and educator have South Middle students only; the educator "with" has the target
assigned alone.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from analytics import access_log
from analytics.models import AccessEntry, AccessPage
from mlmodels.models import TrainingFeedback
from students.models import Assignment, CaseNote, CheckIn, Intervention
from students.roles import COUNSELOR, EDUCATOR
from tests.students.factories import CaseNoteFactory, InterventionFactory, UserFactory
from tests.web.conftest import AS_OF

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN_LOGIN = "admin login"  # signed in, but not staff: the admin asks for a staff login
USERS = (
    "anonymous",
    "staff",
    "district_admin",
    "superuser",
    "counselor_with",
    "counselor_without",
    "educator_with",
    "educator_without",
)
PAGES = (
    "dashboard",
    "export",
    "attendance",
    "models",
    "profile",
    "feedback_get",
    "feedback_post",
    "my_students",
    "interventions_report",
    "interventions_export",
    "account",
    "intervention_new_get",
    "intervention_new_post",
    "intervention_detail",
    "check_in_post",
    "close_post",
    "note_post",
    "note_delete",
    "access_log",
    "access_entry",
)

# page: expected status for each user, in USERS order.
EXPECTED = {
    "dashboard": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "export": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "attendance": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "models": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "profile": (LOGIN, 403, 200, 200, 200, 404, 200, 404),
    "feedback_get": (LOGIN, 403, 403, 200, 200, 404, 200, 404),
    "feedback_post": (LOGIN, 403, 403, 302, 302, 404, 302, 404),
    "my_students": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "interventions_report": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "interventions_export": (LOGIN, 403, 200, 200, 200, 200, 200, 200),
    "account": (LOGIN, 200, 200, 200, 200, 200, 200, 200),
    # Educators follow interventions up; counselors and administrators start and close them.
    "intervention_new_get": (LOGIN, 403, 200, 200, 200, 404, 403, 404),
    "intervention_new_post": (LOGIN, 403, 302, 302, 302, 404, 403, 404),
    "intervention_detail": (LOGIN, 403, 200, 200, 200, 404, 200, 404),
    "check_in_post": (LOGIN, 403, 302, 302, 302, 404, 302, 404),
    "close_post": (LOGIN, 403, 302, 302, 302, 404, 403, 404),
    "note_post": (LOGIN, 403, 302, 302, 302, 404, 302, 404),
    # The note is the counselor's: its author and administrators delete it.
    "note_delete": (LOGIN, 403, 302, 302, 302, 404, 403, 404),
    # The record of access, in the admin: administrators only.
    "access_log": (LOGIN, 403, 200, 200, *(ADMIN_LOGIN,) * 4),
    "access_entry": (LOGIN, 403, 200, 200, *(ADMIN_LOGIN,) * 4),
}


def make_user(kind: str, district, staff, district_admin, counselor, educator, superuser):
    if kind == "anonymous":
        return None
    if kind == "staff":
        return staff
    if kind == "district_admin":
        return district_admin
    if kind == "superuser":
        return superuser
    if kind == "counselor_with":
        return counselor
    if kind == "educator_without":
        return educator
    role = COUNSELOR if kind == "counselor_without" else EDUCATOR
    user = UserFactory(username=kind)
    user.groups.add(Group.objects.get(name=role))
    if kind == "counselor_without":
        Assignment.objects.create(user=user, school="South Middle")
    else:
        Assignment.objects.create(user=user, student=district.north[0])
    return user


@pytest.mark.parametrize("kind", USERS)
def test_every_url_answers_each_user_as_expected(
    client, district, staff, district_admin, counselor, educator, superuser, kind
):
    target = district.north[0]
    prediction = target.predictions.get(as_of=AS_OF)
    user = make_user(kind, district, staff, district_admin, counselor, educator, superuser)
    if user is not None:
        client.force_login(user)
    feedback_url = reverse("prediction_feedback", args=[prediction.pk])
    plan = InterventionFactory(student=target, owner=counselor, start_date=AS_OF)
    note = CaseNoteFactory(student=target, author=counselor)
    today = timezone.localdate().isoformat()
    new_plan = {
        "intervention_type": plan.intervention_type_id,
        "domain": "attendance",
        "tier": "2",
        "owner": getattr(user, "pk", ""),
        "goal": "Attend every day",
        "start_date": today,
    }
    access_log.write([access_log.entry(page=AccessPage.STUDENT_PAGE, students=[target.pk])])
    entry_url = reverse("admin:analytics_accessentry_change", args=[AccessEntry.objects.get().pk])
    requests = {
        "dashboard": lambda: client.get(reverse("dashboard")),
        "export": lambda: client.get(reverse("dashboard_export")),
        "attendance": lambda: client.get(reverse("attendance_trends")),
        "models": lambda: client.get(reverse("model_performance")),
        "profile": lambda: client.get(reverse("student_profile", args=[target.pk])),
        "feedback_get": lambda: client.get(feedback_url),
        "feedback_post": lambda: client.post(
            feedback_url, {"flagged": "yes", "outcome_happened": "no"}
        ),
        "my_students": lambda: client.get(reverse("my_students")),
        "interventions_report": lambda: client.get(reverse("interventions_report")),
        "interventions_export": lambda: client.get(reverse("interventions_export")),
        "account": lambda: client.get(reverse("account")),
        "intervention_new_get": lambda: client.get(
            reverse("intervention_new", args=[target.pk]), {"factor": "absences_30d"}
        ),
        "intervention_new_post": lambda: client.post(
            reverse("intervention_new", args=[target.pk]), new_plan
        ),
        "intervention_detail": lambda: client.get(reverse("intervention_detail", args=[plan.pk])),
        "check_in_post": lambda: client.post(
            reverse("intervention_check_in", args=[plan.pk]),
            {"date": today, "progress": "on_track"},
        ),
        "close_post": lambda: client.post(
            reverse("intervention_close", args=[plan.pk]),
            {"status": "completed", "ended_on": today, "outcome": "done"},
        ),
        "note_post": lambda: client.post(
            reverse("case_note_new", args=[target.pk]),
            {"date": today, "text": "A note.", "visibility": "everyone"},
        ),
        "note_delete": lambda: client.post(reverse("case_note_delete", args=[note.pk])),
        "access_log": lambda: client.get(reverse("admin:analytics_accessentry_changelist")),
        "access_entry": lambda: client.get(entry_url),
    }
    answers = {}
    for page in PAGES:
        response = requests[page]()
        if response.status_code == 302 and response["Location"].startswith(reverse("login")):
            answers[page] = LOGIN
        elif response.status_code == 302 and response["Location"].startswith(
            reverse("admin:login")
        ):
            answers[page] = ADMIN_LOGIN
        else:
            answers[page] = response.status_code
        if response.status_code in (403, 404):
            body = response.content.decode()
            assert target.last_name not in body and target.district_id not in body
    expected = {page: EXPECTED[page][USERS.index(kind)] for page in PAGES}
    assert answers == expected
    assert TrainingFeedback.objects.count() == (1 if expected["feedback_post"] == 302 else 0)
    assert Intervention.objects.count() == (2 if expected["intervention_new_post"] == 302 else 1)
    assert CheckIn.objects.count() == (1 if expected["check_in_post"] == 302 else 0)
    plan.refresh_from_db()
    assert plan.status == ("completed" if expected["close_post"] == 302 else "active")
    notes = 1 if expected["note_post"] == 302 else 0
    notes += 0 if expected["note_delete"] == 302 else 1
    assert CaseNote.objects.count() == notes


@pytest.mark.parametrize("kind", ["counselor_without", "educator_without"])
def test_lists_and_exports_never_hold_a_student_out_of_reach(
    client, district, staff, district_admin, counselor, educator, superuser, kind
):
    target = district.north[0]
    client.force_login(
        make_user(kind, district, staff, district_admin, counselor, educator, superuser)
    )
    InterventionFactory(student=target, owner=counselor, start_date=AS_OF)
    CaseNoteFactory(student=target, author=counselor)
    for url in (
        reverse("dashboard"),
        reverse("dashboard_export"),
        reverse("my_students"),
        reverse("interventions_report"),
        reverse("interventions_export"),
    ):
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert target.district_id not in body.decode()


def test_a_staff_member_is_sent_to_the_admin_from_the_403_page(client, staff):
    client.force_login(staff)
    assert "/admin/" in client.get("/").content.decode()
