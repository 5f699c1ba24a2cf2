"""The keys a SIS really has: assignment_id in grades.csv and incident_id in discipline.csv, and a
duplicate report whose cost grows with the file (issue 12)."""

from pathlib import Path

import pytest

from records.exporting import district_export
from records.importing import MAX_REPORTED, ImportRejected, district_import
from records.models import DisciplineIncident, Grade
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db

GRADES = "district_id,course_id,grade_value,submission_date,assignment_type,assignment_id\n"
DISCIPLINE = "district_id,incident_date,incident_type,severity_level,incident_id\n"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _rejected(folder: Path) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        district_import(folder=folder)
    return caught.value


@pytest.fixture
def student():
    return StudentFactory(district_id="S1")


def test_several_quizzes_of_a_course_on_one_day_with_assignment_ids_import(student, tmp_path):
    _write(
        tmp_path,
        "grades.csv",
        GRADES
        + "S1,MATH-9,71,2025-09-12,quiz,A-1\n"
        + "S1,MATH-9,80,2025-09-12,quiz,A-2\n"
        + "S1,MATH-9,90,2025-09-12,quiz,A-3\n",
    )

    result = district_import(folder=tmp_path)

    assert result.files["grades.csv"].inserted == 3
    assert sorted(student.grades.values_list("assignment_id", "grade_value")) == [
        ("A-1", 71.0),
        ("A-2", 80.0),
        ("A-3", 90.0),
    ]


def test_a_repeated_assignment_id_is_reported_with_its_line(student, tmp_path):
    _write(
        tmp_path,
        "grades.csv",
        GRADES + "S1,MATH-9,71,2025-09-12,quiz,A-1\nS1,MATH-9,80,2025-09-13,test,A-1\n",
    )

    refusal = _rejected(tmp_path)

    assert [str(p) for p in refusal.problems] == [
        "grades.csv, line 3, column district_id, assignment_id: value 'S1, A-1' "
        "duplicate: line 2 has the same district_id + assignment_id"
    ]
    assert Grade.objects.count() == 0


def test_the_same_assignment_id_of_two_students_is_two_rows(student, tmp_path):
    StudentFactory(district_id="S2")
    _write(
        tmp_path,
        "grades.csv",
        GRADES + "S1,MATH-9,71,2025-09-12,quiz,A-1\nS2,MATH-9,80,2025-09-12,quiz,A-1\n",
    )

    assert district_import(folder=tmp_path).files["grades.csv"].inserted == 2


def test_a_reimport_updates_the_grade_with_the_same_assignment_id(student, tmp_path):
    _write(tmp_path, "grades.csv", GRADES + "S1,MATH-9,71,2025-09-12,quiz,A-1\n")
    district_import(folder=tmp_path)
    _write(tmp_path, "grades.csv", GRADES + "S1,MATH-9,75,2025-09-13,test,A-1\n")

    counts = district_import(folder=tmp_path).files["grades.csv"]

    assert (counts.inserted, counts.updated) == (0, 1)
    grade = student.grades.get()
    assert (grade.grade_value, str(grade.submission_date), grade.assignment_type) == (
        75.0,
        "2025-09-13",
        "test",
    )


def test_rows_without_an_assignment_id_keep_the_course_date_and_type_key(student, tmp_path):
    _write(
        tmp_path,
        "grades.csv",
        GRADES
        + "S1,MATH-9,71,2025-09-12,quiz,A-1\n"
        + "S1,MATH-9,72,2025-09-12,quiz,\n"
        + "S1,MATH-9,73,2025-09-12,quiz,\n",
    )

    refusal = _rejected(tmp_path)

    assert [(p.line, p.column) for p in refusal.problems] == [
        (4, "district_id, course_id, submission_date, assignment_type")
    ]


def test_several_incidents_of_a_type_on_one_day_with_incident_ids_import(student, tmp_path):
    _write(
        tmp_path,
        "discipline.csv",
        DISCIPLINE + "S1,2025-09-12,tardy,1,I-1\nS1,2025-09-12,tardy,1,I-2\n",
    )

    assert district_import(folder=tmp_path).files["discipline.csv"].inserted == 2
    assert DisciplineIncident.objects.filter(incident_id__in=["I-1", "I-2"]).count() == 2


def test_a_repeated_incident_id_is_reported(student, tmp_path):
    _write(
        tmp_path,
        "discipline.csv",
        DISCIPLINE + "S1,2025-09-12,tardy,1,I-1\nS1,2025-09-14,fight,3,I-1\n",
    )

    (problem,) = _rejected(tmp_path).problems

    assert (problem.line, problem.column, problem.value) == (
        3,
        "district_id, incident_id",
        "S1, I-1",
    )


def test_the_source_ids_survive_an_export_and_a_reimport(student, tmp_path):
    _write(
        tmp_path / "in",
        "grades.csv",
        GRADES + "S1,MATH-9,71,2025-09-12,quiz,A-1\nS1,MATH-9,80,2025-09-12,quiz,A-2\n",
    )
    _write(tmp_path / "in", "discipline.csv", DISCIPLINE + "S1,2025-09-12,tardy,1,I-1\n")
    district_import(folder=tmp_path / "in")
    district_export(folder=tmp_path / "out")

    again = district_import(folder=tmp_path / "out")

    assert "assignment_id" in (tmp_path / "out" / "grades.csv").read_text().splitlines()[0]
    assert not again.changed
    assert sorted(Grade.objects.values_list("assignment_id", flat=True)) == ["A-1", "A-2"]


def test_the_duplicate_report_lists_the_first_50_in_line_order_and_counts_all(tmp_path):
    StudentFactory(district_id="S1")
    # 3,000 rows in 1,000 keys: each key's second and third rows are duplicates.
    rows = [f"S1,C{k % 1000},50,2025-09-12,quiz,\n" for k in range(3000)]
    _write(tmp_path, "grades.csv", GRADES + "".join(rows))

    refusal = _rejected(tmp_path)

    assert refusal.total == 2000
    assert len(refusal.problems) == MAX_REPORTED
    assert [p.line for p in refusal.problems] == list(range(1002, 1002 + MAX_REPORTED))
    assert refusal.problems[0].reason == (
        "duplicate: line 2 has the same district_id + course_id + submission_date + assignment_type"
    )
