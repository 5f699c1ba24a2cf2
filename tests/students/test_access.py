import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import IntegrityError, transaction
from django.http import Http404

from students.access import scope_key, student_for_user, visible_students
from students.forms import AssignmentForm
from students.models import Assignment
from students.roles import COUNSELOR, DATA_ENTRY, DISTRICT_ADMIN, EDUCATOR
from students.services import roles_sync
from tests.students.factories import StudentFactory, UserFactory

pytestmark = pytest.mark.django_db


def user_in(role: str | None, **kwargs):
    roles_sync()
    user = UserFactory(**kwargs)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def students():
    return {
        "north9": StudentFactory(school="North", grade_level=9),
        "north10": StudentFactory(school="North", grade_level=10),
        "south9": StudentFactory(school="South", grade_level=9),
        "none": StudentFactory(school=None, grade_level=None),
    }


def seen(user) -> set:
    return set(visible_students(user).values_list("district_id", flat=True))


def ids(students, *names) -> set:
    return {students[n].district_id for n in names}


def test_a_district_administrator_sees_everyone(students):
    assert seen(user_in(DISTRICT_ADMIN)) == ids(students, *students)


def test_a_superuser_sees_everyone(students):
    assert seen(user_in(None, is_superuser=True)) == ids(students, *students)


@pytest.mark.parametrize("role", [COUNSELOR, EDUCATOR])
def test_an_assigned_role_sees_single_students(students, role):
    user = user_in(role)
    Assignment.objects.create(user=user, student=students["south9"])
    assert seen(user) == ids(students, "south9")


def test_a_school_group_covers_every_grade_of_the_school(students):
    user = user_in(COUNSELOR)
    Assignment.objects.create(user=user, school="North")
    assert seen(user) == ids(students, "north9", "north10")


def test_a_grade_group_covers_that_grade_of_that_school_only(students):
    user = user_in(COUNSELOR)
    Assignment.objects.create(user=user, school="North", grade_level=9)
    assert seen(user) == ids(students, "north9")


def test_groups_and_single_students_add_up(students):
    user = user_in(EDUCATOR)
    Assignment.objects.create(user=user, school="North", grade_level=10)
    Assignment.objects.create(user=user, student=students["none"])
    assert seen(user) == ids(students, "north10", "none")


def test_a_group_follows_enrollment(students):
    user = user_in(COUNSELOR)
    Assignment.objects.create(user=user, school="South")
    newcomer = StudentFactory(school="South", grade_level=3)
    assert newcomer.district_id in seen(user)


def test_a_counselor_without_a_caseload_sees_no_one(students):
    assert seen(user_in(COUNSELOR)) == set()


def test_another_users_caseload_is_not_shared(students):
    other = user_in(COUNSELOR)
    Assignment.objects.create(user=other, school="North")
    assert seen(user_in(COUNSELOR)) == set()


@pytest.mark.parametrize("role", [DATA_ENTRY, None])
def test_staff_and_users_without_a_role_see_no_student(students, role):
    user = user_in(role, is_staff=True)
    Assignment.objects.create(user=user, school="North")  # an assignment does not make a role
    assert seen(user) == set()


def test_anonymous_and_inactive_users_see_no_student(students):
    assert seen(AnonymousUser()) == set()
    assert seen(user_in(DISTRICT_ADMIN, is_active=False)) == set()


def test_a_student_out_of_reach_is_404(students):
    user = user_in(COUNSELOR)
    Assignment.objects.create(user=user, school="North")
    assert student_for_user(user, students["north9"].pk) == students["north9"]
    with pytest.raises(Http404):
        student_for_user(user, students["south9"].pk)
    with pytest.raises(Http404):
        student_for_user(user, "not-a-uuid")


def test_the_scope_key_changes_with_the_caseload(students):
    user = user_in(COUNSELOR)
    before = scope_key(user)
    Assignment.objects.create(user=user, school="North")
    user = type(user).objects.get(pk=user.pk)  # a new request
    assert scope_key(user) != before
    assert scope_key(user_in(DISTRICT_ADMIN)) == "all"


def test_an_assignment_is_a_student_or_a_group(students):
    user = user_in(COUNSELOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, student=students["north9"], school="North")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, grade_level=9)


def test_an_assignment_is_not_repeated(students):
    user = user_in(COUNSELOR)
    Assignment.objects.create(user=user, student=students["north9"])
    Assignment.objects.create(user=user, school="North")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, student=students["north9"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Assignment.objects.create(user=user, school="North")


def test_the_admin_form_explains_a_wrong_assignment(students):
    user = user_in(COUNSELOR)
    both = AssignmentForm(
        {"user": user.pk, "student": students["north9"].pk, "school": "North", "grade_level": ""}
    )
    assert not both.is_valid()
    assert "either one student" in str(both.errors)
    neither = AssignmentForm({"user": user.pk, "student": "", "school": "", "grade_level": ""})
    assert not neither.is_valid()
    assert "Choose a student, or a school" in str(neither.errors)
    group = AssignmentForm({"user": user.pk, "student": "", "school": "North", "grade_level": "9"})
    assert group.is_valid(), group.errors
    assert group.save().grade_level == 9


def test_the_admin_form_offers_only_counselors_and_educators(students):
    counselor, staff = user_in(COUNSELOR), user_in(DATA_ENTRY)
    offered = set(AssignmentForm().fields["user"].queryset)
    assert counselor in offered and staff not in offered
