"""The column-batch reader (records/importing_columns.py): the same rows as the row reader, and
the row reader's exact report whenever a file has anything to report."""

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from records import importing, importing_columns
from records.csv_format import ATTENDANCE
from records.importing import MAX_LINE_CHARS, ImportRejected, _UuidSeries, district_import
from records.importing_columns import UniqueKeys, UuidColumn, plain_file
from records.models import AttendanceRecord, DisciplineIncident, Enrollment, Grade, StudentOutcome
from tests.students.factories import StudentFactory

MODELS = (AttendanceRecord, Grade, DisciplineIncident, StudentOutcome, Enrollment)
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the column path feeds PostgreSQL's COPY"
)


def test_the_ids_are_the_row_readers_ids():
    series = _UuidSeries()

    ids = UuidColumn(series)(1000, 5).to_pylist()

    assert ids == [series(n) for n in range(1001, 1006)]


def _proof(*batches):
    """Whether UniqueKeys proves the keys of `batches` (rows of numbers) unique."""
    unique = UniqueKeys([0, 1])
    for batch in batches:
        columns = np.array(batch, dtype=np.uint64).T
        unique.add(list(columns))
    return unique.proven()


def test_keys_that_all_differ_are_proven_unique_across_batches():
    assert _proof([[1, 1], [1, 2], [2, 1]], [[2, 2], [3, 1], [1, 3]])


def test_a_key_repeated_in_a_later_batch_is_not_proven_unique():
    assert not _proof([[1, 1], [2, 1]], [[3, 1], [1, 1]])
    assert not _proof([[1, 1], [2, 1], [1, 1]])


def test_keys_of_a_file_longer_than_the_limit_are_left_to_the_database(monkeypatch):
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 2)

    assert not _proof([[1, 1], [2, 1]], [[3, 1]])


def _ordered_keys(*batches) -> UniqueKeys:
    """UniqueKeys told `batches` (rows of (student, date, period) values)."""
    unique = UniqueKeys([0, 1, 2])
    for batch in batches:
        columns = list(zip(*batch, strict=True))
        numbers = [unique.numbered(i, list(column)) for i, column in enumerate(columns)]
        every_row = np.arange(len(batch))
        unique.add(numbers, [(pa.array(list(column)), every_row) for column in columns])
    return unique


def _ordered_proof(*batches):
    """Whether UniqueKeys proves the keys of `batches` unique with no room for hashes: only the
    rows' order can prove it."""
    return _ordered_keys(*batches).proven()


D1, D2 = dt.date(2025, 9, 1), dt.date(2025, 9, 2)


@pytest.mark.parametrize(
    ("batches", "proven"),
    [
        ([[("S1", D1, 1), ("S1", D1, 2), ("S1", D2, 1)], [("S2", D1, 1), ("S2", D2, 1)]], True),
        ([[("S1", D1, 1), ("S2", D1, 1), ("S1", D2, 1)], [("S2", D2, 1), ("S3", D2, 1)]], True),
        ([[("S1", D1, 1), ("S1", D1, 2)], [("S1", D1, 2), ("S2", D1, 1)]], False),
        ([[("S1", D1, 1), ("S1", D2, 1), ("S1", D2, 1)]], False),
        ([[("S2", D1, 1), ("S2", D2, 1), ("S1", D1, 1)], [("S1", D2, 1), ("S3", D1, 1)]], True),
        ([[("S1", D1, 1), ("S2", D2, 1), ("S1", D2, 1), ("S2", D1, 1)]], False),
        ([[("S1", D1, None), ("S1", D1, 1), ("S1", D2, None)], [("S2", D1, None)]], True),
        ([[("S1", D1, None), ("S1", D1, None)]], False),
        ([[("S1", D1, None)], [("S1", D1, None), ("S1", D2, None)]], False),
    ],
    ids=[
        "by student, date, period",
        "by date, student",
        "repeated across batches",
        "repeated within a batch",
        "by student, the students in no order",
        "in no order",
        "NULL periods before the others",
        "a NULL period repeated",
        "a NULL period repeated across batches",
    ],
)
def test_rows_in_increasing_key_order_are_proven_unique_at_any_length(batches, proven, monkeypatch):
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 0)

    assert _ordered_proof(*batches) is proven


