"""Interventions, check-ins and case notes: the services' rules and the audit trail."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from students import interventions as support
from students.models import (
    CaseNote,
    Intervention,
    InterventionStatus,
    InterventionType,
    NoteVisibility,
    Progress,
)
from students.roles import COUNSELOR, EDUCATOR
from students.services import roles_sync
from tests.mlmodels.factories import PredictionFactory
from tests.students.factories import (
    AssignmentFactory,
    InterventionFactory,
    StudentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 10, 8)


def member(role: str, student=None, username=None):
    roles_sync()
    user = UserFactory(**({"username": username} if username else {}))
    user.groups.add(Group.objects.get(name=role))
    if student is not None:
        AssignmentFactory(user=user, student=student)
    return user


def mentoring():
    return InterventionType.objects.get(name="Attendance mentoring")


def test_the_catalogue_is_seeded_with_the_common_interventions():
    names = set(InterventionType.objects.values_list("name", flat=True))
    assert {
        "Attendance mentoring",
        "Family conference",
        "Tutoring",
        "Check-in/check-out",
        "Counseling",
        "Behavior plan",
        "Credit recovery",
    } <= names


def test_starting_one_defaults_the_planned_end_to_six_weeks_and_the_domain_to_the_types():
    student = StudentFactory()
    counselor = member(COUNSELOR, student)
    prediction = PredictionFactory(student=student)
    plan = support.intervention_start(
        student=student,
        intervention_type=mentoring(),
        tier=2,
        owner=counselor,
        goal="Attend every day.",
        start_date=TODAY,
        created_by=counselor,
        today=TODAY,
        prediction=prediction,
    )
    assert plan.planned_end == TODAY + dt.timedelta(weeks=6)
    assert plan.domain == "attendance"
    assert plan.status == InterventionStatus.ACTIVE
    assert plan.prediction == prediction


def test_one_starting_later_is_planned():
    student = StudentFactory()
    counselor = member(COUNSELOR, student)
    plan = support.intervention_start(
        student=student,
        intervention_type=mentoring(),
        tier=1,
        owner=counselor,
        goal="g",
        start_date=TODAY + dt.timedelta(days=3),
        created_by=counselor,
        today=TODAY,
    )
    assert plan.status == InterventionStatus.PLANNED


def test_it_rejects_an_owner_who_cannot_see_the_student():
    student, elsewhere = StudentFactory(), StudentFactory()
    outsider = member(COUNSELOR, elsewhere)
    with pytest.raises(ValidationError, match="can see this student"):
        support.intervention_start(
            student=student,
            intervention_type=mentoring(),
            tier=2,
            owner=outsider,
            goal="g",
            start_date=TODAY,
            created_by=outsider,
            today=TODAY,
        )
    assert not Intervention.objects.exists()


def test_owners_are_admins_and_the_staff_whose_caseload_covers_the_student():
    student = StudentFactory(school="North High", grade_level=9)
    by_school = member(COUNSELOR, username="by-school")
    AssignmentFactory(user=by_school, student=None, school="North High")
    by_grade = member(EDUCATOR, username="by-grade")
    AssignmentFactory(user=by_grade, student=None, school="North High", grade_level=9)
    other_grade = member(EDUCATOR, username="other-grade")
    AssignmentFactory(user=other_grade, student=None, school="North High", grade_level=10)
    alone = member(EDUCATOR, student, username="alone")
    admin = member("District administrator", username="admin")
    member(COUNSELOR, StudentFactory(), username="elsewhere")
    from students.access import users_who_see

    assert set(users_who_see(student).values_list("username", flat=True)) == {
        "by-school",
        "by-grade",
        "alone",
        "admin",
    }
    assert {by_school, by_grade, alone, admin} == set(users_who_see(student))
    assert other_grade not in users_who_see(student)


def test_a_check_in_keeps_the_newest_date_and_activates_a_planned_plan():
    plan = InterventionFactory(status="planned", start_date=dt.date(2025, 9, 1))
    author = plan.owner
    support.check_in_add(
        intervention=plan, author=author, date=dt.date(2025, 9, 20), progress=Progress.SOME
    )
    support.check_in_add(
        intervention=plan, author=author, date=dt.date(2025, 9, 10), progress=Progress.NONE
    )
    plan.refresh_from_db()
    assert plan.last_check_in == dt.date(2025, 9, 20)
    assert plan.status == InterventionStatus.ACTIVE
    assert plan.check_ins.count() == 2


def test_a_closed_plan_takes_no_check_in():
    plan = InterventionFactory(status="completed", ended_on=dt.date(2025, 10, 1))
    with pytest.raises(ValidationError, match="closed"):
        support.check_in_add(
            intervention=plan, author=plan.owner, date=TODAY, progress=Progress.ON_TRACK
        )


def test_closing_records_the_outcome_and_refuses_an_open_status():
    plan = InterventionFactory()
    with pytest.raises(ValidationError):
        support.intervention_close(intervention=plan, status="active", outcome="x", ended_on=TODAY)
    support.intervention_close(
        intervention=plan, status="discontinued", outcome="Moved away.", ended_on=TODAY
    )
    plan.refresh_from_db()
    assert (plan.status, plan.outcome, plan.ended_on) == ("discontinued", "Moved away.", TODAY)


@pytest.mark.parametrize(
    ("start", "last", "due"),
    [
        (dt.date(2025, 9, 1), None, True),  # 37 days since the start
        (dt.date(2025, 9, 25), None, False),  # 13 days
        (dt.date(2025, 9, 1), dt.date(2025, 9, 23), True),  # 15 days since the check-in
        (dt.date(2025, 9, 1), dt.date(2025, 9, 24), False),  # 14 days: not yet
    ],
)
def test_a_check_in_is_due_after_fourteen_days(start, last, due):
    plan = InterventionFactory(start_date=start, last_check_in=last)
    assert plan.is_due(TODAY, 14) is due
    in_sql = Intervention.objects.filter(support.due_condition(TODAY), pk=plan.pk).exists()
    assert in_sql is due


def test_the_check_in_interval_is_a_district_setting(settings):
    settings.EDUPULSE_CHECK_IN_DAYS = 7
    plan = InterventionFactory(start_date=TODAY - dt.timedelta(days=8))
    assert Intervention.objects.filter(support.due_condition(TODAY), pk=plan.pk).exists()


def test_a_closed_plan_is_never_due():
    plan = InterventionFactory(status="completed", start_date=dt.date(2025, 1, 6))
    assert not plan.is_due(TODAY, 14)
    assert not Intervention.objects.filter(support.due_condition(TODAY)).exists()


@pytest.mark.parametrize(
    ("factor", "domain"),
    [
        ("absences_30d", "attendance"),
        ("attendance_rate_30d", "attendance"),
        ("tardies_30d", "attendance"),
        ("longest_absence_streak", "attendance"),
        ("courses_failing", "course_performance"),
        ("gpa_change_6w", "course_performance"),
        ("incidents_severe", "behavior"),
        ("over_age", None),
    ],
)
def test_a_factor_maps_to_its_domain(factor, domain):
    assert support.domain_for_factor(factor) == domain


def test_every_change_to_a_note_is_in_the_audit_trail_with_who_made_it():
    student = StudentFactory()
    author = member(EDUCATOR, student)
    note = support.case_note_add(
        student=student,
        author=author,
        date=TODAY,
        text="First words.",
        visibility=NoteVisibility.EVERYONE,
    )
    note.text = "Corrected words."
    note._history_user = author
    note.save()
    note_id = note.pk
    note._history_user = author
    support.case_note_delete(note=note)

    history = CaseNote.history.filter(id=note_id).order_by("history_date")
    assert [h.history_type for h in history] == ["+", "~", "-"]
    assert [h.text for h in history] == ["First words.", "Corrected words.", "Corrected words."]
    assert not CaseNote.objects.filter(pk=note_id).exists()


def test_restricted_notes_are_for_counselors_and_administrators_only():
    student = StudentFactory()
    educator = member(EDUCATOR, student)
    counselor = member(COUNSELOR, student)
    for visibility in NoteVisibility.values:
        support.case_note_add(
            student=student, author=counselor, date=TODAY, text=visibility, visibility=visibility
        )
    assert [n.text for n in support.notes_for(educator, student)] == ["everyone"]
    own = support.case_note_add(
        student=student, author=educator, date=TODAY, text="mine", visibility="counselors"
    )
    assert own in support.notes_for(educator, student)  # an author reads their own note
    assert sorted(n.text for n in support.notes_for(counselor, student)) == [
        "counselors",
        "everyone",
        "mine",
    ]
