"""The admin as staff use it: every page answers, data entry works, every change is audited."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import StudentFeaturesRow
from records.models import AttendanceRecord
from students.models import Student
from tests.analytics.factories import StudentFeaturesFactory
from tests.mlmodels.factories import TrainingFeedbackFactory
from tests.records.factories import (
    AttendanceRecordFactory,
    GradeFactory,
)
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db


PROJECT_APPS = {"students", "records", "analytics", "mlmodels"}


def _admin_pages():
    return [(m, m._meta) for m in admin.site._registry if m._meta.app_label in PROJECT_APPS]


@pytest.mark.parametrize(("model", "opts"), _admin_pages(), ids=lambda v: getattr(v, "label", ""))
def test_every_admin_list_add_and_change_page_answers_200(
    client, superuser, one_of_everything, model, opts
):
    client.force_login(superuser)
    name = f"admin:{opts.app_label}_{opts.model_name}"

    assert client.get(reverse(f"{name}_changelist")).status_code == 200

    model_admin = admin.site._registry[model]
    add = client.get(reverse(f"{name}_add"))
    assert add.status_code == (200 if model_admin.has_add_permission(_request(superuser)) else 403)

    obj = model.objects.first()
    assert obj is not None
    assert client.get(reverse(f"{name}_change", args=[obj.pk])).status_code == 200
    assert client.get(reverse(f"{name}_history", args=[obj.pk])).status_code == 200


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    # The admin's index has the admin's login form; every other page, the site's login page
    # (settings.LOGIN_URL), which signs in to the same session and comes back.
    expected = {
        reverse("admin:index"): reverse("admin:login"),
        reverse("admin:students_student_changelist"): reverse("login"),
        "/": reverse("login"),
    }
    for url, login in expected.items():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{login}?next={url}")


def test_data_entry_staff_add_a_student_and_an_attendance_record(client, data_entry_user):
    client.force_login(data_entry_user)
    response = client.post(
        reverse("admin:students_student_add"),
        {
            "district_id": "D-100",
            "last_name": "Okafor",
            "first_name": "Chidi",
            "grade_level": "10",
            "date_of_birth": "2010-03-04",
            "enrollment_date": "2025-08-20",
            "student_metadata": "{}",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    student = Student.objects.get(district_id="D-100")

    response = client.post(
        reverse("admin:records_attendancerecord_add"),
        {"student": student.pk, "date": "2025-09-02", "period": "", "status": "absent"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = AttendanceRecord.objects.get(student=student)
    assert (str(record.date), record.period, record.status) == ("2025-09-02", None, "absent")


def test_the_admin_refuses_a_duplicate_whole_day_attendance_record(client, data_entry_user):
    record = AttendanceRecordFactory(period=None)
    client.force_login(data_entry_user)
    response = client.post(
        reverse("admin:records_attendancerecord_add"),
        {"student": record.student.pk, "date": str(record.date), "period": "", "status": "tardy"},
    )
    assert response.status_code == 200
    assert "already has an attendance record for that date and period" in str(
        response.context["adminform"].form.errors
    )
    assert AttendanceRecord.objects.count() == 1


def test_an_edit_in_the_admin_appears_in_the_history_with_the_editors_name(client, data_entry_user):
    student = StudentFactory(gpa=3.0, grade_level=9)
    client.force_login(data_entry_user)
    url = reverse("admin:students_student_change", args=[student.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(gpa="2.5", student_metadata="{}", date_of_birth="2010-05-17")
    data["enrollment_date"] = "2025-08-20"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    latest = student.history.first()
    assert latest.history_user == data_entry_user
    assert latest.history_type == "~"
    assert [c.field for c in latest.diff_against(latest.prev_record).changes] == ["gpa"]

    page = client.get(reverse("admin:students_student_history", args=[student.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "clerk" in html
    assert "3.0" in html and "2.5" in html  # the change, old and new value


def test_deleting_a_record_in_the_admin_is_audited(client, data_entry_user):
    record = GradeFactory()
    client.force_login(data_entry_user)
    response = client.post(reverse("admin:records_grade_delete", args=[record.pk]), {"post": "yes"})
    assert response.status_code == 302
    deleted = record.history.model.objects.get(id=record.pk, history_type="-")
    assert deleted.history_user == data_entry_user


def test_the_student_page_shows_recent_records_and_links_to_the_full_lists(client, superuser):
    student = StudentFactory()
    AttendanceRecordFactory.create_batch(25, student=student, status="absent")
    GradeFactory(student=student, course_id="BIO-10")
    client.force_login(superuser)

    response = client.get(reverse("admin:students_student_change", args=[student.pk]))

    html = response.content.decode()
    assert html.count("<td>Absent</td>") == 10  # the newest ten, not all 25
    assert "BIO-10" in html
    assert f"?student__id__exact={student.pk}" in html


def test_the_student_page_costs_the_same_queries_however_many_records(client, superuser):
    small, large = StudentFactory(), StudentFactory()
    AttendanceRecordFactory(student=small)
    AttendanceRecordFactory.create_batch(120, student=large)
    client.force_login(superuser)

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("admin:students_student_change", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("admin:students_student_change", args=[large.pk]))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_student_filtered_attendance_list_shows_only_that_student(client, superuser):
    mine, other = AttendanceRecordFactory(), AttendanceRecordFactory()
    client.force_login(superuser)
    url = reverse("admin:records_attendancerecord_changelist")
    response = client.get(url, {"student__id__exact": str(mine.student.pk)})
    assert list(response.context["cl"].result_list) == [mine]
    assert other not in response.context["cl"].result_list


def test_attendance_search_finds_a_student_by_district_id(client, superuser):
    mine = AttendanceRecordFactory(student__district_id="X-777")
    AttendanceRecordFactory()
    client.force_login(superuser)
    response = client.get(reverse("admin:records_attendancerecord_changelist"), {"q": "x-777"})
    assert list(response.context["cl"].result_list) == [mine]


def test_the_student_autocomplete_finds_by_name_start(client, data_entry_user):
    wanted = StudentFactory(last_name="Nakamura", district_id="J-1")
    StudentFactory(last_name="Smith")
    client.force_login(data_entry_user)
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "naka",
            "app_label": "records",
            "model_name": "attendancerecord",
            "field_name": "student",
        },
    )
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(wanted.pk)]


def test_date_range_filter_limits_the_attendance_list(client, superuser):
    early = AttendanceRecordFactory(date="2025-09-01")
    AttendanceRecordFactory(date="2025-11-01")
    client.force_login(superuser)
    response = client.get(
        reverse("admin:records_attendancerecord_changelist"),
        {"date__range__gte": "2025-08-25", "date__range__lte": "2025-09-30"},
    )
    assert list(response.context["cl"].result_list) == [early]


def test_feature_rows_are_read_only_in_the_admin(client, data_entry_user):
    row = StudentFeaturesFactory()
    client.force_login(data_entry_user)
    view_row = StudentFeaturesRow.objects.get(student_id=row.student_id)
    url = reverse("admin:analytics_studentfeaturesrow_change", args=[view_row.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "0.85" in page.content.decode()
    assert client.get(reverse("admin:analytics_studentfeaturesrow_add")).status_code == 403
    assert client.post(url, {}).status_code == 403


def test_data_entry_staff_cannot_change_predictions(client, data_entry_user):
    feedback = TrainingFeedbackFactory()
    client.force_login(data_entry_user)
    url = reverse("admin:mlmodels_prediction_change", args=[feedback.prediction.pk])
    assert client.get(url).status_code == 200  # may read
    assert client.post(url, {"risk_score": "0.1"}).status_code == 403
    assert client.get(reverse("admin:mlmodels_prediction_add")).status_code == 403


def test_the_date_hierarchy_of_a_large_table_needs_no_scan_of_every_row(client, superuser):
    AttendanceRecordFactory(date="2025-09-01")
    AttendanceRecordFactory(date="2026-01-05")
    client.force_login(superuser)
    url = reverse("admin:records_attendancerecord_changelist")

    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    months = client.get(url, {"date__year": "2025"}).content.decode()

    assert "?date__year=2025" in html and "?date__year=2026" in html
    assert "date__month=9" in months
    scans = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    assert not [sql for sql in scans if "attendance_records" in sql]