def test_rows_out_of_order_are_the_only_suspects(monkeypatch):
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 0)
    late = ("S1", D1, 2)  # a record entered late, appended at the end
    in_order = [("S1", D1, 1), ("S1", D2, 1), ("S2", D1, 1), ("S2", D1, 2), ("S2", D2, 1)]

    unique = _ordered_keys(in_order[:2], [*in_order[2:], late])

    assert not unique.proven()
    assert unique.suspects().tolist() == [7]  # the header is line 1


def test_rows_in_no_order_leave_the_database_every_row(monkeypatch):
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 0)
    monkeypatch.setattr(importing_columns, "MAX_SUSPECTS", 1)
    rows = [("S1", D1, 1), ("S2", D2, 2), ("S1", D2, 1), ("S2", D1, 2), ("S1", D1, 3)]

    assert _ordered_keys(rows).suspects() is None


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("late", "problem", "inserted"),
    [
        ("", None, 7),
        (
            "S1,2025-09-02,absent,1\n",
            (6, "duplicate: line 2 has the same district_id + date + period"),
            None,
        ),
        ("S1,2025-09-02,absent,3\n", None, 8),
    ],
    ids=["sorted", "a late row repeating a key", "a late row with a new key"],
)
def test_a_long_reimport_asks_the_database_only_about_rows_out_of_order(
    tmp_path, monkeypatch, late, problem, inserted
):
    """Longer than the hashes' limit: a sorted file asks nothing; a row out of order is looked
    for alone (never the hash aggregate of every staged row)."""
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 2)
    StudentFactory(district_id="S1")
    StudentFactory(district_id="S2")
    header = "district_id,date,status,period\n"
    (tmp_path / "attendance.csv").write_text(header + "S1,2025-09-02,present,1\n")
    district_import(folder=tmp_path)
    rows = [f"S{s},2025-09-0{d},present,{p}\n" for s in (1, 2) for d in (2, 3) for p in (1, 2)]
    (tmp_path / "attendance.csv").write_text(header + "".join(rows[:4]) + late + "".join(rows[4:]))

    with CaptureQueriesContext(connection) as queries:
        if problem:
            with pytest.raises(ImportRejected) as caught:
                district_import(folder=tmp_path)
            (found,) = caught.value.problems
            assert (found.line, found.reason) == problem
        else:
            result = district_import(folder=tmp_path)
            assert result.files["attendance.csv"].inserted == inserted

    asked = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in asked if "HAVING COUNT(*) > 1" in sql]
    assert bool([sql for sql in asked if "_suspects" in sql]) is bool(late)


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("late", "problem"),
    [
        ("S0,2024-09-01,absent,1\n", "duplicate: line 2 has the same district_id + date + period"),
        ("S0,2023-09-01,absent,1\n", None),
    ],
    ids=["repeating the first line's key", "with a new key"],
)
def test_late_rows_of_a_stage_of_many_pages_are_read_from_their_own_page(
    tmp_path, monkeypatch, late, problem
):
    """Rows appended at the end are gathered from the stage's last pages (a TID range), and a
    late row repeating a key of the first page is still found and reported at its line."""
    monkeypatch.setattr(importing_columns, "MAX_KEYS", 2)
    for s in range(10):
        StudentFactory(district_id=f"S{s}")
    first = dt.date(2024, 9, 1)
    rows = [
        f"S{s},{first + dt.timedelta(days=d)},present,1\n" for s in range(10) for d in range(300)
    ]
    header = "district_id,date,status,period\n"
    (tmp_path / "attendance.csv").write_text(header + rows[0])
    district_import(folder=tmp_path)
    (tmp_path / "attendance.csv").write_text(header + "".join(rows) + late)

    with CaptureQueriesContext(connection) as queries:
        if problem:
            with pytest.raises(ImportRejected) as caught:
                district_import(folder=tmp_path)
            (found,) = caught.value.problems
            assert (found.line, found.reason) == (len(rows) + 2, problem)
        else:
            assert district_import(folder=tmp_path).files["attendance.csv"].inserted == 3000

    gathered = [q["sql"] for q in queries.captured_queries if "_suspects AS SELECT" in q["sql"]]
    assert len(gathered) == 1  # from the late row's page on: no second pass over the stage
    page = int(gathered[0].split("ctid >= '(")[1].split(",")[0])
    assert page > 20  # 3,000 rows of about 80 bytes: the stage's last pages only


