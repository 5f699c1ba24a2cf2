import datetime as dt

import factory
from django.utils import timezone

from records.models import (
    AttendanceRecord,
    DisciplineIncident,
    Enrollment,
    Grade,
    ImportRun,
    StudentOutcome,
)
from tests.students.factories import StudentFactory


class AttendanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AttendanceRecord

    student = factory.SubFactory(StudentFactory)
    date = factory.Sequence(lambda n: dt.date(2025, 9, 1) + dt.timedelta(days=n))
    status = "present"
    period = None


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    school_year = "2025-2026"
    school = "Lincoln High"
    grade_level = 9
    entry_date = dt.date(2025, 8, 18)
    exit_date = None
    exit_reason = None


class GradeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grade

    student = factory.SubFactory(StudentFactory)
    course_id = "MATH-9"
    course_name = "Algebra I"
    grade_value = 84.5
    grade_letter = "B"
    submission_date = dt.date(2025, 9, 15)
    assignment_type = "quiz"


class DisciplineIncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DisciplineIncident

    student = factory.SubFactory(StudentFactory)
    incident_date = dt.date(2025, 10, 3)
    severity_level = 2
    incident_type = "disruption"
    description = "Repeatedly talked over the teacher."
    resolution = "Parent conference"


class StudentOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudentOutcome

    student = factory.SubFactory(StudentFactory)
    outcome_type = "failed"
    outcome_date = dt.date(2026, 6, 5)
    notes = "Failed Algebra I."


class ImportRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportRun

    started_at = factory.LazyFunction(timezone.now)
    source = "command"
    files = factory.LazyFunction(
        lambda: {"attendance.csv": {"rows": 3, "inserted": 3, "updated": 0, "unchanged": 0}}
    )
