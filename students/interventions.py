"""Writes and reads of a student's support: interventions, their check-ins, case notes.

Services (`<noun>_<verb>`, keyword-only, atomic) are the only writers; views and the demo
command call them. Who may do what is checked by the caller through `students.access`; the
services check what the data itself requires (an owner who can see the student, a closed
intervention takes no check-in).
"""

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet

from students.access import sees_restricted_notes, users_who_see
from students.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CaseNote,
    CheckIn,
    Domain,
    Intervention,
    InterventionStatus,
    InterventionType,
    NoteVisibility,
    Student,
)

PLANNED_WEEKS = 6

# The model's factors (docs/features.md) by the domain an intervention on them would serve.
FACTOR_DOMAINS = {
    Domain.ATTENDANCE: ("attendance", "absence", "absences", "tardies", "tardy", "streak"),
    Domain.BEHAVIOR: ("incident", "incidents", "discipline", "severity", "suspension"),
    Domain.COURSE_PERFORMANCE: ("gpa", "course", "courses", "failing", "missing", "grade"),
}


def domain_for_factor(factor: str) -> str | None:
    """The domain a risk factor belongs to (`absences_30d` is attendance), or None."""
    words = set(factor.lower().split("_"))
    for domain, keys in FACTOR_DOMAINS.items():
        if words & set(keys):
            return domain.value
    return None


def check_in_days() -> int:
    return settings.EDUPULSE_CHECK_IN_DAYS


def due_before(today: dt.date) -> dt.date:
    """An open intervention whose last contact is before this date has a check-in due."""
    return today - dt.timedelta(days=check_in_days())


def due_condition(today: dt.date, prefix: str = "") -> Q:
    """Intervention rows (or rows reached through `prefix`) with a check-in due on `today`."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES}) & (
        Q(**{f"{prefix}last_check_in__lt": due_before(today)})
        | Q(
            **{f"{prefix}last_check_in__isnull": True, f"{prefix}start_date__lt": due_before(today)}
        )
    )


# --- Services ------------------------------------------------------------------------------------


@transaction.atomic
def intervention_start(
    *,
    student: Student,
    intervention_type: InterventionType,
    tier: int,
    owner: User,
    goal: str,
    start_date: dt.date,
    created_by: User | None,
    today: dt.date,
    domain: str | None = None,
    planned_end: dt.date | None = None,
    prediction=None,
) -> Intervention:
    """Start (or plan, when it starts after `today`) an intervention for `student`.

    The owner must be able to see the student; the planned end defaults to six weeks after the
    start; the domain defaults to the type's. Audited (interventions_history).
    """
    if not users_who_see(student).filter(pk=owner.pk).exists():
        raise ValidationError({"owner": "The owner must be someone who can see this student."})
    if prediction is not None and prediction.student_id != student.pk:
        raise ValidationError("The prediction is not this student's.")
    intervention = Intervention(
        student=student,
        intervention_type=intervention_type,
        domain=domain or intervention_type.domain,
        tier=tier,
        owner=owner,
        goal=goal,
        start_date=start_date,
        planned_end=planned_end or start_date + dt.timedelta(weeks=PLANNED_WEEKS),
        status=InterventionStatus.PLANNED if start_date > today else InterventionStatus.ACTIVE,
        prediction=prediction,
        created_by=created_by,
    )
    intervention.full_clean()
    intervention.save()
    return intervention


@transaction.atomic
def check_in_add(
    *, intervention: Intervention, author: User, date: dt.date, progress: str, note: str = ""
) -> CheckIn:
    """Record a check-in; a planned intervention becomes active. Refused on a closed one."""
    intervention = Intervention.objects.select_for_update().get(pk=intervention.pk)
    if intervention.status in CLOSED_STATUSES:
        raise ValidationError("This intervention is closed: it takes no more check-ins.")
    check_in = CheckIn(
        intervention=intervention, author=author, date=date, progress=progress, note=note
    )
    check_in.full_clean()
    check_in.save()
    # The newest check-in date, whatever order check-ins are entered in (the row is locked).
    if intervention.last_check_in is None or date > intervention.last_check_in:
        intervention.last_check_in = date
    intervention.status = InterventionStatus.ACTIVE
    intervention.save()
    return check_in


@transaction.atomic
def intervention_close(
    *, intervention: Intervention, status: str, outcome: str, ended_on: dt.date
) -> Intervention:
    """Close an intervention as completed or discontinued, with its outcome in words."""
    if status not in CLOSED_STATUSES:
        raise ValidationError({"status": "Close as completed or discontinued."})
    if ended_on < intervention.start_date:
        raise ValidationError({"ended_on": "The end cannot be before the start."})
    intervention.status = status
    intervention.outcome = outcome
    intervention.ended_on = ended_on
    intervention.full_clean()
    intervention.save()
    return intervention


@transaction.atomic
def case_note_add(
    *, student: Student, author: User, date: dt.date, text: str, visibility: str
) -> CaseNote:
    """Write a case note (audited: case_notes_history keeps who wrote, changed or deleted it)."""
    note = CaseNote(student=student, author=author, date=date, text=text, visibility=visibility)
    note.full_clean()
    note.save()
    return note


@transaction.atomic
def case_note_delete(*, note: CaseNote) -> None:
    """Delete a case note; the audit trail keeps a copy with who deleted it and when."""
    note.delete()


# --- Selectors -----------------------------------------------------------------------------------


def notes_for(user: User, student: Student) -> QuerySet[CaseNote]:
    """The notes on `student` that `user` may read (idx_case_notes_student_date): all of them
    for counselors and administrators; for educators, those open to everyone and their own."""
    notes = CaseNote.objects.filter(student=student).select_related("author")
    if not sees_restricted_notes(user):
        notes = notes.filter(Q(visibility=NoteVisibility.EVERYONE) | Q(author=user))
    return notes


def active_types() -> QuerySet[InterventionType]:
    return InterventionType.objects.filter(is_active=True)
