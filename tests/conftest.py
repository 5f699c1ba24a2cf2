import datetime as dt

import pytest
from django.db import connection

from analytics import access_log, district_settings
from analytics.models import AccessPage, DistrictSettings
from records.synthetic import DistrictSpec, generate_district
from students.roles import DATA_ENTRY
from students.services import roles_sync
from tests.analytics.factories import StudentFeaturesFactory
from tests.mlmodels.factories import TrainingFeedbackFactory
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    EnrollmentFactory,
    GradeFactory,
    ImportRunFactory,
    StudentOutcomeFactory,
)
from tests.students.factories import (
    AssignmentFactory,
    CaseNoteFactory,
    CheckInFactory,
    InterventionFactory,
    StudentFactory,
)


def pytest_report_header(config):
    settings = connection.settings_dict
    where = (
        settings["NAME"]
        if connection.vendor == "sqlite"
        else f"{settings['HOST']}:{settings['PORT']}"
    )
    return f"database: {connection.vendor} ({where})"


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "pw-root-1234")


@pytest.fixture
def data_entry_user(django_user_model, db):
    roles_sync()
    user = django_user_model.objects.create_user("clerk", password="pw-clerk-1234", is_staff=True)
    user.groups.add(user.groups.model.objects.get(name=DATA_ENTRY))
    return user


SMALL = DistrictSpec(students=40, schools=3, start=dt.date(2025, 8, 18), school_days=25, seed=7)


@pytest.fixture(scope="session")
def small_district(tmp_path_factory):
    """A generated 40-student, 25-day district in the interchange format (made once)."""
    folder = tmp_path_factory.mktemp("district")
    generate_district(SMALL, folder, folder / "truth" / "true_risk.csv")
    return folder


@pytest.fixture
def one_of_everything():
    """A student with one row of every kind that hangs off a student (an assignment to a
    counselor's caseload, an intervention with a check-in and a case note, and a record of
    access included), an import run, and the district settings' one row (at their defaults)."""
    student = StudentFactory()
    EnrollmentFactory(student=student)
    AttendanceRecordFactory(student=student)
    GradeFactory(student=student)
    DisciplineIncidentFactory(student=student)
    StudentOutcomeFactory(student=student)
    StudentFeaturesFactory(student=student)
    TrainingFeedbackFactory(prediction__student=student)
    AssignmentFactory(student=student)
    CheckInFactory(intervention=InterventionFactory(student=student))
    CaseNoteFactory(student=student)
    ImportRunFactory()
    DistrictSettings.objects.create()
    access_log.write([access_log.entry(page=AccessPage.STUDENT_PAGE, students=[student.pk])])
    return student


@pytest.fixture(autouse=True)
def _fresh_district_settings():
    """Each test reads the district settings of its own database (a row saved by an earlier
    test was rolled back with it)."""
    district_settings.clear()
    yield
    district_settings.clear()
