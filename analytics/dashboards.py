"""Reads behind the dashboards: current risk, weekly history, attendance trends, feedback counts.

Every function takes the queryset of students the user may see (`students.access`) and runs a
fixed number of queries, whatever the number of students: aggregates are computed in SQL and
lists are paginated in SQL.

"Current risk" (the schema document's query) is each student's latest prediction from the active
model. The weekly scoring run writes one prediction per student of the cohort for its as-of date
T, so the latest run's rows are every current student's latest prediction: the dashboards read
the rows of (active model, latest T) through idx_predictions_as_of_category instead of a
per-student "ORDER BY ... LIMIT 1", which at 100,000 students is 100,000 probes. A student who
left the cohort has no row for the latest T and leaves the dashboard; their history stays on
their page.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import (
    Avg,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Least

from analytics import page_cache
from analytics.models import AttendanceWeek, StudentFeatures
from mlmodels import baseline
from mlmodels.models import ModelMetadata, Prediction, RiskCategory, TrainingFeedback
from records.models import AttendanceRecord, AttendanceStatus, Enrollment, StudentOutcome
from students.interventions import due_condition
from students.models import OPEN_STATUSES, Intervention, Student

# Most urgent first: the dashboards' default order and the order of every category list.
CATEGORY_ORDER = (RiskCategory.CRITICAL, RiskCategory.HIGH, RiskCategory.MEDIUM, RiskCategory.LOW)
FLAGGED = (RiskCategory.CRITICAL, RiskCategory.HIGH)
HISTOGRAM_BINS = 10
# The aggregates (category counts, histogram, the latest week's counts, attendance trends) are
# cached in the current data generation (analytics/page_cache.py): a write of students,
# predictions, models or assignments recomputes them. A past run's counts never change: they are
# kept by date for a day.
PAST_WEEK_SECONDS = 24 * 3600
# Chronic absence: missing 10% or more of the school days so far this year (the U.S. Department
# of Education's definition), i.e. a year-to-date attendance rate below 90%.
CHRONIC_ABSENCE_BELOW = 0.90
# student_features.attendance_rate is a 4-byte real: on PostgreSQL a rate of exactly 90% is
# stored as 0.8999999762, below 0.90. Compared in the database with this cut, a student at 90%
# is not chronically absent there either.
_CHRONIC_CUT_REAL = CHRONIC_ABSENCE_BELOW - 1e-6


@dataclass(frozen=True)
class ScoringWeek:
    """The active model, the as-of date of its latest run, and the run before it."""

    model: ModelMetadata | None
    as_of: dt.date | None
    previous_as_of: dt.date | None

    @property
    def ready(self) -> bool:
        return self.model is not None and self.as_of is not None


def active_model() -> ModelMetadata | None:
    """The model the pages show (model_bytes is megabytes: never read for a page), cached for
    WEEK_SECONDS in the data generation."""
    return page_cache.cached(("active-model",), _active_model, page_cache.WEEK_SECONDS)


def _active_model() -> ModelMetadata | None:
    """The active model; with none active, the ABC rules' version, which is what `predict`
    scores with then (a district's first day, or after a learned model was deactivated). One
    query: model_metadata holds a handful of rows."""
    return (
        ModelMetadata.objects.defer("model_bytes")
        .filter(Q(is_active=True) | Q(model_version=baseline.VERSION))
        .order_by("-is_active")
        .first()
    )


@dataclass(frozen=True)
class Freshness:
    """How old the scores on a page are: the latest run's as-of date against today."""

    as_of: dt.date
    days: int
    stale_after: int

    @property
    def stale(self) -> bool:
        return self.days > self.stale_after

    @property
    def age(self) -> str:
        if self.days <= 0:
            return "today"
        return "yesterday" if self.days == 1 else f"{self.days} days ago"


def freshness(week: ScoringWeek, today: dt.date) -> Freshness | None:
    """The age of the latest run, stale past settings.EDUPULSE_STALE_AFTER_DAYS (two school
    weeks). Computed per request, never cached with the page parts: the data does not change
    while the scores grow old."""
    if week.as_of is None:
        return None
    return Freshness(week.as_of, (today - week.as_of).days, settings.EDUPULSE_STALE_AFTER_DAYS)


def scoring_week() -> ScoringWeek:
    """The active model and its latest runs, cached for WEEK_SECONDS in the data generation."""
    return page_cache.cached(("scoring-week",), _scoring_week, page_cache.WEEK_SECONDS)


def _scoring_week() -> ScoringWeek:
    """Three small queries: the active model (model_metadata_one_active), its latest as-of date
    and the one before (backward scans of idx_predictions_as_of_category that stop at the first
    row of the model)."""
    model = _active_model()
    if model is None:
        return ScoringWeek(None, None, None)
    of_model = Prediction.objects.filter(model_version_id=model.model_version)
    as_of = (
        of_model.filter(as_of__isnull=False).order_by("-as_of").values_list("as_of", flat=True)
    ).first()
    previous = None
    if as_of is not None:
        previous = (
            of_model.filter(as_of__lt=as_of).order_by("-as_of").values_list("as_of", flat=True)
        ).first()
    return ScoringWeek(model, as_of, previous)


def for_students(queryset: QuerySet, students: QuerySet[Student], everyone: bool) -> QuerySet:
    """Restrict rows with a `student` to `students`; no restriction at all for everyone."""
    return queryset if everyone else queryset.filter(student__in=students.values("pk"))


@dataclass
class DashboardQuery:
    """The dashboard's filters, from the query string (search from the session: no names in
    URLs)."""

    grade_level: int | None = None
    school: str | None = None
    category: str | None = None
    factor: str | None = None
    newly_high: bool = False
    without_intervention: bool = False
    check_in_due: bool = False
    chronic_absence: bool = False
    search: str = ""
    sort: str = "risk"
    # "Check-in due" depends on the day: it is part of the cache key when that filter is on.
    today: dt.date | None = None

    def student_filter(self) -> Q:
        """Conditions on the student (the ones the weekly history honours too)."""
        q = Q()
        if self.grade_level is not None:
            q &= Q(student__grade_level=self.grade_level)
        if self.school:
            q &= Q(student__school=self.school)
        for word in self.search.split():
            # A district ID (exact, idx_students_district_id) or the start of a name.
            q &= (
                Q(student__district_id=word)
                | Q(student__last_name__istartswith=word)
                | Q(student__first_name__istartswith=word)
            )
        return q

    def cache_key(self) -> str:
        return repr(
            (
                self.grade_level,
                self.school,
                self.factor,
                self.newly_high,
                self.search,
                self.without_intervention,
                self.today if self.check_in_due else None,
                self.chronic_absence,
            )
        )


# Sort keys offered by the dashboard: name -> ORDER BY. "risk" is handled by category segments.
SORTS = {
    "risk": None,
    "score": ("risk_score", "student__district_id"),
    "-score": ("-risk_score", "student__district_id"),
    "name": ("student__last_name", "student__first_name", "student__district_id"),
    "district_id": ("student__district_id",),
    "grade": ("student__grade_level", "-risk_score", "student__district_id"),
    "school": ("student__school", "-risk_score", "student__district_id"),
}
SORT_LABELS = {
    "risk": "Most urgent first",
    "-score": "Risk score, high to low",
    "score": "Risk score, low to high",
    "name": "Name",
    "district_id": "District ID",
    "grade": "Grade level",
    "school": "School",
}


def current_predictions(
    week: ScoringWeek, students: QuerySet[Student], everyone: bool, query: DashboardQuery
) -> QuerySet[Prediction]:
    """The latest-run predictions of the visible students that pass every filter but the
    category (the category splits the counts)."""
    rows = Prediction.objects.filter(model_version_id=week.model.model_version, as_of=week.as_of)
    rows = for_students(rows, students, everyone).filter(query.student_filter())
    if query.factor:
        rows = rows.filter(factor_among_top(query.factor))
    if query.newly_high:
        # High or critical now, and not in the run before (a probe of the unique index
        # predictions_student_as_of_model per row).
        before = Prediction.objects.filter(
            student_id=OuterRef("student_id"),
            model_version_id=week.model.model_version,
            as_of=week.previous_as_of,
            risk_category__in=FLAGGED,
        )
        rows = rows.filter(risk_category__in=FLAGGED).exclude(Exists(before))
    if query.without_intervention:
        # Flagged, and no planned or active intervention (idx_interventions_student_stat).
        open_plan = Intervention.objects.filter(
            student_id=OuterRef("student_id"), status__in=OPEN_STATUSES
        )
        rows = rows.filter(risk_category__in=FLAGGED).exclude(Exists(open_plan))
    if query.chronic_absence:
        # The year-to-date rate of the feature row the prediction was scored from (the primary
        # key (student_id, feature_date) of student_features, one probe per row).
        rows = rows.filter(
            Exists(
                StudentFeatures.objects.filter(
                    student_id=OuterRef("student_id"),
                    feature_date=OuterRef("as_of"),
                    attendance_rate__lt=_CHRONIC_CUT_REAL,
                )
            )
        )
    if query.check_in_due:
        due = Intervention.objects.filter(
            Q(student_id=OuterRef("student_id")) & due_condition(query.today)
        )
        rows = rows.filter(Exists(due))
    return rows


def open_plans(student_ids: list) -> dict:
    """{student id: the open intervention with the highest tier} for one page of rows: one
    query (idx_interventions_student_stat), whatever the page."""
    plans: dict = {}
    for plan in (
        Intervention.objects.filter(student_id__in=student_ids, status__in=OPEN_STATUSES)
        .select_related("owner")
        .only("student_id", "tier", "start_date", "owner__username")
        .order_by("tier", "start_date")
    ):
        plans[plan.student_id] = plan  # the last one wins: the highest tier, newest start
    return plans


TOP_FACTORS = 3


def factor_among_top(name: str) -> Q:
    """The factor is one of the prediction's top 3 (risk_factors is sorted by weight, largest
    first) and pushes the risk up. Plain JSON key lookups: the same SQL on PostgreSQL and SQLite."""
    q = Q()
    for i in range(TOP_FACTORS):
        q |= Q(**{f"risk_factors__{i}__factor": name, f"risk_factors__{i}__weight__gt": 0})
    return q


def category_counts(rows: QuerySet[Prediction], key: str) -> dict[str, int]:
    """{category: count} in CATEGORY_ORDER, zeros included. One GROUP BY, cached under `key`
    (which names the scope, model, week and filters): at a whole district it reads the week's
    100,000 rows."""

    def compute():
        found = dict(
            rows.order_by()
            .values_list("risk_category")
            .annotate(n=Count("pk"))
            .values_list("risk_category", "n")
        )
        return {str(c): found.get(c, 0) for c in CATEGORY_ORDER}

    return _cached(f"counts:{key}", compute)


@dataclass
class Page:
    number: int
    per_page: int
    total: int
    rows: list[Prediction] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.number - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.number * self.per_page)


