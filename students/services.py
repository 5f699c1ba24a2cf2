"""Writes that concern users and roles."""

import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Count, Q

from students.models import Assignment, Student
from students.roles import COUNSELOR, DATA_ENTRY, DISTRICT_ADMIN, EDUCATOR, ROLE_PERMISSIONS


@transaction.atomic
def roles_sync() -> dict[str, int]:
    """Create each role's group and set its permissions to exactly those of ROLE_PERMISSIONS.

    Idempotent; returns the number of permissions per group.
    """
    counts = {}
    for role, grants in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = Q(pk__in=[])
        for label, actions in grants.items():
            app_label, model = label.split(".")
            wanted |= Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        permissions = list(Permission.objects.filter(wanted))
        group.permissions.set(permissions)
        counts[role] = len(permissions)
    return counts


@transaction.atomic
def demo_user_reset(*, username: str, role: str = DATA_ENTRY, is_staff: bool = True) -> str:
    """Create (or reset) a login in `role` with a fresh random password, and return it.

    `is_staff` lets the login into the admin. Its groups become exactly `role`. For trials
    only: `make demo` prints the password so a newcomer can sign in.
    """
    roles_sync()
    user, _ = get_user_model().objects.get_or_create(username=username)
    password = secrets.token_urlsafe(9)
    user.set_password(password)
    user.is_staff = is_staff
    user.is_active = True
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    return password


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    reach: str


DEMO_EDUCATOR_STUDENTS = 30


@transaction.atomic
def demo_logins_reset() -> list[DemoLogin]:
    """Create (or reset) the demo logins, each with a fresh random password, and their caseloads.

    - `admin`: district administrator (every student; the admin, to assign caseloads);
    - `counselor`: the whole of the school with the most students enrolled now;
    - `educator`: 30 students enrolled now in the largest grade of that school, one by one;
    - `staff`: data entry (the admin only).
    Idempotent: running it again gives new passwords and the same caseloads. Works on an empty
    district too (the caseloads are then empty).
    """
    logins = [
        DemoLogin(
            "admin",
            demo_user_reset(username="admin", role=DISTRICT_ADMIN),
            DISTRICT_ADMIN,
            "every student",
        ),
    ]
    counselor_password = demo_user_reset(username="counselor", role=COUNSELOR, is_staff=False)
    educator_password = demo_user_reset(username="educator", role=EDUCATOR, is_staff=False)
    users = get_user_model().objects
    counselor, educator = users.get(username="counselor"), users.get(username="educator")
    Assignment.objects.filter(user__in=[counselor, educator]).delete()
    current = Student.objects.all()
    if current.filter(enrollments__isnull=False).exists():
        # With an enrollment history, the students enrolled now: not last years' graduates
        # and leavers, who keep the grade and school they left with.
        current = current.filter(enrollments__exit_date__isnull=True).distinct()
    biggest = (
        current.exclude(school__isnull=True)
        .values("school")
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", "school")
        .first()
    )
    counselor_reach = educator_reach = "no students yet (load a district and run again)"
    if biggest:
        school = biggest["school"]
        Assignment.objects.create(user=counselor, school=school)
        counselor_reach = f"every student of {school}"
        grade = (
            current.filter(school=school)
            .values("grade_level")
            .annotate(n=Count("pk", distinct=True))
            .order_by("-n", "grade_level")
            .first()["grade_level"]
        )
        students = current.filter(school=school, grade_level=grade).order_by("district_id")[
            :DEMO_EDUCATOR_STUDENTS
        ]
        Assignment.objects.bulk_create(
            Assignment(user=educator, student=student) for student in students
        )
        educator_reach = f"{len(students)} students of grade {grade} at {school}"
    logins += [
        DemoLogin("counselor", counselor_password, COUNSELOR, counselor_reach),
        DemoLogin("educator", educator_password, EDUCATOR, educator_reach),
        DemoLogin("staff", demo_user_reset(username="staff"), DATA_ENTRY, "the admin only"),
    ]
    return logins
