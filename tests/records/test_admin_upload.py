"""Staff upload district files from the admin: the same checks and report as import_csv."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from records.models import AttendanceRecord, ImportRun
from students.models import Student
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db
URL = "admin:records_importrun_upload"


def _file(name, text, encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_staff_upload_students_and_attendance(client, data_entry_user):
    client.force_login(data_entry_user)
    response = client.post(
        reverse(URL),
        {
            "students": _file(
                "x.csv", "district_id,first_name,last_name,date_of_birth\nU1,Ida,Wells,2012-07-16\n"
            ),
            "attendance": _file("y.csv", "district_id,date,status\nU1,2025-09-02,absent\n"),
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Imported." in response.content.decode()
    assert AttendanceRecord.objects.get().student.district_id == "U1"
    run = ImportRun.objects.get()
    assert (run.user, run.source) == (data_entry_user, "admin")


def test_a_file_with_errors_shows_the_row_level_report_and_writes_nothing(client, data_entry_user):
    StudentFactory(district_id="U1")
    client.force_login(data_entry_user)
    response = client.post(
        reverse(URL),
        {
            "attendance": _file(
                "a.csv",
                "district_id,date,status\nU1,2025-09-02,absent\nU1,2025-09-03,gone\nU9,2025-09-03,present\n",
            )
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Import refused: 2 problems found. Nothing was written." in html
    assert response.context["rejected"].problems[0].line == 3
    assert "gone" in html and "U9" in html
    assert AttendanceRecord.objects.count() == 0
    assert ImportRun.objects.count() == 0


def test_the_form_needs_at_least_one_file(client, data_entry_user):
    client.force_login(data_entry_user)
    response = client.post(reverse(URL), {})
    assert "Choose at least one file" in response.content.decode()


def test_each_record_list_links_to_the_upload_for_its_file(client, data_entry_user):
    client.force_login(data_entry_user)
    page = client.get(reverse("admin:records_attendancerecord_changelist")).content.decode()
    assert f"{reverse(URL)}?file=attendance" in page
    page = client.get(reverse("admin:students_student_changelist")).content.decode()
    assert f"{reverse(URL)}?file=students" in page


def test_a_user_without_add_permission_cannot_upload(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="pw-viewer-1", is_staff=True)
    client.force_login(viewer)
    assert client.get(reverse(URL)).status_code == 403
    response = client.post(reverse(URL), {"students": _file("s.csv", "district_id\n")})
    assert response.status_code == 403
    assert Student.objects.count() == 0


def test_the_page_offers_each_template_and_explains_the_format(client, data_entry_user):
    from records.csv_format import FORMATS

    client.force_login(data_entry_user)
    html = client.get(reverse("admin:records_importrun_upload")).content.decode()
    assert "docs/data-formats.md" not in html  # no path into the source tree
    for fmt in FORMATS:
        url = reverse("admin:records_importrun_template", args=[fmt.name])
        assert url in html
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="{fmt.filename}"'
        assert response.content.decode().strip().split(",") == list(fmt.column_names)
    assert "date, YYYY-MM-DD" in html and "<code>district_id</code>" in html
    assert client.get(reverse("admin:records_importrun_template", args=["nope"])).status_code == 404