ROW_FIELDS = (
    "id",
    "as_of",
    "risk_score",
    "risk_category",
    "confidence",
    "risk_factors",
    "student__id",
    "student__district_id",
    "student__first_name",
    "student__last_name",
    "student__grade_level",
    "student__school",
)


def _listed(rows: QuerySet[Prediction], week: "ScoringWeek | None" = None) -> QuerySet[Prediction]:
    """The rows with their student; with `week`, each row also carries the previous run's score
    (`previous_score`, via predictions_student_as_of_model) and the features it was scored from
    (`features`, via the primary key of student_features): sub-selects of the page's query, so
    a page of 50 rows costs no extra query."""
    rows = rows.select_related("student").only(*ROW_FIELDS)
    if week is None:
        return rows
    features = StudentFeatures.objects.filter(
        student_id=OuterRef("student_id"), feature_date=OuterRef("as_of")
    )
    rows = rows.annotate(features=Subquery(features.values("feature_vector")[:1], JSONField()))
    if week.previous_as_of is not None:
        before = Prediction.objects.filter(
            student_id=OuterRef("student_id"),
            model_version_id=week.model.model_version,
            as_of=week.previous_as_of,
        )
        rows = rows.annotate(
            previous_score=Subquery(before.values("risk_score")[:1], FloatField()),
            previous_category=Subquery(before.values("risk_category")[:1]),
        )
    return rows


