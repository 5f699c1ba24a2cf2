"""A small scored district and one login per role, for the page tests."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import Group

from mlmodels.models import ModelMetadata
from students.models import Assignment, Student
from students.roles import COUNSELOR, DATA_ENTRY, DISTRICT_ADMIN, EDUCATOR
from students.services import roles_sync
from tests.analytics.factories import StudentFeaturesFactory
from tests.mlmodels.factories import ModelMetadataFactory, PredictionFactory
from tests.records.factories import (
    AttendanceRecordFactory,
    DisciplineIncidentFactory,
    GradeFactory,
)
from tests.students.factories import StudentFactory, UserFactory

AS_OF = dt.date(2025, 10, 5)
PREVIOUS = AS_OF - dt.timedelta(days=7)
PASSWORD = "pw-test-1234"
SCHOOLS = ("North High", "South Middle")

FULL_METRICS = {
    "accuracy": 0.91,
    "precision": 0.62,
    "recall": 0.71,
    "f1_score": 0.66,
    "auc_roc": 0.87,
    "precision_at_k": {"k5": 0.81, "k10": 0.72, "k20": 0.55},
    "recall_at_k": {"k5": 0.3, "k10": 0.5, "k20": 0.7},
    "brier_score": 0.071,
    "ece": 0.021,
    "threshold": 0.5,
    "horizon_days": 90,
    "training_samples": 6000,
    "validation_samples": 1500,
    "train_as_of": ["2025-09-07", "2025-09-14"],
    "validate_as_of": "2025-09-28",
    "calibration": {
        "method": "isotonic",
        "bins": [
            {"predicted": (i + 0.5) / 10, "observed": (i + 0.4) / 10, "n": 50} for i in range(10)
        ],
    },
    "baseline": {
        "auc_roc": 0.74,
        "precision": 0.41,
        "precision_at_k": {"k5": 0.6, "k10": 0.5, "k20": 0.4},
        "calibration": {"bins": [{"predicted": 0.2, "observed": 0.3, "n": 80}]},
    },
    "fairness": {
        "gender": [
            {
                "group": "F",
                "n": 700,
                "base_rate": 0.1,
                "flagged_rate": 0.12,
                "false_positive_rate": 0.05,
                "false_negative_rate": 0.3,
                "precision": 0.6,
                "ratios": {
                    "flagged_rate": 1.0,
                    "false_positive_rate": 1.0,
                    "false_negative_rate": 1.0,
                    "precision": 1.0,
                },
                "flagged": [],
                "too_small": False,
            },
            {
                "group": "X",
                "n": 12,
                "base_rate": 0.2,
                "flagged_rate": 0.3,
                "false_positive_rate": 0.1,
                "false_negative_rate": 0.2,
                "precision": None,
                "ratios": {
                    "flagged_rate": 2.5,
                    "false_positive_rate": 2.0,
                    "false_negative_rate": 0.67,
                    "precision": None,
                },
                "flagged": ["flagged_rate", "false_positive_rate"],
                "too_small": True,
            },
        ],
    },
}


def factor(name: str, weight: float) -> dict:
    return {
        "factor": name,
        "weight": weight,
        "value": 0.61,
        "description": f"{name} is 0.61",
        "recommendation": f"Act on {name}",
    }


@dataclass
class District:
    model: ModelMetadata
    students: list[Student]
    north: list[Student]
    south: list[Student]


SCORES = (0.92, 0.81, 0.66, 0.55, 0.4, 0.3, 0.2, 0.1)


def category(score: float) -> str:
    return (
        "critical"
        if score >= 0.75
        else "high"
        if score >= 0.5
        else "medium"
        if score >= 0.25
        else "low"
    )


def build_district(size: int, records: bool = False) -> District:
    """`size` students over two schools, an active model with two weekly runs, features rows.

    Called again, it adds `size` more students scored by the same model.
    """
    if not ModelMetadata.objects.filter(model_version="xgb-1").exists():
        ModelMetadataFactory(model_version="abc-1", model_type="abc_rules", performance_metrics={})
        ModelMetadataFactory(
            model_version="xgb-1", is_active=True, performance_metrics=FULL_METRICS
        )
    model = ModelMetadata.objects.get(model_version="xgb-1")
    students = []
    for i in range(size):
        school = SCHOOLS[i % 2]
        student = StudentFactory(school=school, grade_level=9 + (i // 2) % 2)
        score = SCORES[i % len(SCORES)]
        before = score if i % 4 else 0.1  # every fourth student is newly high (if high now)
        factors = [
            factor("absences_30d", 0.3),
            factor("gpa_change_6w", 0.1),
            factor("tardies_30d", -0.05),
        ]
        if i % 3 == 0:
            factors = [factor("courses_failing", 0.4), *factors[:2]]
        PredictionFactory(
            student=student,
            model_version=model,
            as_of=PREVIOUS,
            risk_score=before,
            risk_category=category(before),
            risk_factors=factors,
        )
        PredictionFactory(
            student=student,
            model_version=model,
            as_of=AS_OF,
            risk_score=score,
            risk_category=category(score),
            risk_factors=factors,
        )
        for week in range(3):
            StudentFeaturesFactory(
                student=student,
                feature_date=AS_OF - dt.timedelta(weeks=week),
                attendance_rate=0.9 - 0.05 * week,
                gpa_current=3.0 - 0.1 * week,
            )
        if records:
            AttendanceRecordFactory(student=student, date=AS_OF - dt.timedelta(days=2))
            AttendanceRecordFactory(
                student=student, date=AS_OF - dt.timedelta(days=9), status="absent"
            )
            GradeFactory(student=student)
            DisciplineIncidentFactory(student=student)
        students.append(student)
    return District(
        model=model,
        students=students,
        north=[s for s in students if s.school == SCHOOLS[0]],
        south=[s for s in students if s.school == SCHOOLS[1]],
    )


@pytest.fixture
def district(db):
    return build_district(8, records=True)


def _user(username: str, role: str | None, *, is_staff: bool = False):
    roles_sync()
    user = UserFactory(username=username, is_staff=is_staff)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def district_admin(db):
    return _user("district-admin", DISTRICT_ADMIN, is_staff=True)


@pytest.fixture
def counselor(district):
    """A counselor whose caseload is the whole of North High."""
    user = _user("counselor", COUNSELOR)
    Assignment.objects.create(user=user, school=SCHOOLS[0])
    return user


@pytest.fixture
def educator(district):
    """An educator with two South Middle students assigned one by one."""
    user = _user("educator", EDUCATOR)
    for student in district.south[:2]:
        Assignment.objects.create(user=user, student=student)
    return user


@pytest.fixture
def staff(db):
    return _user("staff", DATA_ENTRY, is_staff=True)


def client_for(client, user):
    client.force_login(user)
    return client


# --- Browser tests (Playwright driving Debian's Chromium; see tests/web/test_browser.py) -----
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # `playwright install` cannot download a browser here: drive the distribution's Chromium.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
