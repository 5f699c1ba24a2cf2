"""The risk dashboard, its CSV export, attendance trends, the "My students" work list, the
interventions report and its CSV export.

Each view starts from `students.access.visible_students` and runs a fixed number of queries
whatever the number of students (tests/web/test_query_counts.py).
"""

import csv
import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from analytics import access_log, charts, dashboards, page_cache, support
from analytics.forms import DashboardFilterForm, SchoolForm, SearchForm, TrendsForm
from analytics.models import AccessPage
from mlmodels import explain
from mlmodels.models import RiskCategory
from records.csv_format import spreadsheet_safe
from students import interventions
from students.access import (
    assigned_groups,
    dashboard_view,
    scope_key,
    sees_everyone,
    visible_students,
)

PER_PAGE = 50
SEARCH_KEY = "dashboard_search"
# Filters kept in the query string: none of them names a student.
QUERY_FIELDS = (
    "grade_level",
    "school",
    "category",
    "factor",
    "newly_high",
    "without_intervention",
    "check_in_due",
    "chronic_absence",
    "sort",
)


def _context(request):
    """Everything the dashboard and its export share: the week, the filters, the rows."""
    form = DashboardFilterForm(request.GET, user=request.user)
    query = form.to_query(request.session.get(SEARCH_KEY, ""), today=timezone.localdate())
    week = dashboards.scoring_week()
    students = visible_students(request.user)
    everyone = sees_everyone(request.user)
    rows = None
    if week.ready:
        rows = dashboards.current_predictions(week, students, everyone, query)
    return form, query, week, students, everyone, rows


@dashboard_view
@require_http_methods(["GET", "POST"])
def dashboard(request):
    """Each visible student's current risk, most urgent first, with counts and charts."""
    if request.method == "POST":
        # The search term goes to the session, then back to a GET whose URL holds no name.
        search_form = SearchForm(request.POST)
        search = search_form.cleaned_data["search"] if search_form.is_valid() else ""
        if "clear" in request.POST:
            search = ""
        request.session[SEARCH_KEY] = search
        kept = {k: v for k, v in request.POST.items() if k in QUERY_FIELDS and v}
        return redirect(f"{reverse('dashboard')}{'?' + urlencode(kept) if kept else ''}")

    form, query, week, students, everyone, rows = _context(request)
    query_string = _query_string(form)
    context = {
        "search_form": SearchForm(initial={"search": query.search}),
        "query": query,
        "week": week,
        "query_string": query_string,
        "fresh": dashboards.freshness(week, timezone.localdate()),
    }
    if rows is not None:
        try:
            number = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            number = 1
        scope = scope_key(request.user)
        # The rendered rows, counts, charts and filters: the same for every user of this scope
        # until the data changes (analytics/page_cache.py). Keyed on validated values only: the
        # filters as the form accepted them, and the page number as shown (a page past the end
        # shows the last page, and is kept as that page), so junk query strings add no entries.
        parts = (
            "dashboard",
            scope,
            week.model.model_version,
            week.as_of,
            query_string,
            query.cache_key(),
        )
        context["data"] = page_cache.lookup((*parts, number))
        if context["data"] is None:
            data = _data_context(form, query, week, students, everyone, rows, scope, number)
            context["data"] = render_to_string(
                "analytics/_dashboard_data.html", data | {"query_string": query_string}
            )
            page_cache.store((*parts, data["page"].number), context["data"])
    return render(request, "analytics/dashboard.html", context)


def _query_string(form) -> str:
    """The filters the form accepted, as a query string (rejected values are left out)."""
    kept = {}
    for name in QUERY_FIELDS:
        value = form.cleaned_data.get(name)
        if value is None or value == "" or value is False:
            continue
        kept[name] = "on" if value is True else str(value)
    return urlencode(kept)


