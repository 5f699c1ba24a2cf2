"""Reads behind the support pages: the signed-in user's work list, the interventions report and
its description of attendance and risk around each start, and the MTSS export.

Like the dashboards, each function takes the queryset of students the user may see
(`students.access`) and runs a fixed number of queries, whatever the number of students.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from analytics.dashboards import FLAGGED, ScoringWeek, for_students
from analytics.models import StudentFeatures
from mlmodels.models import Prediction, RiskCategory
from students.interventions import due_condition
from students.models import OPEN_STATUSES, CheckIn, Intervention, Student

WORK_LIST_LIMIT = 200
# The report's window around each start: four weeks before, four after.
WEEKS_AROUND = 4


def newly_flagged(week: ScoringWeek, students: QuerySet[Student], everyone: bool) -> list:
    """Students high or critical in the latest run who were not in the run before (or rose from
    high to critical), most urgent first. One query (idx_predictions_week_ranked per category,
    a probe of predictions_student_as_of_model per row for the run before)."""
    if not week.ready:
        return []
    rows = Prediction.objects.filter(
        model_version_id=week.model.model_version, as_of=week.as_of, risk_category__in=FLAGGED
    )
    rows = for_students(rows, students, everyone)
    before = Prediction.objects.filter(
        student_id=OuterRef("student_id"),
        model_version_id=week.model.model_version,
        as_of=week.previous_as_of,
    ).values("risk_category")[:1]
    # News: not flagged before (no row, low or medium), or high before and critical now.
    rows = rows.annotate(before=Subquery(before)).filter(
        Q(before__isnull=True)
        | Q(before__in=(RiskCategory.LOW, RiskCategory.MEDIUM))
        | Q(before=RiskCategory.HIGH, risk_category=RiskCategory.CRITICAL)
    )
    return list(
        rows.select_related("student")
        .only(
            "id",
            "risk_score",
            "risk_category",
            "risk_factors",
            "as_of",
            "student__id",
            "student__district_id",
            "student__first_name",
            "student__last_name",
            "student__school",
            "student__grade_level",
        )
        .order_by("-risk_score")[:WORK_LIST_LIMIT]
    )


def top_factor(prediction) -> dict | None:
    """The factor that pushes the risk up most (risk_factors is sorted by weight)."""
    for f in prediction.risk_factors or []:
        if isinstance(f, dict) and (f.get("weight") or 0) > 0:
            return f
    return None


def my_plans(user, students: QuerySet[Student], everyone: bool) -> QuerySet[Intervention]:
    """The open interventions that are the user's to follow: those they own, and (for
    counselors and educators) those on the students assigned to them."""
    plans = Intervention.objects.filter(status__in=OPEN_STATUSES)
    plans = for_students(plans, students, everyone)
    if everyone:
        plans = plans.filter(owner=user)
    return plans.select_related("student", "intervention_type", "owner")


@dataclass
class WorkList:
    flagged: list
    due: list
    ending: list
    week_start: dt.date
    week_end: dt.date


def work_list(
    user, week: ScoringWeek, students: QuerySet[Student], everyone: bool, today: dt.date
) -> WorkList:
    """The "My students" page: newly flagged students, check-ins due, plans ending this week
    (Monday to Sunday). Three queries."""
    monday = today - dt.timedelta(days=today.weekday())
    sunday = monday + dt.timedelta(days=6)
    plans = my_plans(user, students, everyone)
    return WorkList(
        flagged=newly_flagged(week, students, everyone),
        due=list(plans.filter(due_condition(today)).order_by("last_check_in", "start_date")),
        ending=list(
            plans.filter(planned_end__gte=monday, planned_end__lte=sunday).order_by("planned_end")
        ),
        week_start=monday,
        week_end=sunday,
    )


# --- The interventions report ---------------------------------------------------------------------


def report_rows(students: QuerySet[Student], everyone: bool, school: str | None) -> QuerySet:
    plans = for_students(Intervention.objects.all(), students, everyone)
    if school:
        plans = plans.filter(student__school=school)
    return plans


def report_counts(plans: QuerySet[Intervention]) -> dict[str, list[tuple[str, int]]]:
    """Counts by type, tier, status and school: one query over the interventions."""
    by = {"type": Counter(), "tier": Counter(), "status": Counter(), "school": Counter()}
    for name, tier, status, school in plans.values_list(
        "intervention_type__name", "tier", "status", "student__school"
    ).order_by():
        by["type"][name] += 1
        by["tier"][f"Tier {tier}"] += 1
        by["status"][status] += 1
        by["school"][school or "(no school)"] += 1
    return {key: sorted(counter.items()) for key, counter in by.items()}


@dataclass
class AroundStart:
    """Mean attendance (30 days) and risk by week relative to the start of an intervention."""

    offsets: list[int]
    attendance: list[float | None]
    risk: list[float | None]
    students_attendance: list[int]
    students_risk: list[int]
    interventions: int


def around_start(plans: QuerySet[Intervention], model_version: str | None) -> AroundStart:
    """For each intervention, the student's weekly 30-day attendance rate and risk score in the
    WEEKS_AROUND weeks before and after its start (week 0 holds the start), averaged per week.

    Three queries: the starts, the feature rows and the predictions of those students inside the
    overall window (idx_features_student_date, idx_predictions_student). A description of what
    happened around the starts, not an estimate of an effect: there is no comparison group.
    """
    starts = list(plans.values_list("student_id", "start_date").order_by())
    offsets = list(range(-WEEKS_AROUND, WEEKS_AROUND + 1))
    none, zero = [None] * len(offsets), [0] * len(offsets)
    empty = AroundStart(offsets, none, none, zero, zero, 0)
    if not starts:
        return empty
    window = dt.timedelta(weeks=WEEKS_AROUND + 1)
    first, last = min(d for _, d in starts) - window, max(d for _, d in starts) + window
    by_student: dict = defaultdict(list)
    for student_id, start in starts:
        by_student[student_id].append(start)
    ids = list(by_student)
    attendance = StudentFeatures.objects.filter(
        student_id__in=ids, feature_date__gte=first, feature_date__lte=last
    ).values_list("student_id", "feature_date", "feature_vector__attendance_rate_30d")
    risk = Prediction.objects.none()
    if model_version:
        risk = Prediction.objects.filter(
            student_id__in=ids,
            model_version_id=model_version,
            as_of__gte=first,
            as_of__lte=last,
        ).values_list("student_id", "as_of", "risk_score")

    def bucket(rows):
        sums, counts = [0.0] * len(offsets), [0] * len(offsets)
        for student_id, day, value in rows.order_by():
            if value is None:
                continue
            for start in by_student[student_id]:
                k = (day - start).days // 7
                if -WEEKS_AROUND <= k <= WEEKS_AROUND:
                    sums[k + WEEKS_AROUND] += float(value)
                    counts[k + WEEKS_AROUND] += 1
        means = [round(s / n, 4) if n else None for s, n in zip(sums, counts, strict=True)]
        return means, counts

    attendance_means, attendance_n = bucket(attendance)
    risk_means, risk_n = bucket(risk) if model_version else (none, zero)
    return AroundStart(offsets, attendance_means, risk_means, attendance_n, risk_n, len(starts))


def export_rows(plans: QuerySet[Intervention]) -> QuerySet[Intervention]:
    """Every intervention with its student, type, owner, number of check-ins and the newest
    check-in's progress: one streamed query."""
    newest = CheckIn.objects.filter(intervention_id=OuterRef("pk")).order_by("-date", "-id")
    return (
        plans.select_related("student", "intervention_type", "owner")
        .annotate(
            check_in_count=Count("check_ins"),
            last_progress=Subquery(newest.values("progress")[:1]),
        )
        .order_by("student__school", "student__last_name", "student__district_id", "start_date")
    )
