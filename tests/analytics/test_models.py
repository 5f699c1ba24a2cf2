import pytest

from analytics.models import StudentFeatures, StudentFeaturesRow
from tests.analytics.factories import StudentFeaturesFactory
from tests.helpers import assert_rejected

pytestmark = pytest.mark.django_db


def _rejects_features(**kwargs):
    assert_rejected(StudentFeaturesFactory, **kwargs)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attendance_rate", -0.1),
        ("attendance_rate", 1.1),
        ("gpa_current", -1),
        ("gpa_current", 5.1),
        ("discipline_incidents", -1),
    ],
)
def test_it_rejects_an_out_of_range_value(field, value):
    _rejects_features(**{field: value})


def test_it_rejects_a_second_row_for_the_same_student_and_date():
    row = StudentFeaturesFactory()
    _rejects_features(student=row.student, feature_date=row.feature_date)


def test_discipline_incidents_default_to_zero():
    row = StudentFeaturesFactory(discipline_incidents=0)
    assert StudentFeatures.objects.get(pk=row.pk).discipline_incidents == 0


def test_the_feature_vector_round_trips_the_document_structure():
    row = StudentFeaturesFactory()
    stored = StudentFeatures.objects.get(pk=(row.student_id, row.feature_date)).feature_vector
    assert stored == row.feature_vector
    assert stored["metadata"]["data_quality"] == 0.95


def test_the_admin_view_shows_each_feature_row_once_with_a_single_key():
    row = StudentFeaturesFactory()
    StudentFeaturesFactory(student=row.student, feature_date="2025-10-12")
    view_rows = StudentFeaturesRow.objects.filter(student_id=row.student_id)
    assert view_rows.count() == 2
    first = view_rows.get(feature_date=row.feature_date)
    assert first.id.endswith(":2025-10-05")
    assert first.feature_vector == row.feature_vector