@postgres_only
@pytest.mark.django_db
def test_the_page_of_a_line_is_the_page_holding_it():
    stage = importing._PostgresStage(ATTENDANCE)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {stage.table} (line bigint, filler text)")
        cursor.execute(
            f"INSERT INTO {stage.table} SELECT n, repeat('x', 100) FROM generate_series(2, 5001) n"
        )
        cursor.execute(f"SELECT line, (ctid::text::point)[0]::int FROM {stage.table}")
        pages = dict(cursor.fetchall())
        assert max(pages.values()) > 50
        for line in (2, 3, 70, 71, 2500, 4999, 5001):
            assert stage._page_of(cursor, line) == pages[line], line
        assert stage._page_of(cursor, 1) == 0  # before the first row


def _attendance(tmp_path, rows: list[str]) -> None:
    (tmp_path / "attendance.csv").write_text("district_id,date,status,period\n" + "".join(rows))


def _reimported(tmp_path) -> tuple:
    """Import the folder; (inserted, updated, the statements run)."""
    with CaptureQueriesContext(connection) as queries:
        counts = district_import(folder=tmp_path).files["attendance.csv"]
    return counts.inserted, counts.updated, [q["sql"] for q in queries.captured_queries]


def _year(students: int = 3, days: int = 20) -> list[str]:
    first = dt.date(2025, 9, 1)
    return [
        f"S{s},{first + dt.timedelta(days=d)},present,1\n"
        for s in range(students)
        for d in range(days)
    ]


@pytest.fixture
def three_students(db):
    for s in range(3):
        StudentFactory(district_id=f"S{s}")


@postgres_only
def test_an_unchanged_full_extract_is_compared_per_student_without_the_join(
    tmp_path, three_students
):
    rows = _year()
    _attendance(tmp_path, rows)
    district_import(folder=tmp_path)
    stored = sorted(AttendanceRecord.objects.values_list("id", "student_id", "date", "status"))

    inserted, updated, asked = _reimported(tmp_path)

    assert (inserted, updated) == (0, 0)
    assert [sql for sql in asked if "_differ AS" in sql]  # the digests ran
    assert not [sql for sql in asked if "_changed AS" in sql]  # and no join was needed
    assert (
        sorted(AttendanceRecord.objects.values_list("id", "student_id", "date", "status")) == stored
    )


@postgres_only
def test_the_join_looks_only_at_students_whose_digests_differ(tmp_path, three_students):
    rows = _year()
    _attendance(tmp_path, rows)
    district_import(folder=tmp_path)
    # S0: two statuses swapped between two days (the same values, on other days: an XOR of
    # per-value hashes would miss it); S1: a new day; S2 unchanged.
    rows[0], rows[1] = rows[0].replace("present", "absent"), rows[1].replace("present", "tardy")
    _attendance(tmp_path, [*rows, "S1,2025-09-22,excused,1\n"])
    district_import(folder=tmp_path)
    rows[0], rows[1] = rows[0].replace("absent", "tardy"), rows[1].replace("tardy", "absent")
    _attendance(tmp_path, [*rows, "S1,2025-09-22,excused,1\n", "S1,2025-09-23,absent,1\n"])

    inserted, updated, asked = _reimported(tmp_path)

    assert (inserted, updated) == (1, 2)
    (join,) = [sql for sql in asked if "_changed AS" in sql]
    assert "_differ)" in join
    assert list(
        AttendanceRecord.objects.filter(student__district_id="S0")
        .order_by("date")
        .values_list("status", flat=True)[:3]
    ) == ["tardy", "absent", "present"]
    assert AttendanceRecord.objects.filter(student__district_id="S1").count() == 22


@postgres_only
def test_a_full_extract_with_new_days_joins_only_the_weeks_of_the_new_days(
    tmp_path, three_students, monkeypatch
):
    """The nightly full extract: every student has a new day, so every student's rows differ,
    but only the four weeks holding the new day go to the join."""
    rows = _year()  # 2025-09-01 (a Monday) to 2025-09-20
    _attendance(tmp_path, rows)
    district_import(folder=tmp_path)
    # 2025-09-21: in the four weeks from 2025-09-08, whose 13 days to the 20th each student has.
    _attendance(tmp_path, rows + [f"S{s},2025-09-21,present,1\n" for s in range(3)])
    looked_at = []
    groups_differing = importing._PostgresStage._groups_differing

    def spy(stage, cursor, key):
        differing = groups_differing(stage, cursor, key)
        groups = ", ".join(stage._groups(key, "attendance_records"))
        cursor.execute(
            f"SELECT COUNT(*) FROM attendance_records "
            f"WHERE ({groups}) IN (SELECT * FROM {stage.table}_differ)"
        )
        looked_at.append((differing, cursor.fetchone()[0]))
        return differing

    monkeypatch.setattr(importing._PostgresStage, "_groups_differing", spy)

    inserted, updated, asked = _reimported(tmp_path)

    assert (inserted, updated) == (3, 0)
    assert looked_at == [(3, 39)]  # each student's four weeks of the new day: 13 rows, not 20
    (join,) = [sql for sql in asked if "_changed AS" in sql]
    assert "_differ)" in join
    assert AttendanceRecord.objects.count() == 63


