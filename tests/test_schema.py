"""The database matches the schema document (../shared/seed/schema.md) on either database."""

import datetime as dt
import uuid

import pytest
from django.db import connection

from analytics.models import StudentFeatures
from mlmodels.models import Prediction, TrainingFeedback
from records.models import AttendanceRecord, DisciplineIncident, Enrollment, Grade, StudentOutcome
from students.models import CaseNote, CheckIn, Intervention, Student
from tests.mlmodels.factories import PredictionFactory, TrainingFeedbackFactory
from tests.records.factories import (
    AttendanceRecordFactory,
)
from tests.students.factories import InterventionFactory, StudentFactory

pytestmark = pytest.mark.django_db

# Every index of the schema document, by table: name -> columns.
DOCUMENT_INDEXES = {
    "students": {
        "idx_students_district_id": ["district_id"],
        "idx_students_grade_level": ["grade_level"],
        "idx_students_enrollment_date": ["enrollment_date"],
        "idx_students_created_at": ["created_at"],
    },
    "attendance_records": {
        "idx_attendance_student_date": ["student_id", "date"],
        "idx_attendance_date_status": ["date", "status"],
        "idx_attendance_status": ["status"],
    },
    "grades": {
        "idx_grades_student_course": ["student_id", "course_id"],
        "idx_grades_submission_date": ["submission_date"],
        "idx_grades_course_id": ["course_id"],
        "idx_grades_assignment_type": ["assignment_type"],
    },
    "discipline_incidents": {
        "idx_discipline_student_date": ["student_id", "incident_date"],
        "idx_discipline_severity": ["severity_level"],
        "idx_discipline_type": ["incident_type"],
    },
    "student_features": {
        "idx_features_date": ["feature_date"],
        "idx_features_student_date": ["student_id", "feature_date"],
    },
    "predictions": {
        "idx_predictions_student": ["student_id"],
        "idx_predictions_date": ["prediction_date"],
        "idx_predictions_risk_category": ["risk_category"],
        "idx_predictions_model_version": ["model_version"],
    },
    "training_feedback": {
        "idx_feedback_prediction": ["prediction_id"],
        "idx_feedback_type": ["feedback_type"],
        "idx_feedback_outcome_date": ["outcome_date"],
    },
    "model_metadata": {
        "idx_model_version": ["model_version"],
        "idx_model_active": ["is_active"],
        "idx_model_training_date": ["training_date"],
    },
}


def _db_uuid(value: uuid.UUID):
    """A UUID as this database stores it (native on PostgreSQL, 32 hex digits on SQLite)."""
    return Student._meta.pk.get_db_prep_value(value, connection)


def _constraints(table):
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


@pytest.mark.parametrize(
    ("table", "name", "columns"),
    [(t, n, c) for t, indexes in DOCUMENT_INDEXES.items() for n, c in indexes.items()],
)
def test_every_document_index_exists_by_name(table, name, columns):
    constraints = _constraints(table)
    assert name in constraints, f"{table} lacks index {name}"
    assert constraints[name]["index"]
    assert constraints[name]["columns"] == columns


def test_student_features_primary_key_is_student_and_date():
    primary = [c["columns"] for c in _constraints("student_features").values() if c["primary_key"]]
    assert len(primary) == 1
    if connection.vendor == "sqlite":
        # SQLite's introspection lists key columns in table order, not key order.
        assert set(primary[0]) == {"student_id", "feature_date"}
    else:
        assert primary[0] == ["student_id", "feature_date"]


def test_table_names_are_the_documents():
    tables = set(connection.introspection.table_names())
    assert {
        "students",
        "attendance_records",
        "grades",
        "discipline_incidents",
        "student_features",
        "predictions",
        "training_feedback",
        "model_metadata",
        "student_outcomes",
    } <= tables


@pytest.mark.django_db(transaction=True)
def test_deleting_a_student_in_plain_sql_cascades_in_the_database(one_of_everything):
    """ON DELETE CASCADE is in the database itself, not only emulated by Django's ORM."""
    student = one_of_everything
    other = AttendanceRecordFactory()

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM students WHERE id = %s", [_db_uuid(student.pk)])

    for model in (
        Enrollment,
        AttendanceRecord,
        Grade,
        DisciplineIncident,
        StudentOutcome,
        StudentFeatures,
        Prediction,
    ):
        assert not model.objects.filter(student_id=student.pk).exists(), model.__name__
    assert TrainingFeedback.objects.count() == 0
    for model in (Intervention, CaseNote):
        assert not model.objects.filter(student_id=student.pk).exists(), model.__name__
    assert CheckIn.objects.count() == 0
    assert AttendanceRecord.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_deleting_a_prediction_in_plain_sql_unlinks_its_interventions():
    """The weekly scoring deletes a leaver's predictions with plain SQL: an intervention they
    prompted stays, no longer linked (ON DELETE SET NULL in the database)."""
    prediction = PredictionFactory()
    plan = InterventionFactory(student=prediction.student, prediction=prediction)

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM predictions WHERE id = %s", [_db_uuid(prediction.pk)])

    plan.refresh_from_db()
    assert plan.prediction_id is None


def test_deleting_a_student_through_the_orm_cascades():
    student = StudentFactory()
    AttendanceRecordFactory(student=student)
    TrainingFeedbackFactory(prediction__student=student)

    student.delete()

    assert AttendanceRecord.objects.count() == 0
    assert Prediction.objects.count() == 0
    assert TrainingFeedback.objects.count() == 0


def _column_type(table, column):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT data_type FROM information_schema.columns "
                "WHERE table_name = %s AND column_name = %s",
                [table, column],
            )
            return cursor.fetchone()[0]
        description = connection.introspection.get_table_description(cursor, table)
        return next(c.type_code for c in description if c.name == column)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("students", "student_metadata"),
        ("student_features", "feature_vector"),
        ("predictions", "risk_factors"),
        ("model_metadata", "performance_metrics"),
        ("model_metadata", "hyperparameters"),
    ],
)
def test_json_columns_are_jsonb_on_postgresql_and_json_text_on_sqlite(table, column):
    expected = {"postgresql": "jsonb", "sqlite": "text"}[connection.vendor]
    assert _column_type(table, column).lower() == expected


def test_id_columns_are_uuid_on_postgresql():
    expected = {"postgresql": "uuid", "sqlite": "char(32)"}[connection.vendor]
    for table in ("students", "attendance_records", "grades", "predictions", "model_metadata"):
        assert _column_type(table, "id").lower() == expected, table


def test_database_defaults_fill_a_row_inserted_with_plain_sql():
    """Bulk loads insert with plain SQL: the document's defaults must come from the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO students (id, district_id, first_name, last_name, date_of_birth) "
            "VALUES (%s, 'RAW-1', 'Ada', 'Raw', %s)",
            [_db_uuid(uuid.UUID(int=1)), dt.date(2011, 1, 2)],
        )
    student = Student.objects.get(district_id="RAW-1")
    assert student.enrollment_date is not None
    assert student.student_metadata == {}
    assert student.created_at is not None
    assert student.updated_at is not None


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("students", "gpa"),
        ("students", "attendance_rate"),
        ("grades", "grade_value"),
        ("student_features", "gpa_current"),
        ("predictions", "risk_score"),
        ("predictions", "confidence"),
    ],
)
def test_real_columns_are_four_byte_reals_as_documented(table, column):
    assert _column_type(table, column).lower() == "real"