def _data_context(form, query, week, students, everyone, rows, scope, number) -> dict:
    week_key = f"{scope}:{week.model.model_version}:{week.as_of}"
    counts, histogram = dashboards.histogram_by_category(rows, f"{week_key}:{query.cache_key()}")
    if query.category:
        histogram = [
            (low, {c: n if c == query.category else 0 for c, n in values.items()})
            for low, values in histogram
        ]
    page = dashboards.page_of(rows, counts, query, number, PER_PAGE, week)
    plans = dashboards.open_plans([p.student_id for p in page.rows])
    weekly = dashboards.weekly_category_counts(week, students, everyone, query, scope)
    domains = dashboards.domain_status([getattr(p, "features", None) for p in page.rows])
    labels = dict(RiskCategory.choices)
    return {
        "form": form,
        "query": query,
        "week": week,
        "rows": [
            _row(p, plans.get(p.student_id), week, cards)
            for p, cards in zip(page.rows, domains, strict=True)
        ],
        "domain_rules": dashboards.domain_rules(),
        "counts": counts,
        "total": sum(counts.values()),
        # Who of a caseload is not in the latest run, and why (scoped users only).
        "gap": None if everyone else dashboards.cohort_gap(week, students),
        "page": page,
        "histogram": [
            (low, round(low + 1 / dashboards.HISTOGRAM_BINS, 1), [values[c] for c in values])
            for low, values in histogram
        ],
        "categories": [labels[c] for c in dashboards.CATEGORY_ORDER],
        "weekly": weekly,
        "histogram_chart": charts.stacked_bars(
            "risk-distribution",
            "Students by risk score (bands of 0.1), coloured by risk category",
            [
                (f"{low:.1f}", {labels[c]: n for c, n in values.items()})
                for low, values in histogram
            ],
            {labels[c]: charts.CATEGORY_COLOURS[c] for c in dashboards.CATEGORY_ORDER},
        ),
        "weekly_chart": charts.stacked_bars(
            "weekly-categories",
            "Students per risk category in each weekly run",
            [
                (f"{as_of:%b %d}", {labels[c]: n for c, n in values.items()})
                for as_of, values in weekly
            ],
            {labels[c]: charts.CATEGORY_COLOURS[c] for c in dashboards.CATEGORY_ORDER},
        ),
    }


def _percent(value) -> str:
    return "—" if value is None else f"{value:.1%}"


def _row(p, plan=None, week=None, cards=()) -> dict:
    """One dashboard line, formatted here: per-cell template filters cost more than the SQL."""
    s = p.student
    attendance = dashboards.attendance_figures(getattr(p, "features", None))
    return {
        "cards": cards,
        "ytd": _percent(attendance["ytd"]),
        "d30": _percent(attendance["d30"]),
        "chronic": attendance["chronic"],
        "change": dashboards.change(p, week) if week else {"kind": "", "text": "—"},
        "support": (
            f"Tier {plan.tier} · {plan.owner.username if plan.owner else 'no owner'}"
            if plan
            else ""
        ),
        "url": reverse("student_profile", args=[s.pk]),
        "district_id": s.district_id,
        "name": f"{s.last_name}, {s.first_name}",
        "school": s.school or "",
        "grade": s.grade_label,
        "category": p.risk_category or "",
        "category_label": p.get_risk_category_display() or "",
        "score": "" if p.risk_score is None else f"{p.risk_score:.2f}",
        "factors": [
            f
            for f in (p.risk_factors or [])[: dashboards.TOP_FACTORS]
            if isinstance(f, dict) and (f.get("weight") or 0) > 0
        ],
    }


class _Echo:
    def write(self, value):
        return value


EXPORT_HEADER = [
    "district_id",
    "last_name",
    "first_name",
    "school",
    "grade_level",
    "risk_category",
    "risk_score",
    "confidence",
    "as_of",
    "top_factors",
]


