"""Migration students 0006: existing free-text demographics become the controlled values."""

import importlib

import pytest
from django.apps import apps

from students.models import Student
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("students.migrations.0006_controlled_demographics")


def test_the_migration_maps_free_text_and_keeps_what_it_cannot_map():
    mapped = StudentFactory(gender="female", ethnicity="Hispanic", socioeconomic_status="FRL")
    odd = StudentFactory(gender="M", ethnicity="Martian", socioeconomic_status=None)

    migration.map_free_text(apps, None)

    mapped.refresh_from_db()
    odd.refresh_from_db()
    assert (mapped.gender, mapped.ethnicity, mapped.socioeconomic_status) == (
        "F",
        "Hispanic or Latino",
        "low_income",
    )
    assert (odd.gender, odd.ethnicity) == ("M", None)
    assert odd.student_metadata["ethnicity_as_recorded"] == "Martian"
    assert Student.objects.filter(ethnicity="Hispanic").count() == 0