def page_of(
    rows: QuerySet[Prediction],
    counts: dict[str, int],
    query: DashboardQuery,
    number: int,
    per_page: int,
    week: ScoringWeek | None = None,
) -> Page:
    """One page of rows in the chosen order.

    The default order, most urgent first, is category (critical, high, medium, low) then score.
    Sorting every row of the week by a CASE would read all of them (100,000 at a district); the
    page is instead cut from the category segments it overlaps, each one an ORDER BY risk_score
    LIMIT on (as_of, risk_category) of idx_predictions_as_of_category: at most four small
    queries, usually one.
    """
    wanted = [c for c in CATEGORY_ORDER if query.category in (None, c)]
    total = sum(counts[c] for c in wanted)
    page = Page(number=1, per_page=per_page, total=total)
    page.number = min(max(1, number), page.pages)
    start, stop = (page.number - 1) * per_page, page.number * per_page
    if query.sort != "risk":
        if query.category:
            rows = rows.filter(risk_category=query.category)
        page.rows = list(_listed(rows, week).order_by(*SORTS[query.sort])[start:stop])
        return page
    offset = 0
    for category in wanted:
        size = counts[category]
        low, high = max(start - offset, 0), min(stop - offset, size)
        if low < high:
            segment = rows.filter(risk_category=category).order_by(
                "-risk_score", "student__district_id"
            )
            page.rows.extend(_listed(segment, week)[low:high])
        offset += size
    return page


