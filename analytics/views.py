"""The risk dashboard, its CSV export, and attendance trends.

Each view starts from `students.access.visible_students` and runs a fixed number of queries
whatever the number of students (tests/web/test_query_counts.py).
"""

import csv
import datetime as dt
from urllib.parse import urlencode

from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from analytics import charts, dashboards, page_cache
from analytics.forms import DashboardFilterForm, SearchForm, TrendsForm
from records.csv_format import spreadsheet_safe
from students.access import dashboard_view, scope_key, sees_everyone, visible_students

PER_PAGE = 50
SEARCH_KEY = "dashboard_search"
# Filters kept in the query string: none of them names a student.
QUERY_FIELDS = ("grade_level", "school", "category", "factor", "newly_high", "sort")


def _context(request):
    """Everything the dashboard and its export share: the week, the filters, the rows."""
    form = DashboardFilterForm(request.GET, user=request.user)
    query = form.to_query(request.session.get(SEARCH_KEY, ""))
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
    counts = dashboards.category_counts(rows, f"{week_key}:{query.cache_key()}")
    page = dashboards.page_of(rows, counts, query, number, PER_PAGE)
    histogram = dashboards.score_histogram(rows, week_key, query)
    weekly = dashboards.weekly_category_counts(week, students, everyone, query, scope)
    return {
        "form": form,
        "query": query,
        "week": week,
        "rows": [_row(p) for p in page.rows],
        "counts": counts,
        "total": sum(counts.values()),
        "page": page,
        "histogram": [
            (low, round(low + 1 / dashboards.HISTOGRAM_BINS, 1), n) for low, n in histogram
        ],
        "weekly": weekly,
        "histogram_chart": charts.bar_chart(
            "risk-distribution",
            "Students by risk score",
            [(f"{low:.1f}", n) for low, n in histogram],
            colours=[_bin_colour(low) for low, _ in histogram],
        ),
        "weekly_chart": charts.stacked_bars(
            "weekly-categories",
            "Risk categories over recent weeks",
            [(f"{as_of:%b %d}", values) for as_of, values in weekly],
            charts.CATEGORY_COLOURS,
        ),
    }


def _row(p) -> dict:
    """One dashboard line, formatted here: per-cell template filters cost more than the SQL."""
    s = p.student
    return {
        "url": reverse("student_profile", args=[s.pk]),
        "district_id": s.district_id,
        "name": f"{s.last_name}, {s.first_name}",
        "school": s.school or "",
        "grade": s.grade_label,
        "category": p.risk_category or "",
        "category_label": p.get_risk_category_display() or "",
        "score": "" if p.risk_score is None else f"{p.risk_score:.2f}",
        "factors": [
            f["factor"]
            for f in (p.risk_factors or [])[: dashboards.TOP_FACTORS]
            if isinstance(f, dict) and (f.get("weight") or 0) > 0
        ],
    }


def _bin_colour(low: float) -> str:
    if low >= 0.75:
        return charts.CATEGORY_COLOURS["critical"]
    if low >= 0.5:
        return charts.CATEGORY_COLOURS["high"]
    if low >= 0.25:
        return charts.CATEGORY_COLOURS["medium"]
    return charts.CATEGORY_COLOURS["low"]


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

    def lines():
        yield writer.writerow(EXPORT_HEADER)
        if rows is None:
            return
        for p in dashboards.ordered_for_export(rows, query).iterator(chunk_size=2000):
            s = p.student
            top = "; ".join(f["factor"] for f in (p.risk_factors or [])[:3] if isinstance(f, dict))
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
    """Weekly attendance rate by grade level (the schema document's query): chart and table."""
    form = TrendsForm(request.GET or None)
    weeks = (form.cleaned_data.get("weeks") if form.is_valid() else None) or 8
    students = visible_students(request.user)
    end, rows = dashboards.attendance_trends(
        students,
        sees_everyone(request.user),
        scope_key(request.user),
        weeks,
        timezone.localdate(),
    )
    week_labels = sorted({r["week"] for r in rows})
    grades = sorted({r["grade_level"] for r in rows}, key=lambda g: (g is None, g))
    by_key = {(r["grade_level"], r["week"]): r["attendance_rate"] for r in rows}
    series = [(_grade_label(g), [by_key.get((g, w)) for w in week_labels]) for g in grades]
    chart = charts.line_chart(
        "attendance-trends",
        "Weekly attendance rate by grade level",
        [f"{w:%b %d}" for w in week_labels],
        series,
        low_value=min([v for _, pts in series for v in pts if v is not None] or [0]) // 0.05 * 0.05,
        top_value=1.0,
        percent=True,
    )
    table = [{"week": w, "cells": [by_key.get((g, w)) for g in grades]} for w in week_labels]
    return render(
        request,
        "analytics/attendance.html",
        {
            "form": form if form.is_bound else TrendsForm(initial={"weeks": weeks}),
            "weeks": weeks,
            "end": end,
            "start": end - dt.timedelta(weeks=weeks) + dt.timedelta(days=1) if end else None,
            "rows": rows,
            "grades": [_grade_label(g) for g in grades],
            "table": table,
            "chart": chart,
        },
    )


def _grade_label(grade: int | None) -> str:
    if grade is None:
        return "no grade"
    return "K" if grade == 0 else f"Grade {grade}"
