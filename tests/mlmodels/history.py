"""A made-up district history for the model tests: feature rows whose risk is known.

Each student has a hidden risk r; their attendance and failing courses follow r, and within a
few weeks after each as-of date they fail a course (an adverse outcome) with probability r.
Built with bulk inserts: fast on both databases.
"""

import datetime as dt

import numpy as np

from analytics.features import FEATURE_NAMES
from analytics.models import StudentFeatures
from records.models import AttendanceRecord, StudentOutcome
from students.models import Student


def features(**values) -> dict:
    """A feature document: every named feature (an ordinary student), overridden by `values`."""
    named = dict.fromkeys(FEATURE_NAMES, 0.0)
    named.update(
        attendance_rate_ytd=0.97,
        attendance_rate_30d=0.97,
        gpa_current=3.0,
        lowest_course_average=80.0,
        days_since_last_incident=None,
        overage_years=0.2,
        weeks_of_data=10.0,
        data_quality=1.0,
    )
    named.update(values)
    return {"metadata": {"weeks_of_data": 10, "data_quality": named["data_quality"]},
            "features": named}  # fmt: skip


def make_history(dates: list[dt.date], students: int = 600, horizon: int = 28, seed: int = 3):
    """Students with feature rows on `dates`, outcomes, and attendance up to the last date +
    horizon (so every window is over). Returns the students' hidden risks by id."""
    rng = np.random.default_rng(seed)
    risk = rng.beta(0.6, 3.0, students)
    people = Student.objects.bulk_create(
        Student(
            district_id=f"H{i:05d}",
            first_name="Test",
            last_name=f"Student{i}",
            grade_level=int(rng.integers(0, 13)),
            gender=str(rng.choice(["F", "M"])),
            ethnicity=str(rng.choice(["A", "B", "C"], p=[0.6, 0.3, 0.1])),
            socioeconomic_status=str(rng.choice(["low_income", "not_low_income"])),
            date_of_birth=dt.date(2012, 1, 1),
            enrollment_date=dt.date(2020, 8, 20),
        )
        for i in range(students)
    )
    rows, outcomes = [], []
    for day in dates:
        for person, r in zip(people, risk, strict=True):
            attendance = float(np.clip(0.99 - 0.5 * r + rng.normal(0, 0.03), 0, 1))
            failing = float(rng.binomial(3, min(r * 1.5, 1)))
            rows.append(
                StudentFeatures(
                    student=person,
                    feature_date=day,
                    attendance_rate=attendance,
                    feature_vector=features(
                        attendance_rate_ytd=attendance,
                        attendance_rate_30d=attendance,
                        absences_30d=float(round((1 - attendance) * 20)),
                        courses_failing=failing,
                    ),
                )
            )
    StudentFeatures.objects.bulk_create(rows, batch_size=2000)
    # After each date, with probability r, the student fails a course within the horizon.
    for person, r in zip(people, risk, strict=True):
        days = {
            day + dt.timedelta(days=int(rng.integers(1, horizon + 1)))
            for day in dates
            if rng.random() < r
        }
        outcomes += [
            StudentOutcome(student=person, outcome_type="failed", outcome_date=day)
            for day in sorted(days)
        ]
    StudentOutcome.objects.bulk_create(outcomes)
    AttendanceRecord.objects.create(
        student=people[0], date=max(dates) + dt.timedelta(days=horizon), status="present"
    )
    return {str(p.pk): r for p, r in zip(people, risk, strict=True)}