@postgres_only
def test_a_file_of_a_few_days_joins_without_digests(tmp_path, three_students):
    """Most of the table is not in the file: every student's stored rows outnumber the staged
    ones, so the digests would send every student to the join anyway."""
    rows = _year()
    _attendance(tmp_path, rows)
    district_import(folder=tmp_path)
    last_day = [r for r in rows if "2025-09-20" in r]
    _attendance(tmp_path, [last_day[0].replace("present", "absent"), *last_day[1:]])

    inserted, updated, asked = _reimported(tmp_path)

    assert (inserted, updated) == (0, 1)
    assert not [sql for sql in asked if "_differ AS" in sql]


@postgres_only
def test_a_file_without_a_key_column_is_not_compared_by_digest(tmp_path, three_students):
    """Without the period column the staged rows key on no period: a stored row with a period
    is another key, so equal values without the period must not read as unchanged."""
    rows = _year(students=1, days=5)
    _attendance(tmp_path, rows)
    district_import(folder=tmp_path)
    (tmp_path / "attendance.csv").write_text(
        "district_id,date,status\n" + "".join(r.rsplit(",", 1)[0] + "\n" for r in rows)
    )

    inserted, updated, asked = _reimported(tmp_path)

    assert (inserted, updated) == (5, 0)
    assert not [sql for sql in asked if "_differ AS" in sql]


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        (b"a,b\n1,2\n3,4\n", True),
        (b"a,b\r\n1,2\r\n", True),
        (b'a,b\n1,"2"\n', False),
        (b"a,b\n1,2\n\n3,4\n", False),
        (b"a,b\r\n\r\n3,4\r\n", False),
        (b"\xff\xfea\x00", False),
    ],
)
def test_only_files_without_quotes_or_blank_lines_are_plain(text, plain, tmp_path):
    path = tmp_path / "attendance.csv"
    path.write_bytes(text)

    assert plain_file(path, MAX_LINE_CHARS) is plain


def _rows():
    """Every record, without ids and timestamps: what the two readers must agree on."""
    skip = {"id", "created_at"}
    return {
        m.__name__: sorted(
            repr(tuple(v for k, v in row.items() if k not in skip)) for row in m.objects.values()
        )
        for m in MODELS
    }


@pytest.fixture
def column_files(monkeypatch):
    """The names of the files the column path loaded."""
    loaded = []
    real = importing._read_in_columns

    def spy(fmt, *args):
        done = real(fmt, *args)
        if done:
            loaded.append(fmt.filename)
        return done

    monkeypatch.setattr(importing, "_read_in_columns", spy)
    return loaded


@postgres_only
@pytest.mark.django_db
def test_a_generated_district_loads_in_columns_with_the_row_readers_rows(
    small_district, column_files, monkeypatch, tmp_path
):
    district_import(folder=small_district)
    by_columns = _rows()
    assert "attendance.csv" in column_files

    AttendanceRecord.objects.all().delete()
    Grade.objects.all().delete()
    DisciplineIncident.objects.all().delete()
    StudentOutcome.objects.all().delete()
    Enrollment.objects.all().delete()
    monkeypatch.setattr(importing, "_read_in_columns", lambda *args: False)
    district_import(folder=small_district)

    assert _rows() == by_columns


@postgres_only
@pytest.mark.django_db
def test_a_reimport_in_columns_changes_nothing(small_district, column_files):
    district_import(folder=small_district)
    column_files.clear()

    again = district_import(folder=small_district)

    assert "attendance.csv" in column_files
    assert not again.changed