@dashboard_view
def dashboard_export(request):
    """The dashboard's rows as CSV: every row the filters select, in the page's order. Cells
    that a spreadsheet would run as a formula are neutralised (records.csv_format)."""
    _form, query, week, _students, _everyone, rows = _context(request)
    writer = csv.writer(_Echo())
    # The record of access: the filters, and every student whose row went out. The rows are
    # read after this view returns, so the entry is written once the last row is out (or the
    # download stopped), not by the middleware.
    filters = {k: v for k, v in request.GET.items() if k in QUERY_FIELDS and v}
    if query.search:
        filters["search"] = "yes"  # the term itself may be a name: never stored
    if week.as_of:
        filters["as_of"] = week.as_of.isoformat()
    sent = []

    def lines():
        try:
            yield writer.writerow(EXPORT_HEADER)
            if rows is None:
                return
            yield from rows_of(sent)
        finally:
            access_log.write(
                [
                    access_log.entry(
                        page=AccessPage.DASHBOARD_EXPORT,
                        user=request.user,
                        path=request.path,
                        students=sent,
                        filters=filters,
                    )
                ]
            )

    def rows_of(sent):
        for p in dashboards.ordered_for_export(rows, query).iterator(chunk_size=2000):
            s = p.student
            sent.append(s.pk)
            top = "; ".join(
                f.get("label") or explain.label(f.get("factor", ""))
                for f in (p.risk_factors or [])[:3]
                if isinstance(f, dict)
            )
            row = [
                s.district_id,
                s.last_name,
                s.first_name,
                s.school or "",
                "" if s.grade_level is None else s.grade_level,
                p.risk_category,
                f"{p.risk_score:.4f}" if p.risk_score is not None else "",
                f"{p.confidence:.3f}" if p.confidence is not None else "",
                p.as_of,
                top,
            ]
            yield writer.writerow([spreadsheet_safe(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = week.as_of.isoformat() if week.as_of else "none"
    response["Content-Disposition"] = f'attachment; filename="edupulse-risk-{stamp}.csv"'
    return response


@dashboard_view
def attendance_trends(request):
    """Weekly attendance rate by grade band (the schema document's query, folded into K-5, 6-8
    and 9-12), of one school or all the user sees: chart and table; and the chronically absent
    students of the user's scope."""
    form = TrendsForm(request.GET or None, user=request.user, initial={"weeks": 8})
    valid = form.is_valid()
    weeks = (form.cleaned_data.get("weeks") if valid else None) or 8
    school = (form.cleaned_data.get("school") if valid else None) or None
    students = visible_students(request.user)
    everyone = sees_everyone(request.user)
    groups, singles = ([], None) if everyone else assigned_groups(request.user)
    start, end, rows = dashboards.attendance_trends(
        students,
        everyone,
        groups,
        singles,
        scope_key(request.user),
        weeks,
        timezone.localdate(),
        school,
    )
    week_labels = sorted({r["week"] for r in rows})
    # The chart has every week from the first to the last, so a week without school (a
    # holiday, the summer) is a gap in the lines, not a step between its neighbours.
    chart_weeks = (
        [
            week_labels[0] + dt.timedelta(weeks=k)
            for k in range((week_labels[-1] - week_labels[0]).days // 7 + 1)
        ]
        if week_labels
        else []
    )
    order = [name for name, _ in dashboards.GRADE_BANDS] + [dashboards.NO_GRADE]
    bands = [b for b in order if any(r["band"] == b for r in rows)]
    by_key = {(r["band"], r["week"]): r["attendance_rate"] for r in rows}
    series = [
        (
            f"Grades {b}" if b != dashboards.NO_GRADE else b,
            [by_key.get((b, w)) for w in chart_weeks],
        )
        for b in bands
    ]
    values = [v for _, pts in series for v in pts if v is not None]
    chart = charts.line_chart(
        "attendance-trends",
        "Share of attendance records marked present, week by week, by grade band",
        [f"{w:%b %d}" for w in chart_weeks],
        series,
        low_value=min(values or [0]) // 0.05 * 0.05,
        top_value=1.0,
        percent=True,
    )
    table = [
        {"week": w, "cells": [_percent(by_key.get((b, w))) for b in bands]} for w in week_labels
    ]
    for r in rows:
        r["percent"] = _percent(r["attendance_rate"])
    as_of, absent = dashboards.chronically_absent(students, everyone, school)
    return render(
        request,
        "analytics/attendance.html",
        {
            "form": form,
            "weeks": weeks,
            "school": school,
            "end": end,
            "start": start,
            "rows": rows,
            "bands": [s for s, _ in series],
            "table": table,
            "chart": chart,
            "absent_as_of": as_of,
            "absent": [
                {
                    "name": f"{f.student.last_name}, {f.student.first_name}",
                    "district_id": f.student.district_id,
                    "school": f.student.school or "",
                    "grade": f.student.grade_label,
                    "url": reverse("student_profile", args=[f.student_id]),
                    "ytd": _percent(f.attendance_rate),
                    "d30": _percent(dashboards.attendance_figures(f.feature_vector)["d30"]),
                }
                for f in absent
            ],
        },
    )


# --- Support: the work list, the interventions report, the MTSS export ----------------------------


@dashboard_view
def my_students(request):
    """The signed-in user's work list: students newly high or critical this week, their
    interventions with a check-in due, and those whose planned end falls this week."""
    today = timezone.localdate()
    week = dashboards.scoring_week()
    everyone = sees_everyone(request.user)
    work = support.work_list(request.user, week, visible_students(request.user), everyone, today)
    return render(
        request,
        "analytics/my_students.html",
        {
            "week": week,
            "work": work,
            "flagged": [
                {
                    "p": p,
                    "factor": support.top_factor(p),
                    "url": reverse("student_profile", args=[p.student_id]),
                }
                for p in work.flagged
            ],
            "check_in_days": settings.EDUPULSE_CHECK_IN_DAYS,
            "everyone": everyone,
            "fresh": dashboards.freshness(week, today),
        },
    )


def _school_scope(request):
    form = SchoolForm(request.GET or None, user=request.user)
    school = (form.cleaned_data.get("school") if form.is_valid() else None) or None
    plans = support.report_rows(visible_students(request.user), sees_everyone(request.user), school)
    return form, school, plans


@dashboard_view
def interventions_report(request):
    """Interventions by type, tier, status and school; attendance and risk around their starts,
    described (not as proof that they worked)."""
    form, school, plans = _school_scope(request)
    model = dashboards.active_model()
    around = support.around_start(plans, model.model_version if model else None)
    labels = [f"{k:+d} wk" if k else "start" for k in around.offsets]
    chart = charts.line_chart(
        "around-start",
        "Mean attendance (30 days) and risk score, by week around the start",
        labels,
        [("attendance, 30 days", around.attendance), ("risk score", around.risk)],
        top_value=1.0,
        percent=True,
        markers=[(around.offsets.index(0), "the week the interventions started")],
    )
    return render(
        request,
        "analytics/interventions_report.html",
        {
            "form": form,
            "school": school,
            "counts": support.report_counts(plans),
            "around": around,
            "around_rows": list(
                zip(
                    labels,
                    around.attendance,
                    around.students_attendance,
                    around.risk,
                    around.students_risk,
                    strict=True,
                )
            ),
            "chart": chart,
            "query_string": urlencode({"school": school} if school else {}),
        },
    )


INTERVENTIONS_HEADER = [
    "district_id",
    "last_name",
    "first_name",
    "school",
    "grade_level",
    "intervention",
    "domain",
    "tier",
    "status",
    "owner",
    "start_date",
    "planned_end",
    "ended_on",
    "last_check_in",
    "check_ins",
    "last_progress",
    "check_in_due",
    "goal",
    "outcome",
]


@dashboard_view
def interventions_export(request):
    """A school's interventions (or every one the user sees) as CSV, for MTSS meetings."""
    _form, _school, plans = _school_scope(request)
    due_before = interventions.due_before(timezone.localdate())
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(INTERVENTIONS_HEADER)
        for p in support.export_rows(plans).iterator(chunk_size=2000):
            s = p.student
            row = [
                s.district_id,
                s.last_name,
                s.first_name,
                s.school or "",
                "" if s.grade_level is None else s.grade_level,
                p.intervention_type.name,
                p.domain,
                p.tier,
                p.status,
                p.owner.username if p.owner else "",
                p.start_date,
                p.planned_end,
                p.ended_on or "",
                p.last_check_in or "",
                p.check_in_count,
                p.last_progress or "",
                "yes" if p.is_open and p.last_contact < due_before else "no",
                p.goal,
                p.outcome,
            ]
            # Names, goals and outcomes are typed by people: never a formula in a spreadsheet.
            yield writer.writerow([spreadsheet_safe(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="edupulse-interventions-{stamp}.csv"'
    return response
