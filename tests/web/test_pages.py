"""Attendance trends, model performance, login and logout."""

import pytest
from django.urls import reverse

from mlmodels.models import ModelMetadata
from tests.mlmodels.factories import ModelMetadataFactory
from tests.records.factories import AttendanceRecordFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import FULL_METRICS, client_for

pytestmark = pytest.mark.django_db


def test_attendance_trends_by_grade_band_and_week(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("attendance_trends"))
    assert response.status_code == 200
    rows = response.context["rows"]
    # Each student has one present record (week of AS_OF) and one absent (the week before);
    # grades 9 and 10 are both in the band 9-12.
    assert {(r["band"], r["present_count"], r["total_records"]) for r in rows} == {
        ("9-12", 0, 8),
        ("9-12", 8, 8),
    }
    assert 'data-chart="attendance-trends"' in response.content.decode()
    assert response.context["weeks"] == 8


def test_attendance_trends_fold_days_into_monday_to_sunday_weeks(client, superuser):
    grade_9, grade_6 = StudentFactory(grade_level=9), StudentFactory(grade_level=6)
    days = {
        "2025-09-22": "present",  # Monday
        "2025-09-24": "absent",  # Wednesday
        "2025-09-28": "present",  # Sunday: still the week of Monday the 22nd
        "2025-09-29": "tardy",  # Monday: the next week
    }
    for day, status in days.items():
        AttendanceRecordFactory(student=grade_9, date=day, status=status)
    AttendanceRecordFactory(student=grade_6, date="2025-09-23", status="present")
    rows = client_for(client, superuser).get(reverse("attendance_trends")).context["rows"]
    assert [(str(r["week"]), r["band"], r["total_records"], r["present_count"]) for r in rows] == [
        ("2025-09-22", "6-8", 1, 1),
        ("2025-09-22", "9-12", 3, 2),
        ("2025-09-29", "9-12", 1, 0),
    ]
    assert rows[1]["percent"] == "66.7%"


def test_attendance_trends_cover_only_the_students_in_reach(client, district, educator):
    rows = client_for(client, educator).get(reverse("attendance_trends")).context["rows"]
    assert sum(r["total_records"] for r in rows) == 4  # two students, two records each


def test_attendance_window_is_choosable(client, district, district_admin):
    c = client_for(client, district_admin)
    assert c.get(reverse("attendance_trends"), {"weeks": 1}).context["weeks"] == 8  # not offered
    one_week = c.get(reverse("attendance_trends"), {"weeks": 4}).context
    assert one_week["weeks"] == 4


def test_model_page_shows_metrics_beside_the_baseline(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("model_performance"))
    assert response.status_code == 200
    html = response.content.decode()
    view = response.context["models"][0]
    assert view["model"].model_version == "xgb-1"  # the active one first
    auc = next(r for r in view["rows"] if r["label"] == "AUC-ROC")
    assert (auc["model"], auc["baseline"]) == (0.87, 0.74)
    assert [k["precision"] for k in view["k_rows"]] == [0.81, 0.72, 0.55]
    assert 'data-chart="calibration-xgb-1"' in html and 'data-chart="precision-at-k-xgb-1"' in html
    assert "2 groups flagged" not in html and "1 group flagged" in html
    assert "(too small)" in html


def test_model_page_warns_of_a_model_behind_the_abc_rules(client, district, district_admin):
    page = client_for(client, district_admin)
    assert "worse than the ABC rules" not in page.get(reverse("model_performance")).content.decode()
    ModelMetadata.objects.filter(model_version="xgb-1").update(
        performance_metrics={**FULL_METRICS, "auc_roc": 0.70}
    )
    html = page.get(reverse("model_performance")).content.decode()
    assert "worse than the ABC rules did on the same students (AUC 0.700 against 0.740)" in html
    assert "It was activated anyway" in html


@pytest.mark.parametrize(
    "metrics",
    [
        {},
        {"auc_roc": 0.7},
        {"calibration": None, "fairness": {"gender": "oops"}, "baseline": 3},
        {"precision_at_k": {"k5": None}, "calibration": {"bins": [{"predicted": None}]}},
    ],
)
def test_model_page_renders_old_and_partial_metrics(client, db, district_admin, metrics):
    ModelMetadataFactory(performance_metrics=metrics)
    response = client_for(client, district_admin).get(reverse("model_performance"))
    assert response.status_code == 200


def test_the_feedback_window_is_choosable(client, district, district_admin):
    c = client_for(client, district_admin)
    assert c.get(reverse("model_performance"), {"window": "all"}).context["window"] == "all"
    assert c.get(reverse("model_performance"), {"window": "7"}).context["window"] == "30"


def test_the_home_page_is_the_dashboard_behind_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_user_logs_in_and_out(client, district, counselor):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and "Sign in" in page.content.decode()
    response = client.post(reverse("login"), {"username": "counselor", "password": "pw-test-1234"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert client.get("/").status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused(client, district, counselor):
    response = client.post(reverse("login"), {"username": "counselor", "password": "nope"})
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()


def test_the_admin_still_works(client, district, district_admin):
    assert client_for(client, district_admin).get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:students_assignment_changelist")).status_code == 200
    assert client.get(reverse("admin:students_assignment_add")).status_code == 200
    assert client.get(reverse("admin:auth_user_change", args=[district_admin.pk])).status_code in (
        200,
        403,
    )


def test_assets_are_served_by_the_project(client, district, district_admin):
    html = client_for(client, district_admin).get("/").content.decode()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert client.get("/static/edupulse/app.css").status_code == 200