def ordered_for_export(rows: QuerySet[Prediction], query: DashboardQuery):
    """Every filtered row, in the page's order, for the CSV export (one streamed query)."""
    if query.category:
        rows = rows.filter(risk_category=query.category)
    if query.sort == "risk":
        rank = Case(
            *(When(risk_category=c, then=Value(i)) for i, c in enumerate(CATEGORY_ORDER)),
            output_field=IntegerField(),
        )
        order = (rank.asc(), "-risk_score", "student__district_id")
    else:
        order = SORTS[query.sort]
    return _listed(rows).order_by(*order)


def _cached(key: str, compute):
    return page_cache.cached((key,), compute)


def score_histogram(rows: QuerySet[Prediction], scope_key: str, query: DashboardQuery) -> list:
    """[(bin lower bound, count)] for HISTOGRAM_BINS equal bins of risk_score. One GROUP BY."""

    def compute():
        filtered = rows.filter(risk_category=query.category) if query.category else rows
        bins = dict(
            filtered.order_by()
            .annotate(
                bin=Least(
                    Cast(F("risk_score") * HISTOGRAM_BINS, IntegerField()),
                    Value(HISTOGRAM_BINS - 1),
                )
            )
            .values_list("bin")
            .annotate(n=Count("pk"))
            .values_list("bin", "n")
        )
        return [(i / HISTOGRAM_BINS, bins.get(i, 0)) for i in range(HISTOGRAM_BINS)]

    return _cached(f"dash:hist:{scope_key}:{query.cache_key()}:{query.category}", compute)