@postgres_only
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "district_id,date,status,period\nS1,2025-09-02,present,1\nS1,2025-09-03,late,1\n",
            (3, "status", "late"),
        ),
        ("district_id,date,status,period\nS1,2025-09-02,present,1\nS9,2025-09-03,absent,1\n",
         (3, "district_id", "S9")),
        ("district_id,date,status,period\nS1,2025-09-02,present,1\nS1,2025-09-03\n", (3, "", "")),
        (
            "district_id,date,status,period\nS1,2025-09-02,present,1\nS1,2025-09-02,absent,1\n",
            (3, "district_id, date, period", "S1, 2025-09-02, 1"),
        ),
    ],
)  # fmt: skip
def test_a_file_with_a_problem_gets_the_row_readers_report(text, expected, tmp_path):
    StudentFactory(district_id="S1")
    (tmp_path / "attendance.csv").write_text(text)

    with pytest.raises(ImportRejected) as caught:
        district_import(folder=tmp_path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == expected
    assert AttendanceRecord.objects.count() == 0


@postgres_only
@pytest.mark.django_db
def test_a_duplicate_in_a_reimport_is_reported_at_its_line(tmp_path, column_files):
    StudentFactory(district_id="S1")
    header = "district_id,date,status,period\n"
    (tmp_path / "attendance.csv").write_text(header + "S1,2025-09-02,present,1\n")
    district_import(folder=tmp_path)
    rows = "".join(f"S1,2025-09-{d:02d},present,1\n" for d in range(3, 20))
    (tmp_path / "attendance.csv").write_text(header + rows + "S1,2025-09-05,absent,1\n")

    with pytest.raises(ImportRejected) as caught:
        district_import(folder=tmp_path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.reason) == (19, "duplicate: line 4 has the same "
                                              "district_id + date + period")  # fmt: skip


@postgres_only
@pytest.mark.django_db
def test_a_duplicate_of_students_not_grouped_is_reported_at_its_line(tmp_path, column_files):
    StudentFactory(district_id="S1")
    StudentFactory(district_id="S2")
    header = "district_id,date,status,period\n"
    (tmp_path / "attendance.csv").write_text(header + "S1,2025-09-02,present,1\n")
    district_import(folder=tmp_path)
    column_files.clear()
    rows = "S1,2025-09-03,present,1\nS2,2025-09-03,present,1\nS1,2025-09-03,absent,1\n"
    (tmp_path / "attendance.csv").write_text(header + rows)

    with pytest.raises(ImportRejected) as caught:
        district_import(folder=tmp_path)

    (problem,) = caught.value.problems
    assert column_files == ["attendance.csv"]
    assert (problem.line, problem.reason) == (4, "duplicate: line 2 has the same "
                                              "district_id + date + period")  # fmt: skip


@postgres_only
@pytest.mark.django_db
def test_a_line_longer_than_the_limit_gets_the_row_readers_report(tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "MAX_LINE_CHARS", 40)
    StudentFactory(district_id="S1")
    long_line = "S1,2025-09-03,present" + " " * 25 + ",1\n"
    (tmp_path / "attendance.csv").write_text(
        "district_id,date,status,period\nS1,2025-09-02,present,1\n" + long_line
    )

    with pytest.raises(ImportRejected) as caught:
        district_import(folder=tmp_path)

    (problem,) = caught.value.problems
    assert problem.line == 3
    assert problem.reason.startswith("the line is longer than 40 characters")


@pytest.mark.django_db
def test_a_quoted_line_break_keeps_the_line_numbers_exact(tmp_path):
    StudentFactory(district_id="S1")
    (tmp_path / "discipline.csv").write_text(
        "district_id,incident_date,severity_level,description\n"
        'S1,2025-09-02,2,"Shouted,\nthen left"\n'
        "S1,2025-09-03,9,\n"
    )

    with pytest.raises(ImportRejected) as caught:
        district_import(folder=tmp_path)

    (problem,) = caught.value.problems
    assert (problem.line, problem.column, problem.value) == (4, "severity_level", "9")


@pytest.mark.django_db
def test_a_file_with_quoted_line_breaks_loads_with_them(tmp_path):
    StudentFactory(district_id="S1")
    (tmp_path / "discipline.csv").write_text(
        'district_id,incident_date,description\nS1,2025-09-02,"Shouted,\nthen left"\n'
    )

    district_import(folder=tmp_path)

    assert DisciplineIncident.objects.get().description == "Shouted,\nthen left"
