"""The weekly attendance summary: the attendance trends page reads it and shows the figures the
records give, for every scope; imports, single-record edits, students who change school or
grade or are deleted, the retention purge and the command keep it exact."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from analytics.attendance_weeks import attendance_weeks_rebuild
from analytics.dashboards import grade_band
from analytics.models import AttendanceWeek
from records.importing import district_import
from records.models import AttendanceRecord
from records.retention import retention_purge
from records.synthetic import DistrictSpec, generate_district
from students.models import Assignment, Student
from students.roles import COUNSELOR
from students.services import roles_sync
from tests.records.factories import AttendanceRecordFactory, StudentOutcomeFactory
from tests.students.factories import StudentFactory, UserFactory

pytestmark = pytest.mark.django_db

# Two school years, the second in its fourth week (so that 52 weeks reach back across the
# summer into the first), per-period secondary days, tardies and excused absences, students who
# enter and leave.
SPEC = DistrictSpec(
    students=60,
    schools=3,
    start=dt.date(2025, 8, 18),
    school_days=30,
    years=2,
    through=dt.date(2026, 9, 6),
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("district")
    generate_district(SPEC, folder, folder / "truth" / "true_risk.csv")
    return folder


@pytest.fixture
def generated(folder):
    district_import(folder=folder)


def _summary_rows() -> list[tuple]:
    return sorted(
        AttendanceWeek.objects.values_list("school", "grade_level", "week", "records", "present"),
        key=repr,
    )


def _from_records(students, start: dt.date, end: dt.date, school=None) -> dict:
    """{(week, band): (records, present)} counted one record at a time in Python."""
    records = AttendanceRecord.objects.filter(
        date__gte=start, date__lte=end, student__in=students.values("pk")
    )
    if school:
        records = records.filter(student__school=school)
    sums: dict = {}
    for grade, day, status in records.values_list("student__grade_level", "date", "status"):
        cell = sums.setdefault((day - dt.timedelta(days=day.weekday()), grade_band(grade)), [0, 0])
        cell[0] += 1
        cell[1] += status == "present"
    return {key: tuple(cell) for key, cell in sums.items()}


def _page(client, user, **query) -> tuple[dict, dict]:
    client.force_login(user)
    context = client.get(reverse("attendance_trends"), {"weeks": 52, **query}).context
    figures = {
        (r["week"], r["band"]): (r["total_records"], r["present_count"]) for r in context["rows"]
    }
    return context, figures


def _counselor(username: str):
    roles_sync()
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=COUNSELOR))
    return user


def test_the_import_fills_the_summary_as_a_rebuild_would(generated):
    imported = _summary_rows()
    assert len(imported) > 50
    attendance_weeks_rebuild()
    assert _summary_rows() == imported


def test_an_import_that_moves_a_student_to_another_school_moves_their_weeks(
    generated, folder, tmp_path
):
    lines = (folder / "students.csv").read_text().splitlines()
    header = lines[0].split(",")
    district_id, school = header.index("district_id"), header.index("school")
    # A student with attendance, moved to a school of their own.
    moved = next(
        line.split(",")
        for line in lines[1:]
        if AttendanceRecord.objects.filter(student__district_id=line.split(",")[district_id])
    )
    moved[school] = "Moved Academy"
    lines = [lines[0], ",".join(moved)]
    (tmp_path / "students.csv").write_text("\n".join(lines) + "\n")
    result = district_import(folder=tmp_path)
    assert result.files["students.csv"].updated == 1
    records = AttendanceRecord.objects.filter(student__district_id=moved[district_id]).count()
    weeks = AttendanceWeek.objects.filter(school="Moved Academy")
    assert sum(weeks.values_list("records", flat=True)) == records
    imported = _summary_rows()
    attendance_weeks_rebuild()
    assert _summary_rows() == imported


def test_the_page_shows_the_records_figures_for_everyone(client, generated, superuser):
    context, figures = _page(client, superuser)
    weeks = {week for week, _ in figures}
    assert min(weeks).year == 2025 and max(weeks).year == 2026  # both school years
    assert figures == _from_records(Student.objects.all(), context["start"], context["end"])


def test_the_page_shows_the_records_figures_for_a_schools_caseload_and_its_filter(
    client, generated
):
    schools = sorted(set(Student.objects.exclude(school=None).values_list("school", flat=True)))
    user = _counselor("school-counselor")
    Assignment.objects.create(user=user, school=schools[0])
    context, figures = _page(client, user)
    caseload = Student.objects.filter(school=schools[0])
    assert figures and figures == _from_records(caseload, context["start"], context["end"])
    context, filtered = _page(client, user, school=schools[0])
    assert filtered == figures


def test_the_page_counts_a_grade_group_and_single_students_once_each(client, generated):
    schools = sorted(set(Student.objects.exclude(school=None).values_list("school", flat=True)))
    user = _counselor("mixed-counselor")
    grade = Student.objects.filter(school=schools[0]).values_list("grade_level", flat=True)[0]
    Assignment.objects.create(user=user, school=schools[0], grade_level=grade)
    inside = Student.objects.filter(school=schools[0], grade_level=grade).first()
    outside = list(Student.objects.filter(school=schools[1])[:3])
    for student in [inside, *outside]:  # one of them within the group already
        Assignment.objects.create(user=user, student=student)
    context, figures = _page(client, user)
    visible = Student.objects.filter(pk__in=[s.pk for s in outside]) | Student.objects.filter(
        school=schools[0], grade_level=grade
    )
    assert figures == _from_records(visible, context["start"], context["end"])
    context, filtered = _page(client, user, school=schools[1])
    assert filtered == _from_records(visible, context["start"], context["end"], schools[1])


def _week_of(student, day) -> tuple[int, int] | None:
    row = AttendanceWeek.objects.filter(
        school=student.school,
        grade_level=student.grade_level,
        week=day - dt.timedelta(days=day.weekday()),
    ).first()
    return (row.records, row.present) if row else None


def test_a_record_moved_to_another_week_leaves_the_old_week_and_joins_the_new():
    student = StudentFactory(school="North High", grade_level=9)
    monday = dt.date(2025, 9, 1)
    record = AttendanceRecordFactory(student=student, date=monday, status="present")
    AttendanceRecordFactory(student=student, date=monday + dt.timedelta(days=1), status="absent")
    assert _week_of(student, monday) == (2, 1)
    record.date = monday + dt.timedelta(weeks=1)
    record.save()
    assert _week_of(student, monday) == (1, 0)
    assert _week_of(student, record.date) == (1, 1)
    record.delete()
    assert _week_of(student, record.date) is None


def test_a_student_who_changes_school_takes_their_weeks_along():
    student = StudentFactory(school="North High", grade_level=9)
    day = dt.date(2025, 9, 3)
    AttendanceRecordFactory(student=student, date=day)
    student.school = "South Middle"
    student.save()
    assert not AttendanceWeek.objects.filter(school="North High").exists()
    assert _week_of(student, day) == (1, 1)


def test_a_deleted_student_leaves_the_summary():
    student = StudentFactory(school="North High", grade_level=9)
    AttendanceRecordFactory.create_batch(3, student=student)
    assert AttendanceWeek.objects.exists()
    student.delete()
    assert not AttendanceWeek.objects.exists()


def test_the_command_rebuilds_a_range_of_weeks(capsys):
    student = StudentFactory(school="North High", grade_level=9)
    first = AttendanceRecordFactory(student=student, date=dt.date(2025, 9, 1))
    AttendanceRecordFactory(student=student, date=dt.date(2025, 10, 6))
    # Rows written behind the summary's back (raw SQL in a shell).
    AttendanceWeek.objects.all().delete()
    AttendanceRecord.objects.filter(pk=first.pk).update(status="absent")
    call_command("refresh_attendance_weeks", "--from", "2025-09-01", "--to", "2025-09-07")
    assert _week_of(student, dt.date(2025, 9, 1)) == (1, 0)
    assert _week_of(student, dt.date(2025, 10, 6)) is None  # outside the range
    call_command("refresh_attendance_weeks")
    assert _week_of(student, dt.date(2025, 10, 6)) == (1, 1)
    call_command("refresh_attendance_weeks", "--if-empty")
    assert "filled already" in capsys.readouterr().out


def test_the_retention_purge_takes_the_purged_students_weeks_away():
    gone, kept = StudentFactory(school="North High"), StudentFactory(school="North High")
    AttendanceRecordFactory(student=gone, date=dt.date(2019, 6, 10))
    AttendanceRecordFactory(student=kept, date=dt.date(2019, 6, 11))
    StudentOutcomeFactory(student=gone, outcome_type="graduated", outcome_date=dt.date(2019, 6, 15))
    assert _week_of(kept, dt.date(2019, 6, 10)) == (2, 2)
    retention_purge(older_than_years=5, today=dt.date(2026, 9, 1))
    assert not Student.objects.filter(pk=gone.pk).exists()
    assert _week_of(kept, dt.date(2019, 6, 10)) == (1, 1)
