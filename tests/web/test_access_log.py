"""The record of access: every page that shows a student's records writes who, when, which
students and from where; administrators read it in the admin; nobody edits it."""

import pytest
from django.db import IntegrityError, connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import access_log
from analytics.models import AccessedStudent, AccessEntry, AccessPage
from records.models import AttendanceRecord

pytestmark = pytest.mark.django_db


def _entries(page):
    return list(AccessEntry.objects.filter(page=page))


def _student_ids(entry):
    return set(entry.students.values_list("student_id", flat=True))


def test_the_student_page_records_who_opened_which_student_from_where(client, counselor, district):
    target = district.north[0]
    url = reverse("student_profile", args=[target.pk])
    client.force_login(counselor)
    assert client.get(url).status_code == 200
    [entry] = _entries(AccessPage.STUDENT_PAGE)
    assert (entry.user, entry.username, entry.path, entry.student_count) == (
        counselor,
        "counselor",
        url,
        1,
    )
    assert _student_ids(entry) == {target.pk}


def test_a_student_out_of_reach_answers_404_and_records_nothing(client, educator, district):
    client.force_login(educator)
    assert client.get(reverse("student_profile", args=[district.north[0].pk])).status_code == 404
    assert not AccessEntry.objects.exists()


def test_the_csv_export_records_its_filters_count_and_every_student_sent(
    client, counselor, district
):
    client.force_login(counselor)
    response = client.get(reverse("dashboard_export"), {"category": "critical"})
    lines = b"".join(response.streaming_content).decode().splitlines()[1:]
    [entry] = _entries(AccessPage.DASHBOARD_EXPORT)
    sent = {s.pk for s in district.north if s.district_id in {line.split(",")[0] for line in lines}}
    assert lines and entry.student_count == len(lines) == len(sent)
    assert _student_ids(entry) == sent
    assert entry.filters["category"] == "critical"
    assert entry.filters["as_of"]


def test_a_searched_export_never_stores_the_search_term(client, counselor, district):
    client.force_login(counselor)
    target = district.north[0]
    client.post(reverse("dashboard"), {"search": target.last_name})
    response = client.get(reverse("dashboard_export"))
    b"".join(response.streaming_content)
    [entry] = _entries(AccessPage.DASHBOARD_EXPORT)
    assert entry.filters["search"] == "yes"
    assert target.last_name not in str(entry.filters)


def test_admin_change_pages_of_a_student_and_of_a_record_are_recorded(
    client, district_admin, district
):
    target = district.north[0]
    record = AttendanceRecord.objects.filter(student=target).first()
    client.force_login(district_admin)
    assert client.get(reverse("admin:students_student_change", args=[target.pk])).status_code == 200
    assert (
        client.get(reverse("admin:records_attendancerecord_change", args=[record.pk])).status_code
        == 200
    )
    [student_entry] = _entries(AccessPage.ADMIN_STUDENT)
    [record_entry] = _entries(AccessPage.ADMIN_RECORD)
    assert _student_ids(student_entry) == _student_ids(record_entry) == {target.pk}
    assert record_entry.filters == {"model": "records.attendancerecord"}


def test_a_page_writes_its_record_in_two_inserts(rf, counselor, district):
    request = rf.get("/students/x/")
    request.user = counselor
    access_log.note(request, page=AccessPage.STUDENT_PAGE, students=[district.north[0].pk])
    access_log.note(request, page=AccessPage.STUDENT_PAGE, students=[district.north[0].pk])
    middleware = access_log.AccessLogMiddleware(lambda request: HttpResponse())
    with CaptureQueriesContext(connection) as queries:
        middleware(request)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 2
    assert AccessEntry.objects.count() == AccessedStudent.objects.count() == 1


def test_administrators_read_the_entries_per_student_and_per_user(
    client, district_admin, counselor, district
):
    target, other = district.north[0], district.north[1]
    client.force_login(counselor)
    client.get(reverse("student_profile", args=[target.pk]))
    client.get(reverse("student_profile", args=[other.pk]))
    client.force_login(district_admin)
    changelist = reverse("admin:analytics_accessentry_changelist")
    per_student = client.get(changelist, {"students__student__id__exact": str(target.pk)})
    assert per_student.status_code == 200
    assert per_student.context["cl"].result_count == 1
    by_user = client.get(changelist, {"user__id__exact": str(counselor.pk)})
    assert by_user.context["cl"].result_count == 2
    dated = client.get(changelist, {"at__range__gte": "2000-01-01", "at__range__lte": "2000-01-02"})
    assert dated.status_code == 200 and dated.context["cl"].result_count == 0
    page = client.get(reverse("admin:students_student_change", args=[target.pk])).content.decode()
    assert f"{changelist}?students__student__id__exact={target.pk}" in page


def test_nobody_edits_or_deletes_an_entry_in_the_admin(client, superuser, counselor, district):
    client.force_login(counselor)
    client.get(reverse("student_profile", args=[district.north[0].pk]))
    entry = AccessEntry.objects.get()
    client.force_login(superuser)
    change = reverse("admin:analytics_accessentry_change", args=[entry.pk])
    assert client.get(change).status_code == 200
    client.post(change, {"username": "someone-else", "page": "student_page"})
    assert (
        client.post(reverse("admin:analytics_accessentry_delete", args=[entry.pk])).status_code
        == 403
    )
    assert client.get(reverse("admin:analytics_accessentry_add")).status_code == 403
    entry.refresh_from_db()
    assert entry.username == "counselor"


def test_the_feedback_form_showing_the_student_page_is_recorded(client, counselor, district):
    target = district.north[0]
    prediction = target.predictions.order_by("-as_of").first()
    client.force_login(counselor)
    url = reverse("prediction_feedback", args=[prediction.pk])
    assert client.get(url).status_code == 200
    assert client.post(
        url, {"flagged": "yes", "outcome_happened": "yes", "outcome_type": ""}
    ).status_code in (
        302,
        400,
    )
    entries = _entries(AccessPage.STUDENT_PAGE)
    assert len(entries) >= 1 and all(_student_ids(e) == {target.pk} for e in entries)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_entries_are_written_whole_or_not_at_all(counselor, district):
    # On PostgreSQL this is the one-round-trip path (analytics/access_log.py).
    target, other = district.north[0], district.north[1]
    access_log.write(
        [
            access_log.entry(
                page=AccessPage.DASHBOARD_EXPORT,
                user=counselor,
                path="/dashboard.csv",
                students=[target.pk, other.pk],
                filters={"grade_level": "9"},
            ),
            access_log.entry(page=AccessPage.RESEARCH_EXPORT, student_count=40),
        ]
    )
    export = AccessEntry.objects.get(page=AccessPage.DASHBOARD_EXPORT)
    assert (export.user, export.username, export.filters, export.student_count) == (
        counselor,
        "counselor",
        {"grade_level": "9"},
        2,
    )
    assert _student_ids(export) == {target.pk, other.pk}
    research = AccessEntry.objects.get(page=AccessPage.RESEARCH_EXPORT)
    assert (research.user, research.student_count) == (None, 40)

    gone = district.north[2]
    ghost = access_log.entry(page=AccessPage.STUDENT_PAGE, students=[gone.pk])
    gone.delete()
    with pytest.raises(IntegrityError):
        access_log.write([ghost])
    assert not AccessEntry.objects.filter(pk=ghost[0].pk).exists()  # the connection still works
