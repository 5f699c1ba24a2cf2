import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from students.models import Student
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("grade_level", -1),
        ("grade_level", 13),
        ("gpa", -0.1),
        ("gpa", 4.01),
        ("attendance_rate", -0.01),
        ("attendance_rate", 1.01),
    ],
)
def test_it_rejects_an_out_of_range_value(field, value):
    with pytest.raises(IntegrityError, match=f"students_{field}_check|CHECK"), transaction.atomic():
        StudentFactory(**{field: value})


@pytest.mark.parametrize(
    ("field", "value"),
    [("grade_level", 0), ("grade_level", 12), ("gpa", 0), ("gpa", 4.0), ("attendance_rate", 1.0)],
)
def test_it_accepts_the_range_bounds(field, value):
    student = StudentFactory(**{field: value})
    student.refresh_from_db()
    assert getattr(student, field) == value


def test_it_accepts_null_in_checked_nullable_columns():
    student = StudentFactory(grade_level=None, gpa=None, attendance_rate=None)
    student.refresh_from_db()
    assert (student.grade_level, student.gpa, student.attendance_rate) == (None, None, None)


def test_it_rejects_a_duplicate_district_id():
    StudentFactory(district_id="D-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(district_id="D-1")


@pytest.mark.parametrize("field", ["first_name", "last_name", "date_of_birth", "district_id"])
def test_it_rejects_a_missing_required_value(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentFactory(**{field: None})


def test_enrollment_date_defaults_to_today_in_the_database():
    student = Student.objects.create(
        district_id="D-2", first_name="A", last_name="B", date_of_birth=dt.date(2012, 1, 1)
    )
    student.refresh_from_db()
    with connection.cursor() as cursor:
        cursor.execute("SELECT CURRENT_DATE")
        today = cursor.fetchone()[0]
    assert str(student.enrollment_date) == str(today)


def test_student_metadata_round_trips_nested_json():
    metadata = {
        "school": "Lincoln High",
        "programs": ["ELL", "504"],
        "flags": {"iep": True, "n": 2},
    }
    student = StudentFactory(student_metadata=metadata)
    assert Student.objects.get(pk=student.pk).student_metadata == metadata
    assert Student.objects.filter(student_metadata__flags__iep=True).count() == 1


def test_updated_at_changes_on_every_orm_update():
    student = StudentFactory()
    before = Student.objects.get(pk=student.pk).updated_at
    student.gpa = 2.0
    student.save()
    assert Student.objects.get(pk=student.pk).updated_at > before


@pytest.mark.django_db(transaction=True)
def test_updated_at_changes_on_a_set_based_update():
    """A queryset update (as the CSV import does) bypasses auto_now; the trigger covers it."""
    student = StudentFactory()
    before = Student.objects.get(pk=student.pk).updated_at
    Student.objects.filter(pk=student.pk).update(gpa=1.5)
    after = Student.objects.get(pk=student.pk).updated_at
    assert after > before


def test_str_names_the_student_but_log_label_does_not():
    student = StudentFactory(first_name="Maria", last_name="Lopez", district_id="D-9")
    assert "Lopez" in str(student)
    assert "Maria" not in student.log_label and "Lopez" not in student.log_label
    assert str(student.pk) in student.log_label
