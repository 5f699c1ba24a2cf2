"""The student admin: School field, column and filter; readable dates on the add form; name
prefix search; the grade filter's K; names without control characters; record lists' grade."""

import re

import pytest
from django.urls import reverse

from students.models import Student
from tests.records.factories import AttendanceRecordFactory
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

FORM = {
    "district_id": "S-NEW-1",
    "last_name": "Okafor",
    "first_name": "Ada",
    "school": "North High",
    "grade_level": "9",
    "date_of_birth": "2010-03-04",
    "enrollment_date": "2025-08-20",
    "student_metadata": "{}",
}


def test_the_add_form_has_a_school_and_saves_it(client, superuser):
    client.force_login(superuser)
    add = client.get(reverse("admin:students_student_add")).content.decode()
    assert 'name="school"' in add
    response = client.post(reverse("admin:students_student_add"), FORM)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Student.objects.get(district_id="S-NEW-1").school == "North High"


def test_the_add_form_shows_no_database_default_object(client, superuser):
    client.force_login(superuser)
    add = client.get(reverse("admin:students_student_add")).content.decode()
    assert "DatabaseDefault" not in add
    assert "set when saved" in add
    student = StudentFactory()
    change = client.get(reverse("admin:students_student_change", args=[student.pk]))
    assert "DatabaseDefault" not in change.content.decode()


def test_the_list_has_a_school_column_and_filter(client, superuser):
    StudentFactory(school="North High", last_name="Inn")
    StudentFactory(school="South Middle", last_name="Out")
    client.force_login(superuser)
    url = reverse("admin:students_student_changelist")
    html = client.get(url).content.decode()
    assert "column-school" in html and "?school=North+High" in html
    filtered = client.get(url, {"school": "North High"}).content.decode()
    assert "Inn" in filtered and ">Out<" not in filtered


def test_search_matches_the_start_of_a_name_and_a_district_id(client, superuser):
    StudentFactory(last_name="Fitzgerald", first_name="Ella", district_id="S-77")
    StudentFactory(last_name="Smith", first_name="John", district_id="S-78")
    client.force_login(superuser)
    url = reverse("admin:students_student_changelist")
    for term in ("fitz", "Ell", "S-77", "Fitzgerald Ella"):
        html = client.get(url, {"q": term}).content.decode()
        assert "Fitzgerald" in html and "Smith" not in html, term


def test_the_grade_filter_says_k_as_the_list_does(client, superuser):
    StudentFactory(grade_level=0, last_name="Kinder")
    StudentFactory(grade_level=3, last_name="Third")
    client.force_login(superuser)
    url = reverse("admin:students_student_changelist")
    html = client.get(url).content.decode()
    assert re.search(r'<a href="\?grade_level=0"[^>]*>\s*K\s*</a>', html)
    kinder = client.get(url, {"grade_level": "0"}).content.decode()
    assert "Kinder" in kinder and "Third" not in kinder
    attendance = client.get(reverse("admin:records_attendancerecord_changelist")).content
    assert re.search(rb'<a href="\?student__grade_level=0"[^>]*>\s*K\s*</a>', attendance)
    AttendanceRecordFactory(student=Student.objects.get(last_name="Kinder"))


@pytest.mark.parametrize("bad", ["Ada\x00", "Ada\u202eevil", "Ada\nLine", "\x1bAda"])
def test_the_form_refuses_control_characters_in_names(client, superuser, bad):
    client.force_login(superuser)
    response = client.post(reverse("admin:students_student_add"), {**FORM, "first_name": bad})
    assert response.status_code == 200
    html = response.content.decode()
    # NUL is refused by Django's own field ("Null characters are not allowed").
    assert "control character" in html or "Null characters are not allowed" in html
    assert not Student.objects.filter(district_id="S-NEW-1").exists()


def test_record_lists_read_the_date_span_and_the_search_through_indexes(client, superuser):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    kinder = StudentFactory(last_name="Kinder", district_id="K-1")
    AttendanceRecordFactory(student=kinder, date="2025-09-01")
    AttendanceRecordFactory(student=kinder, date="2025-10-03")
    AttendanceRecordFactory(date="2025-09-15")
    client.force_login(superuser)
    url = reverse("admin:records_attendancerecord_changelist")
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    # One probe at each end of the date index, not MIN() and MAX() in one scan.
    assert not [q for q in queries if "MIN(" in q["sql"] and "MAX(" in q["sql"]]
    assert "2025" in html and "date__year=2025" in html
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"q": "kind"})
    assert len(response.context["cl"].result_list) == 2
    listed = [q["sql"] for q in queries if 'FROM "attendance_records"' in q["sql"]]
    # Rows of the matching students (`student_id IN (...)`), not every row joined to its student.
    assert listed and all('"student_id" IN (SELECT' in sql for sql in listed)