def weekly_category_counts(
    week: ScoringWeek,
    students: QuerySet[Student],
    everyone: bool,
    query: DashboardQuery,
    scope_key: str,
    weeks: int = 8,
) -> list[tuple[dt.date, dict[str, int]]]:
    """Category counts of each of the model's last `weeks` runs, oldest first.

    A past run's counts do not change, so each week is cached on its own (a day for past weeks,
    or until students or assignments change, which can move a student out of the scope; the
    data generation for the latest) and one GROUP BY over (as_of, risk_category) computes
    only the weeks missing from the cache: after the first request of a week, one week at most.
    """
    dates = [week.as_of - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    keys = {d: _week_key(week, d, scope_key, query) for d in dates}
    found = cache.get_many(list(keys.values()))
    missing = [d for d in dates if keys[d] not in found]
    if missing:
        rows = Prediction.objects.filter(
            model_version_id=week.model.model_version, as_of__in=missing
        )
        rows = for_students(rows, students, everyone).filter(query.student_filter())
        fresh = {d: {str(c): 0 for c in CATEGORY_ORDER} for d in missing}
        for as_of, category, n in (
            rows.order_by()
            .values_list("as_of", "risk_category")
            .annotate(n=Count("pk"))
            .values_list("as_of", "risk_category", "n")
        ):
            fresh[as_of][category] = n
        for d, counts in fresh.items():
            cache.set(
                keys[d], counts, page_cache.PAGE_SECONDS if d == week.as_of else PAST_WEEK_SECONDS
            )
            found[keys[d]] = counts
    return [(d, found[keys[d]]) for d in dates if any(found[keys[d]].values())]


def _week_key(week: ScoringWeek, as_of: dt.date, scope_key: str, query: DashboardQuery) -> str:
    parts = ("week", scope_key, week.model.model_version, as_of, query.cache_key())
    if as_of == week.as_of:
        return page_cache.key(*parts)  # the latest run may still be scored again
    # A past run is not scored again, but who is in the scope changes: a student who leaves a
    # caseload (an assignment, a new school or grade) leaves its past counts at once.
    parts = (*parts, page_cache.membership())
    return "pages:" + hashlib.sha256(repr(parts).encode()).hexdigest()


# --- Domain indicators, chronic absence, week-over-week change -----------------------------------

DOMAINS = (
    ("attendance", "Attendance"),
    ("behavior", "Behaviour"),
    ("course", "Course performance"),
)
# The feature values each indicator reads: a row missing all of them has no status ("no data").
_DOMAIN_INPUTS = {
    "attendance": ("attendance_rate_ytd",),
    "behavior": tuple(baseline.SEVERITIES),
    "course": ("courses_failing", "gpa_current"),
}


def domain_rules() -> list[tuple[str, str]]:
    """[(domain label, the rule in words)], worded from the district's cut-offs
    (mlmodels.baseline.thresholds), so the page never restates a number of its own."""
    cut = baseline.thresholds()
    return [
        (
            "Attendance",
            f"off track when attendance this school year is below {cut['attendance_below']:.0%}",
        ),
        (
            "Behaviour",
            f"off track with {cut['incidents_at_least']} or more incidents in 90 days, or any of"
            f" severity {cut['severity_at_least']} or more",
        ),
        (
            "Course performance",
            f"off track when failing a course or with a GPA below {cut['gpa_below']:.1f}",
        ),
    ]


def domain_status(vectors: list) -> list[list[dict]]:
    """For each feature vector (or None), the three ABC indicators as
    [{domain, label, status: "off"|"on"|"none", text}], from mlmodels.baseline.indicators: one
    call for a whole page of rows."""
    values = [
        (v.get("features") if isinstance(v, dict) and isinstance(v.get("features"), dict) else {})
        for v in vectors
    ]
    if not values:
        return []
    columns = {
        name: np.array([_float(f.get(name)) for f in values], dtype=float)  # None is NaN
        for name in baseline.INPUTS
    }
    flags = baseline.indicator_arrays(columns)
    out = []
    for i, f in enumerate(values):
        row = []
        for domain, label in DOMAINS:
            known = any(_float(f.get(n)) is not None for n in _DOMAIN_INPUTS[domain])
            status = "none" if not known else ("off" if bool(flags[domain][i]) else "on")
            word = {"off": "off track", "on": "on track", "none": "no data"}[status]
            row.append(
                {"domain": domain, "label": label, "status": status, "text": f"{label}: {word}"}
            )
        out.append(row)
    return out


def _float(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def attendance_figures(vector) -> dict:
    """The year-to-date and 30-day attendance rates of a feature vector, and the chronic-absence
    flag (None where the rate is not known)."""
    f = vector.get("features") if isinstance(vector, dict) else None
    f = f if isinstance(f, dict) else {}
    ytd, d30 = _float(f.get("attendance_rate_ytd")), _float(f.get("attendance_rate_30d"))
    return {"ytd": ytd, "d30": d30, "chronic": None if ytd is None else ytd < CHRONIC_ABSENCE_BELOW}


def change(p: Prediction, week: ScoringWeek) -> dict:
    """The row's change since the previous run: {"kind": "up"|"down"|"same"|"new"|"", "text"}.
    "new": the student has no prediction in the previous run (joined the cohort since)."""
    if week.previous_as_of is None:
        return {"kind": "", "text": "—"}
    before = getattr(p, "previous_score", None)
    if before is None:
        return {"kind": "new", "text": "new this week"}
    delta = (p.risk_score or 0) - before
    moved = ""
    previous_category = getattr(p, "previous_category", None)
    if previous_category and previous_category != p.risk_category:
        moved = f", was {RiskCategory(previous_category).label.lower()}"
    if abs(delta) < 0.005:
        return {"kind": "same", "text": f"no change{moved}"}
    kind = "up" if delta > 0 else "down"
    return {"kind": kind, "text": f"{kind} {abs(delta):.2f}{moved}"}


@dataclass(frozen=True)
class CohortGap:
    """A scoped user's students who have no row in the latest run, and why."""

    assigned: int
    missing: int
    left: int
    not_enrolled: int


def cohort_gap(week: ScoringWeek, students: QuerySet[Student]) -> CohortGap:
    """Of the students in a user's scope, those not scored in the latest run: "left" (a terminal
    outcome, or an enrollment that ended, on or before the as-of date) or "not enrolled" on that
    date (not yet enrolled, or no enrollment covering it). One aggregate query; each probe uses
    idx_predictions_student, idx_outcomes_student_date or idx_enrollments_student_entry."""
    scored = Prediction.objects.filter(
        student_id=OuterRef("pk"), model_version_id=week.model.model_version, as_of=week.as_of
    )
    terminal = StudentOutcome.objects.filter(
        student_id=OuterRef("pk"),
        outcome_date__lte=week.as_of,
        outcome_type__in=sorted(str(t) for t in StudentOutcome.TERMINAL),
    )
    ended = Enrollment.objects.filter(student_id=OuterRef("pk"), exit_date__lt=week.as_of)
    left = Q(Exists(terminal)) | Q(Exists(ended))
    counts = (
        Student.objects.filter(pk__in=students.values("pk"))
        .order_by()
        .aggregate(
            assigned=Count("pk"),
            missing=Count("pk", filter=~Q(Exists(scored))),
            left=Count("pk", filter=~Q(Exists(scored)) & left),
        )
    )
    return CohortGap(
        assigned=counts["assigned"],
        missing=counts["missing"],
        left=counts["left"],
        not_enrolled=counts["missing"] - counts["left"],
    )


def histogram_by_category(
    rows: QuerySet[Prediction], key: str
) -> tuple[dict[str, int], list[tuple[float, dict[str, int]]]]:
    """The category counts ({category: count} in CATEGORY_ORDER) and
    [(bin lower bound, {category: count})] for HISTOGRAM_BINS equal bins of risk_score, each bin
    split by the students' risk category (the model's own cut-offs), so that a colour always
    means a category. One GROUP BY over every category (the counts are its column sums; a
    category filter keeps that category's part of the bins), cached under `key`."""

    def compute():
        found: dict = {}
        for b, category, n in (
            rows.order_by()
            .annotate(
                bin=Least(
                    Cast(F("risk_score") * HISTOGRAM_BINS, IntegerField()),
                    Value(HISTOGRAM_BINS - 1),
                )
            )
            .values_list("bin", "risk_category")
            .annotate(n=Count("pk"))
            .values_list("bin", "risk_category", "n")
        ):
            cell = found.setdefault(b, {})
            cell[str(category)] = cell.get(str(category), 0) + n
        counts = {
            str(c): sum(cell.get(str(c), 0) for cell in found.values()) for c in CATEGORY_ORDER
        }
        bins = [
            (i / HISTOGRAM_BINS, {str(c): found.get(i, {}).get(str(c), 0) for c in CATEGORY_ORDER})
            for i in range(HISTOGRAM_BINS)
        ]
        return counts, bins

    return _cached(f"dash:hist-cat:{key}", compute)


# --- Attendance trends ------------------------------------------------------------------------


def latest_attendance_date() -> dt.date | None:
    """The newest attendance day (a backward scan of idx_attendance_date_status)."""
    return AttendanceRecord.objects.order_by("-date").values_list("date", flat=True).first()


# Grade bands for the trends: one line per band reads where thirteen grade lines did not.
GRADE_BANDS = (("K-5", range(0, 6)), ("6-8", range(6, 9)), ("9-12", range(9, 13)))
NO_GRADE = "no grade"


def grade_band(grade: int | None) -> str:
    for name, grades in GRADE_BANDS:
        if grade in grades:
            return name
    return NO_GRADE


def trends_window(end: dt.date, weeks: int) -> dt.date:
    """The Monday that starts a window of `weeks` whole Monday-to-Sunday weeks ending with the
    week of `end`: the heading and the rows name the same weeks."""
    return end - dt.timedelta(days=end.weekday()) - dt.timedelta(weeks=weeks - 1)


def attendance_trends(
    students: QuerySet[Student],
    everyone: bool,
    groups: list[tuple[str, int | None]],
    singles: QuerySet[Student] | None,
    scope_key: str,
    weeks: int,
    today: dt.date,
    school: str | None = None,
) -> tuple[dt.date | None, dt.date | None, list[dict]]:
    """Weekly attendance rates by grade band (K-5, 6-8, 9-12) for the visible students (of one
    school when given): the schema document's "weekly attendance rates by grade level", folded
    into bands. `students` are the visible students: everyone's, or exactly the assigned
    `groups` (school, grade or None) and the `singles` assigned one by one outside them, if
    any (`students.access.assigned_groups`).

    The window is the `weeks` whole weeks up to the newest recorded school day (not
    CURRENT_DATE, so a district between school years still sees its last weeks), capped at
    today. The figures are read from the weekly summary (`AttendanceWeek`, a few rows per
    school, grade and week, through its key that leads with `week`), not from
    attendance_records: 52 weeks of the demo's three-year district are about 700 summary rows
    instead of 1.5 million records. Records are read only where the summary cannot answer:
    students assigned one by one (idx_attendance_student_date), and the days after today of
    a week that has records dated later (idx_attendance_date_status).
    Returns (first day, last day, rows of {band, week, total_records, present_count,
    attendance_rate}).
    """
    latest = latest_attendance_date()
    if latest is None:
        return None, None, []
    end = min(latest, today)
    start = trends_window(end, weeks)
    monday = end - dt.timedelta(days=end.weekday())
    # The summary holds whole weeks: the week of `end` is taken from it unless it has records
    # after `end` (dated after today), which the page leaves out.
    summary_end = end if latest <= end else monday - dt.timedelta(days=1)

    def compute():
        sums: dict[tuple[dt.date, str], list[int]] = {}

        def add(week: dt.date, grade: int | None, total: int, present: int) -> None:
            cell = sums.setdefault((week, grade_band(grade)), [0, 0])
            cell[0] += total
            cell[1] += present

        summary = AttendanceWeek.objects.filter(week__gte=start, week__lte=summary_end)
        if not everyone:
            in_groups = Q(pk__in=[])
            for group_school, grade in groups:
                term = Q(school=group_school)
                in_groups |= term if grade is None else term & Q(grade_level=grade)
            summary = summary.filter(in_groups)
        if school:
            summary = summary.filter(school=school)
        for row in (
            summary.order_by()
            .values("week", "grade_level")
            .annotate(total=Sum("records"), present=Sum("present"))
        ):
            add(row["week"], row["grade_level"], row["total"], row["present"])

        def add_records(records: QuerySet[AttendanceRecord]) -> None:
            # Grouped by day, then folded into Monday-to-Sunday weeks here: no week function
            # called on every row (on SQLite a Python function).
            if school:
                records = records.filter(student__school=school)
            for day in (
                records.order_by()
                .values("student__grade_level", "date")
                .annotate(
                    total=Count("pk"),
                    present=Count("pk", filter=Q(status=AttendanceStatus.PRESENT)),
                )
            ):
                week = day["date"] - dt.timedelta(days=day["date"].weekday())
                add(week, day["student__grade_level"], day["total"], day["present"])

        if not everyone and singles is not None:
            add_records(
                AttendanceRecord.objects.filter(
                    date__gte=start, date__lte=summary_end, student__in=singles.values("pk")
                )
            )
        if summary_end < end:
            days = AttendanceRecord.objects.filter(date__gt=summary_end, date__lte=end)
            add_records(for_students(days, students, everyone))
        return [
            {
                "band": band,
                "week": week,
                "total_records": total,
                "present_count": present,
                "attendance_rate": present / total,
            }
            for (week, band), (total, present) in sorted(sums.items())
            if total
        ]

    return start, end, _cached(f"trends:{scope_key}:{school}:{start}:{end}", compute)


def chronically_absent(students: QuerySet[Student], everyone: bool, school: str | None = None):
    """(as-of date, rows) of the visible students (of one school when given) whose latest
    weekly feature row has a year-to-date attendance rate below CHRONIC_ABSENCE_BELOW, lowest
    first. One query: the newest feature date is a sub-select (a backward scan of
    idx_features_date), its rows below the cut are read through idx_features_date."""
    latest = StudentFeatures.objects.order_by("-feature_date").values("feature_date")[:1]
    rows = StudentFeatures.objects.filter(
        feature_date=Subquery(latest), attendance_rate__lt=_CHRONIC_CUT_REAL
    )
    rows = for_students(rows, students, everyone)
    if school:
        rows = rows.filter(student__school=school)
    found = list(
        rows.select_related("student")
        .only(
            "student_id",
            "feature_date",
            "attendance_rate",
            "feature_vector",
            "student__district_id",
            "student__first_name",
            "student__last_name",
            "student__school",
            "student__grade_level",
        )
        .order_by("attendance_rate", "student__district_id")
    )
    return (found[0].feature_date if found else None), found


# --- Model performance ------------------------------------------------------------------------


def feedback_counts(since: dt.datetime | None, students: QuerySet | None = None) -> list[dict]:
    """The schema document's "prediction accuracy analysis": feedback count, mean predicted risk
    and mean confidence per model version and feedback type, and the number of students behind
    each row. Only feedback on `students` (the user's scope) when given; all for None. One
    GROUP BY (idx_feedback_type, then the predictions' primary key)."""
    rows = TrainingFeedback.objects.all()
    if since is not None:
        rows = rows.filter(created_at__gte=since)
    if students is not None:
        rows = rows.filter(prediction__student__in=students.values("pk"))
    return list(
        rows.order_by()
        .values(model_version=F("prediction__model_version_id"), type=F("feedback_type"))
        .annotate(
            feedback_count=Count("pk"),
            student_count=Count("prediction__student", distinct=True),
            avg_predicted_risk=Avg("prediction__risk_score"),
            avg_confidence=Avg("prediction__confidence"),
        )
        .order_by("model_version", "type")
    )
