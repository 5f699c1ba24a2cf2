"""Who may see which students: the one rule every page, export and form goes through.

- Superusers and district administrators see every student.
- Counselors and educators see the students assigned to them (`Assignment`): single students,
  and whole groups (a school, or one grade of a school), which follow enrollment.
- Anyone else (data entry staff, a user with no role) sees no student in the dashboards; staff
  work in the admin, whose model permissions are separate.

A student outside a user's reach is answered with 404, never 403, so a page does not even
confirm that the student exists (`student_for_user`).
"""

import functools
import hashlib

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from students.models import Assignment, Student
from students.roles import ASSIGNED_ROLES, COUNSELOR, DISTRICT_ADMIN, FEEDBACK_ROLES


def _group_names(user) -> frozenset[str]:
    # Cached on the user object: one query per request, whatever the number of checks.
    cached = getattr(user, "_edupulse_groups", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._edupulse_groups = cached
    return cached


def sees_everyone(user: User | AnonymousUser) -> bool:
    return user.is_active and (user.is_superuser or DISTRICT_ADMIN in _group_names(user))


def has_role(user: User | AnonymousUser, role: str) -> bool:
    """Whether an active, signed-in user is a member of `role` (a students.roles name)."""
    return user.is_authenticated and user.is_active and role in _group_names(user)


def has_dashboard_role(user: User | AnonymousUser) -> bool:
    """May use the dashboards at all: administrators, counselors, educators."""
    if not user.is_authenticated or not user.is_active:
        return False
    return sees_everyone(user) or bool(_group_names(user) & set(ASSIGNED_ROLES))


def may_give_feedback(user: User | AnonymousUser) -> bool:
    """Counselors and educators (and superusers) give feedback on predictions."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or bool(_group_names(user) & set(FEEDBACK_ROLES))


def assigned_condition(user: User) -> Q:
    """The condition on students that the user's assignments cover.

    Single students become `id IN (SELECT student_id ... WHERE user_id = ...)` (a hashed
    subquery on the unique index that leads with user_id); groups, read once per request (a
    user has a handful), become plain `school = ... AND grade_level = ...` terms, which
    idx_students_school_grade serves. A correlated EXISTS with OR inside would instead be
    evaluated once per student row, which the planner cannot index.
    """
    return _assignments(user)[0]


def _assignments(user: User) -> tuple[Q, str]:
    """(condition, signature) of the user's assignments, read once per request."""
    cached = getattr(user, "_edupulse_assigned", None)
    if cached is not None:
        return cached
    rows = sorted(
        Assignment.objects.filter(user=user).values_list("student_id", "school", "grade_level"),
        key=repr,
    )
    condition = Q(
        pk__in=Assignment.objects.filter(user=user, student__isnull=False).values("student_id")
    )
    for student_id, school, grade_level in rows:
        if student_id is not None:
            continue
        if grade_level is None:
            condition |= Q(school=school)
        else:
            condition |= Q(school=school, grade_level=grade_level)
    signature = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    user._edupulse_assigned = (condition, signature)
    user._edupulse_assigned_rows = rows
    return user._edupulse_assigned


def assigned_groups(user: User) -> tuple[list[tuple[str, int | None]], QuerySet[Student] | None]:
    """The user's assignments in two parts: the whole groups, as (school, grade level or None
    for every grade), and the students assigned one by one outside those groups (None when
    there are none). Together exactly `visible_students` for a user with an assigned role; for
    aggregates kept per school and grade (the weekly attendance summary), which read the
    groups directly."""
    _assignments(user)  # reads the rows once per request
    rows = user._edupulse_assigned_rows
    groups = [(school, grade) for student_id, school, grade in rows if student_id is None]
    if all(student_id is None for student_id, _, _ in rows):
        return groups, None
    singles = Student.objects.filter(
        pk__in=Assignment.objects.filter(user=user, student__isnull=False).values("student_id")
    )
    if groups:
        in_groups = Q()
        for school, grade in groups:
            in_groups |= Q(school=school) if grade is None else Q(school=school, grade_level=grade)
        singles = singles.exclude(in_groups)
    return groups, singles


def scope_key(user: User | AnonymousUser) -> str:
    """Names the set of students `user` sees, for caching aggregates: equal keys, equal sets."""
    if sees_everyone(user):
        return "all"
    if user.is_authenticated and _group_names(user) & set(ASSIGNED_ROLES):
        return f"u{user.pk}-{_assignments(user)[1]}"
    return "none"


def visible_students(user: User | AnonymousUser) -> QuerySet[Student]:
    """The students `user` may see. Every view, export and form starts from this queryset."""
    if not user.is_authenticated or not user.is_active:
        return Student.objects.none()
    if sees_everyone(user):
        return Student.objects.all()
    if _group_names(user) & set(ASSIGNED_ROLES):
        return Student.objects.filter(assigned_condition(user))
    return Student.objects.none()


def student_for_user(user: User | AnonymousUser, student_id) -> Student:
    """The student with this id if `user` may see them, else 404 (also for a malformed id)."""
    try:
        return visible_students(user).get(pk=student_id)
    except (Student.DoesNotExist, ValidationError, ValueError, TypeError) as missing:
        raise Http404("No such student.") from missing


def dashboard_view(view):
    """For the dashboard pages: login (the middleware sends anonymous users to the login page)
    and a dashboard role; anyone else (data entry staff) gets 403."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not has_dashboard_role(request.user):
            raise PermissionDenied(
                "The dashboards are for administrators, counselors and educators."
            )
        return view(request, *args, **kwargs)

    return wrapped


def may_manage_interventions(user: User | AnonymousUser) -> bool:
    """Counselors and administrators (and superusers) start and close interventions."""
    if not user.is_authenticated or not user.is_active:
        return False
    return sees_everyone(user) or COUNSELOR in _group_names(user)


def may_follow_up(user: User | AnonymousUser) -> bool:
    """Whoever may use the dashboards adds check-ins and case notes on students within reach:
    educators, counselors, administrators."""
    return has_dashboard_role(user)


def sees_restricted_notes(user: User | AnonymousUser) -> bool:
    """Counselor-only case notes are read by counselors and administrators (and superusers)."""
    return may_manage_interventions(user)


def users_who_see(student: Student) -> QuerySet:
    """Active users who may see `student`: administrators, and the counselors and educators
    whose assignments cover them (one student, their school, or their school and grade)."""
    covering = Q(assignments__student=student) | Q(
        assignments__student__isnull=True, assignments__school=student.school
    ) & (Q(assignments__grade_level__isnull=True) | Q(assignments__grade_level=student.grade_level))
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__name=DISTRICT_ADMIN)
            | (Q(groups__name__in=ASSIGNED_ROLES) & covering)
        )
        .distinct()
        .order_by("username")
    )
