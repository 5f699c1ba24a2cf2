"""The attendance trends page: percentages, grade bands, a heading that names the rows' weeks,
the school filter, and the chronically absent students of the user's scope."""

import datetime as dt
import itertools
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics import charts
from analytics.models import StudentFeatures
from tests.records.factories import AttendanceRecordFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import AS_OF, client_for

pytestmark = pytest.mark.django_db


def test_rates_read_as_percentages(client, district, district_admin):
    html = client_for(client, district_admin).get(reverse("attendance_trends")).content.decode()
    table = html[html.index('id="trends-table"') :]
    table = table[: table.index("</table>")]
    assert "100.0%" in table and "0.0%" in table
    assert not re.search(r">\s*[01]\.\d{3}\s*<", table)


def test_one_line_per_grade_band_each_in_its_own_colour_with_a_legend(client, superuser):
    for grade in range(13):
        AttendanceRecordFactory(student=StudentFactory(grade_level=grade), date=AS_OF)
    response = client_for(client, superuser).get(reverse("attendance_trends"))
    assert response.context["bands"] == ["Grades K-5", "Grades 6-8", "Grades 9-12"]
    svg = str(response.context["chart"])
    colours = re.findall(r'<rect x="[\d.]+" y="\d+" width="10" height="10" fill="(#\w+)"/>', svg)
    assert len(colours) == 3 == len(set(colours))  # a legend entry each, no colour twice
    legend_x = [float(x) for x in re.findall(r'<text class="tick" x="([\d.]+)" y="23\d">', svg)]
    assert legend_x and max(legend_x) + 80 < charts.WIDTH  # not clipped


def test_the_heading_names_the_monday_of_the_first_row(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("attendance_trends"), {"weeks": 4})
    context = response.context
    assert context["start"].weekday() == 0
    assert context["start"] <= min(r["week"] for r in context["rows"])
    assert (context["end"] - context["start"]).days < 4 * 7
    text = " ".join(response.content.decode().split())
    assert f"from Monday {context['start']:%Y-%m-%d}" in text


def test_the_school_filter_offers_the_users_schools_and_filters(client, district, counselor):
    c = client_for(client, counselor)
    form = c.get(reverse("attendance_trends")).context["form"]
    assert [v for v, _ in form.fields["school"].choices if v] == ["North High"]
    rows = c.get(reverse("attendance_trends"), {"school": "North High"}).context["rows"]
    assert sum(r["total_records"] for r in rows) == 2 * len(district.north)
    # A school outside the scope is refused by the form (and shows the whole scope).
    other = c.get(reverse("attendance_trends"), {"school": "South Middle"}).context
    assert other["school"] is None


def test_it_lists_the_chronically_absent_students_of_the_scope(client, district, counselor):
    low_north, low_south = district.north[0], district.south[0]
    for student in (low_north, low_south):
        StudentFeatures.objects.filter(student=student, feature_date=AS_OF).update(
            attendance_rate=0.82
        )
    # The conftest's rows of AS_OF are at 0.90: not chronic (below 90% is).
    response = client_for(client, counselor).get(reverse("attendance_trends"))
    assert response.context["absent_as_of"] == AS_OF
    assert [a["district_id"] for a in response.context["absent"]] == [low_north.district_id]
    assert response.context["absent"][0]["ytd"] == "82.0%"
    assert low_south.district_id not in response.content.decode()
    assert AS_OF - dt.timedelta(weeks=1) < AS_OF


def test_an_admin_edit_of_one_record_changes_the_page(client, superuser):
    student = StudentFactory(school="North High", grade_level=9)
    record = AttendanceRecordFactory(student=student, date=AS_OF, status="present")
    AttendanceRecordFactory(student=student, date=AS_OF - dt.timedelta(days=1), status="present")
    c = client_for(client, superuser)
    (row,) = c.get(reverse("attendance_trends")).context["rows"]
    assert (row["total_records"], row["present_count"]) == (2, 2)

    response = c.post(
        reverse("admin:records_attendancerecord_change", args=[record.pk]),
        {"student": student.pk, "date": str(AS_OF), "period": "", "status": "absent"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    (row,) = c.get(reverse("attendance_trends")).context["rows"]
    assert (row["total_records"], row["present_count"]) == (2, 1)
    assert row["percent"] == "50.0%"


def test_records_dated_after_today_are_left_out_of_this_weeks_figures(client, superuser):
    today = timezone.localdate()
    student = StudentFactory(school="North High", grade_level=9)
    AttendanceRecordFactory(student=student, date=today, status="present")
    AttendanceRecordFactory(student=student, date=today + dt.timedelta(days=1), status="absent")
    response = client_for(client, superuser).get(reverse("attendance_trends"))
    assert response.context["end"] == today
    (row,) = response.context["rows"]
    assert (row["total_records"], row["present_count"]) == (1, 1)


def test_a_week_without_school_is_a_gap_in_the_line_not_a_step(client, superuser):
    student = StudentFactory(grade_level=4)
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 21)
    # Records in the weeks of Monday-21, Monday-14 is a holiday week, then Monday-7 and after.
    for offset in (0, 14, 15, 21):
        AttendanceRecordFactory(student=student, date=monday + dt.timedelta(days=offset))
    response = client_for(client, superuser).get(reverse("attendance_trends"))
    svg = str(response.context["chart"])
    # The line stops before the holiday week and starts again after it.
    segments = re.findall(r'<polyline[^>]* points="([^"]*)"', svg)
    assert [len(points.split()) for points in segments] == [1, 2]
    assert len(re.findall(r"<circle", svg)) == 3
    # The table lists the weeks with records only.
    assert [row["week"] for row in response.context["table"]] == [
        monday,
        monday + dt.timedelta(days=14),
        monday + dt.timedelta(days=21),
    ]


def test_the_last_week_label_does_not_overlap_the_one_before():
    labels = [f"W{i:02d}" for i in range(24)]
    svg = str(charts.line_chart("t", "t", labels, [("a", [0.5] * 24)], percent=True))
    xs = [float(x) for x in re.findall(r'<text class="tick" x="([\d.]+)" y="2\d\d"', svg)]
    assert xs == sorted(xs)
    assert min(b - a for a, b in itertools.pairwise(xs)) > 40
