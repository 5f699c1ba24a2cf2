import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.test import RequestFactory

from students.access import visible_students
from students.models import Assignment
from students.services import DEMO_EDUCATOR_STUDENTS, demo_logins_reset
from tests.records.factories import EnrollmentFactory
from tests.students.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def students():
    return [StudentFactory(school="Big", grade_level=g % 2 + 6) for g in range(70)] + [
        StudentFactory(school="Small", grade_level=1)
    ]


def test_it_creates_every_demo_login_with_a_working_password(students):
    logins = {login.username: login for login in demo_logins_reset()}
    assert set(logins) == {"admin", "counselor", "educator", "staff"}
    for login in logins.values():
        # A request, as on the login page: the lockout backend (django-axes) needs its address.
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=login.username, password=login.password)


def test_the_counselor_has_the_biggest_school_and_the_educator_thirty_students(students):
    demo_logins_reset()
    users = get_user_model().objects
    counselor, educator = users.get(username="counselor"), users.get(username="educator")
    assert visible_students(counselor).count() == 70
    assert visible_students(educator).count() == DEMO_EDUCATOR_STUDENTS
    assert visible_students(users.get(username="admin")).count() == 71
    assert visible_students(users.get(username="staff")).count() == 0


def test_running_it_twice_gives_new_passwords_and_the_same_caseloads(students):
    first = {login.username: login.password for login in demo_logins_reset()}
    rows = Assignment.objects.count()
    second = {login.username: login.password for login in demo_logins_reset()}
    assert Assignment.objects.count() == rows
    assert all(first[name] != second[name] for name in first)
    assert get_user_model().objects.filter(username="counselor").count() == 1


def test_it_works_on_an_empty_district(db):
    logins = demo_logins_reset()
    assert (
        "no students yet" in next(login for login in logins if login.username == "counselor").reach
    )


def test_the_command_prints_each_login(students, capsys):
    call_command("demo_users")
    out = capsys.readouterr().out
    for name in ("admin", "counselor", "educator", "staff"):
        assert f"user: {name}" in out


def test_with_an_enrollment_history_the_educator_gets_students_enrolled_now():
    graduates = [StudentFactory(school="High", grade_level=12) for _ in range(40)]
    for student in graduates:
        EnrollmentFactory(
            student=student, school="High", grade_level=12, exit_date="2025-06-06",
            exit_reason="graduated",
        )  # fmt: skip
    current = [StudentFactory(school="High", grade_level=12) for _ in range(5)]
    for student in current:
        EnrollmentFactory(student=student, school="High", grade_level=12)
    demo_logins_reset()
    educator = get_user_model().objects.get(username="educator")
    assert set(visible_students(educator)) == set(current)
