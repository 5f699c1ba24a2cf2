"""The student page (who they are, their risk and why, their weeks, records, feedback, support
plans and notes), the intervention pages and forms, and the user's own profile page."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, F, JSONField, Subquery, When
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from analytics import access_log, charts, student_page
from analytics.dashboards import active_model, latest_attendance_date
from analytics.models import AccessPage, StudentFeatures
from mlmodels.forms import FeedbackForm, fields_html
from mlmodels.models import Prediction, TrainingFeedback
from records.selectors import recent_records
from students import interventions as support
from students.access import (
    dashboard_view,
    may_follow_up,
    may_give_feedback,
    may_manage_interventions,
    sees_everyone,
    student_for_user,
    users_who_see,
    visible_students,
)
from students.forms import (
    CaseNoteForm,
    CheckInForm,
    CloseForm,
    InterventionForm,
    ProfileForm,
    note_fields_html,
)
from students.models import CaseNote, Intervention, StaffProfile
from students.templatetags.factors import factor_label

log = logging.getLogger(__name__)

# A school year of weekly runs, for every model that scored the student.
HISTORY_LIMIT = 104
FEATURE_WEEKS = 52


PREDICTION_COLUMNS = (
    "id",
    "as_of",
    "prediction_date",
    "risk_score",
    "risk_category",
    "confidence",
    "model_version_id",
)
RISK_LABELS = dict(Prediction._meta.get_field("risk_category").flatchoices)


def _leading_prediction(student, of_active: list, history: list) -> Prediction | None:
    """The risk the page leads with, as a model instance (the feedback form refers to it): the
    active model's newest, whose factors came with the history's rows; else (no run of the
    active model) the newest of any model, whose factors are read now."""
    row = (of_active or history or [None])[0]
    if row is None:
        return None
    factors = (
        row.current_factors
        if of_active
        else Prediction.objects.values_list("risk_factors", flat=True).get(pk=row.id)
    )
    fields = {name: getattr(row, name) for name in PREDICTION_COLUMNS}
    prediction = Prediction(student=student, risk_factors=factors, **fields)
    prediction._state.adding = False  # a stored row, as the ORM would have built it
    prediction._state.db = Prediction.objects.db
    return prediction


def profile_context(request, student, form=None, note_form=None) -> dict:
    """The student page's context (also used to re-show the page with a rejected feedback form).

    A fixed number of queries: the student's predictions (idx_predictions_student), feature rows
    (idx_features_student_date), the newest records of each kind, the feedback given, and the
    school year's attendance and incidents grouped by day (analytics.student_page).
    """
    # The record of access (written at the end of the request): this page, also when the
    # feedback form re-shows it.
    access_log.note(request, page=AccessPage.STUDENT_PAGE, students=[student.pk])
    model = active_model()
    active_version = model.model_version if model else None
    # risk_factors is decoded for the current prediction only (the active model's newest, found
    # by a subquery the database runs once: (student, as_of, model_version) is unique), not for
    # a year of history.
    current_of_active = Subquery(
        Prediction.objects.filter(
            student=student, model_version_id=active_version, as_of__isnull=False
        )
        .order_by("-as_of")
        .values("pk")[:1]
    )
    # The history as plain rows (no model instance for each of a year of weeks).
    predictions = list(
        Prediction.objects.filter(student=student)
        .annotate(
            current_factors=Case(
                When(pk=current_of_active, then=F("risk_factors")), output_field=JSONField()
            )
        )
        .order_by("-as_of", "-prediction_date")
        .values_list(*PREDICTION_COLUMNS, "current_factors", named=True)[:HISTORY_LIMIT]
    )
    of_active = [p for p in predictions if p.model_version_id == active_version and p.as_of]
    current = _leading_prediction(student, of_active, predictions)
    # The feature vector behind the current risk (the domain cards state its numbers), read
    # with the rows of the charts when the risk has one; else by a query of its own below.
    vector_date = current.as_of if current else None
    features = list(
        StudentFeatures.objects.filter(student=student)
        .order_by("-feature_date")
        .annotate(
            vector=Case(
                When(feature_date=vector_date, then=F("feature_vector")),
                output_field=JSONField(),
            )
        )
        .values_list("feature_date", "gpa_current", "vector", named=True)[:FEATURE_WEEKS]
    )[::-1]
    feedback = list(
        TrainingFeedback.objects.filter(prediction__student=student)
        .select_related("submitted_by", "prediction")
        .order_by("-created_at")
    )
    can_give_feedback = may_give_feedback(request.user) and current is not None
    if can_give_feedback and form is None:
        form = FeedbackForm(prediction=current)
    risk_series = of_active[::-1]
    plans = list(
        Intervention.objects.filter(student=student).select_related("intervention_type", "owner")
    )
    notes = list(support.notes_for(request.user, student))
    today = timezone.localdate()
    # The school year shown: that of the current risk, or of the newest features, or (a student
    # never scored) of the newest recorded school day.
    day = (
        (current.as_of if current and current.as_of else None)
        or (features[-1].feature_date if features else None)
        or latest_attendance_date()
        or today
    )
    weeks = student_page.student_weeks(student, day, today)
    # The model's inputs behind the current risk: the newest feature row up to its date.
    vector = next(
        ((f.feature_date, f.vector) for f in features if f.feature_date == vector_date), None
    ) or (
        StudentFeatures.objects.filter(student=student, feature_date__lte=day)
        .order_by("-feature_date")
        .values_list("feature_date", "feature_vector")
        .first()
    )
    factors = [f for f in (current.risk_factors or []) if isinstance(f, dict)] if current else []
    if not weeks.attendance_recorded_at_school:
        factors = student_page.without_attendance_factors(factors)
    factors = [{**f, "label": factor_label(f)} for f in factors]
    risk_score = current.risk_score if current else None
    for f in factors:
        weight = float(f.get("weight") or 0)
        f["share"] = f"{abs(weight):.0%}"
        f["part"] = "" if risk_score is None else f"{abs(weight) * risk_score:.0%}"
    gpa_by_week = {student_page.monday(f.feature_date): f.gpa_current for f in features}
    marks = _markers(plans)
    window = weeks.window
    # The four charts share the school year's axis (a longer risk history widens the risk
    # chart's), so a week reads across them; interventions' markers fall on the same dates.
    risk_first = min([window.first] + [p.as_of for p in risk_series[:1]])
    risk_last = max([window.last] + [p.as_of for p in risk_series[-1:]])
    this_year = [f for f in features if window.first <= f.feature_date <= window.last]
    note_form = note_form or CaseNoteForm(today=today)
    return {
        "plans": plans,
        "open_plans": [p for p in plans if p.is_open],
        "timeline": _timeline(plans, notes, today),
        "due_plans": {p.pk for p in plans if p.is_due(today, support.check_in_days())},
        "can_manage": may_manage_interventions(request.user),
        "can_follow_up": may_follow_up(request.user),
        "note_form": note_form,
        "note_fields": note_fields_html(note_form),
        "user_id": request.user.pk,
        "sees_all": sees_everyone(request.user),
        # The two long tables are formatted here: Django's per-cell filters (date, floatformat)
        # cost more than the page's SQL for a year of weekly rows.
        "history_rows": [
            (
                _date(p.as_of),
                p.model_version_id or "",
                p.risk_category or "",
                RISK_LABELS.get(p.risk_category, p.risk_category or ""),
                _num(p.risk_score, 2),
                _num(p.confidence, 2),
                f"{p.prediction_date:%Y-%m-%d %H:%M}" if p.prediction_date else "",
            )
            for p in predictions
        ],
        "week_rows": _week_rows(weeks, gpa_by_week),
        "student": student,
        "model": model,
        "current": current,
        "factors": factors,
        "predictions": predictions,
        "features": features,
        "weeks": weeks,
        "vector_date": vector[0] if vector else None,
        "cards": student_page.domain_cards(
            vector[1] if vector else None, weeks.attendance_recorded_at_school
        ),
        "recent": recent_records(student_id=student.pk, outcomes=False),
        "feedback": feedback,
        "form": form if can_give_feedback else None,
        "form_fields": fields_html(form) if can_give_feedback else "",
        "factor_chart": charts.factor_bars(
            "risk-factors",
            "What pushes this student's risk up: each factor's part of the risk score",
            factors,
            risk_score=risk_score,
        ),
        "risk_chart": charts.time_chart(
            "risk-over-time",
            "Risk score over time",
            [(p.as_of, p.risk_score) for p in risk_series],
            risk_first,
            risk_last,
            top_value=1.0,
            percent=True,
            markers=marks,
            series="risk score",
        ),
        "attendance_chart": charts.time_chart(
            "weekly-attendance",
            "Attendance, week by week: the share of class time attended in each week",
            weeks.attendance.weeks,
            window.first,
            window.last,
            top_value=1.0,
            percent=True,
            markers=marks,
            empty_text=(
                "No attendance recorded this school year"
                if weeks.attendance_recorded_at_school
                else f"Attendance is not recorded at {student.school}"
            ),
            series="attendance",
        ),
        "gpa_chart": charts.time_chart(
            "weekly-gpa",
            "GPA, week by week: the GPA of the school year so far, at each week",
            [(f.feature_date, f.gpa_current) for f in this_year],
            window.first,
            window.last,
            top_value=4.0,
            empty_text="No grades recorded yet",
            series="GPA",
        ),
        "incidents_chart": charts.time_chart(
            "weekly-incidents",
            "Discipline incidents, week by week: the incidents of each week",
            weeks.incidents,
            window.first,
            window.last,
            bars=True,
            zero_text="No incidents this year",
            series="incidents",
        ),
    }


def _week_rows(weeks, gpa_by_week: dict) -> list[tuple[str, str, str, str]]:
    """(week, attendance that week, GPA at that week, incidents that week), newest first."""
    rates = dict(weeks.attendance.weeks)
    return [
        (
            f"{week:%Y-%m-%d}",
            "—" if rates.get(week) is None else f"{rates[week]:.0%}",
            _num(gpa_by_week.get(week), 2),
            str(count),
        )
        for week, count in reversed(weeks.incidents)
    ]


def _timeline(plans, notes, today) -> list[dict]:
    """Interventions' starts and ends and the case notes, newest first."""
    events = []
    for p in plans:
        label = f"{p.intervention_type.name} (tier {p.tier}, {p.get_domain_display().lower()})"
        events.append({"date": p.start_date, "kind": "start", "plan": p, "text": label})
        if p.ended_on:
            events.append({"date": p.ended_on, "kind": "end", "plan": p, "text": label})
        elif p.is_open and p.planned_end <= today:
            events.append({"date": p.planned_end, "kind": "planned-end", "plan": p, "text": label})
    for n in notes:
        events.append({"date": n.date, "kind": "note", "note": n, "text": n.text})
    return sorted(events, key=lambda e: e["date"], reverse=True)


def _markers(plans) -> list[tuple]:
    """Chart markers: (date, text) of each intervention's start and end."""
    return [
        (day, f"{p.intervention_type.name} {what} {day:%Y-%m-%d}")
        for p in plans
        for day, what in ((p.start_date, "started"), (p.ended_on, "ended"))
        if day is not None
    ]


def _date(value) -> str:
    return value.isoformat() if value else ""


def _num(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@dashboard_view
def student_profile(request, student_id):
    student = student_for_user(request.user, student_id)
    return render(request, "students/profile.html", profile_context(request, student))


# --- Interventions, check-ins and notes -------------------------------------------------------


def _intervention_for_user(user, intervention_id) -> Intervention:
    """The intervention if its student is within the user's reach, else 404."""
    found = (
        Intervention.objects.filter(student__in=visible_students(user).values("pk"))
        .select_related("student", "intervention_type", "owner", "prediction")
        .filter(pk=intervention_id)
        .first()
    )
    if found is None:
        raise Http404("No such intervention.")
    return found


def _current_prediction(student):
    """The student's latest prediction of the active model (idx_predictions_student)."""
    model = active_model()
    if model is None:
        return None
    return (
        Prediction.objects.filter(student=student, model_version_id=model.model_version)
        .exclude(as_of=None)
        .order_by("-as_of")
        .first()
    )


@dashboard_view
@require_http_methods(["GET", "POST"])
def intervention_new(request, student_id):
    """Start an intervention for a student (counselors and administrators).

    From a factor of the current risk (`?factor=absences_30d`): the domain, a type of that domain
    and the goal (the factor's recommendation) are filled in, and the prediction is linked.
    """
    student = student_for_user(request.user, student_id)
    if not may_manage_interventions(request.user):
        raise PermissionDenied("Counselors and administrators start interventions.")
    today = timezone.localdate()
    factor_name = (request.POST.get("factor") or request.GET.get("factor") or "")[:100]
    prediction = _current_prediction(student) if factor_name else None
    factor = next(
        (
            f
            for f in ((prediction.risk_factors or []) if prediction else [])
            if isinstance(f, dict) and f.get("factor") == factor_name
        ),
        None,
    )
    if factor is None:
        factor_name, prediction = "", None
    types = support.active_types()
    owners = users_who_see(student)
    initial = {"start_date": today, "tier": 2}
    if request.user in owners:
        initial["owner"] = request.user.pk
    if factor:
        domain = support.domain_for_factor(factor_name)
        if domain:
            initial["domain"] = domain
            initial["intervention_type"] = types.filter(domain=domain).first()
        initial["goal"] = factor.get("recommendation") or ""
    data = request.POST if request.method == "POST" else None
    form = InterventionForm(data, initial=initial, types=types, owners=owners)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        try:
            intervention = support.intervention_start(
                student=student,
                intervention_type=c["intervention_type"],
                domain=c["domain"],
                tier=c["tier"],
                owner=c["owner"],
                goal=c["goal"],
                start_date=c["start_date"],
                planned_end=c["planned_end"],
                prediction=prediction,
                created_by=request.user,
                today=today,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            log.info("intervention %s started for %s", intervention.pk, student.log_label)
            messages.success(request, "The intervention is saved.")
            return redirect("intervention_detail", intervention.pk)
    return render(
        request,
        "students/intervention_new.html",
        {"student": student, "form": form, "factor": factor, "factor_name": factor_name},
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(request, intervention, check_in_form=None, close_form=None) -> dict:
    today = timezone.localdate()
    can_follow_up = may_follow_up(request.user) and intervention.is_open
    can_close = may_manage_interventions(request.user) and intervention.is_open
    return {
        "intervention": intervention,
        "student": intervention.student,
        "check_ins": list(intervention.check_ins.select_related("author")),
        "is_due": intervention.is_due(today, support.check_in_days()),
        "check_in_days": support.check_in_days(),
        "check_in_form": (check_in_form or CheckInForm(today=today)) if can_follow_up else None,
        "close_form": (close_form or CloseForm(today=today)) if can_close else None,
    }


@dashboard_view
def intervention_detail(request, intervention_id):
    intervention = _intervention_for_user(request.user, intervention_id)
    return render(request, "students/intervention.html", _detail_context(request, intervention))


@dashboard_view
@require_POST
def intervention_check_in(request, intervention_id):
    """Add a check-in (educators, counselors, administrators of the student)."""
    intervention = _intervention_for_user(request.user, intervention_id)
    if not may_follow_up(request.user):
        raise PermissionDenied("Check-ins are added by the student's staff.")
    if not intervention.is_open:
        raise PermissionDenied("This intervention is closed.")
    form = CheckInForm(request.POST, today=timezone.localdate(), start=intervention.start_date)
    if form.is_valid():
        support.check_in_add(intervention=intervention, author=request.user, **form.cleaned_data)
        log.info("check-in on intervention %s", intervention.pk)
        messages.success(request, "The check-in is saved.")
        return redirect("intervention_detail", intervention.pk)
    context = _detail_context(request, intervention, check_in_form=form)
    return render(request, "students/intervention.html", context, status=400)


@dashboard_view
@require_POST
def intervention_close(request, intervention_id):
    """Close an intervention as completed or discontinued (counselors and administrators)."""
    intervention = _intervention_for_user(request.user, intervention_id)
    if not may_manage_interventions(request.user):
        raise PermissionDenied("Counselors and administrators close interventions.")
    if not intervention.is_open:
        raise PermissionDenied("This intervention is already closed.")
    form = CloseForm(request.POST, today=timezone.localdate())
    if form.is_valid():
        try:
            support.intervention_close(intervention=intervention, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            log.info("intervention %s closed", intervention.pk)
            messages.success(request, "The intervention is closed.")
            return redirect("intervention_detail", intervention.pk)
    context = _detail_context(request, intervention, close_form=form)
    return render(request, "students/intervention.html", context, status=400)


@dashboard_view
@require_POST
def case_note_new(request, student_id):
    """Add a case note on a student within reach; an invalid one re-shows the page."""
    student = student_for_user(request.user, student_id)
    if not may_follow_up(request.user):
        raise PermissionDenied("Case notes are written by the student's staff.")
    form = CaseNoteForm(request.POST, today=timezone.localdate())
    if form.is_valid():
        note = support.case_note_add(student=student, author=request.user, **form.cleaned_data)
        log.info("case note %s on %s", note.pk, student.log_label)
        messages.success(request, "The note is saved.")
        return redirect(f"{reverse('student_profile', args=[student.pk])}#support")
    context = profile_context(request, student, note_form=form)
    return render(request, "students/profile.html", context, status=400)


@dashboard_view
@require_POST
def case_note_delete(request, note_id):
    """Delete a note: its author, or an administrator. The audit trail keeps it."""
    note = (
        CaseNote.objects.filter(student__in=visible_students(request.user).values("pk"))
        .filter(pk=note_id)
        .first()
    )
    if note is None or note not in support.notes_for(request.user, note.student):
        raise Http404("No such note.")
    if note.author_id != request.user.pk and not sees_everyone(request.user):
        raise PermissionDenied("Only the note's author or an administrator deletes a note.")
    student_id = note.student_id
    support.case_note_delete(note=note)
    log.info("case note %s deleted", note_id)
    messages.success(request, "The note is deleted.")
    return redirect(f"{reverse('student_profile', args=[student_id])}#support")


@require_http_methods(["GET", "POST"])
def account(request):
    """The signed-in user's own settings: the weekly digest on or off."""
    profile = StaffProfile.objects.filter(user=request.user).first() or StaffProfile(
        user=request.user
    )
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your settings are saved.")
        return redirect("account")
    return render(
        request,
        "students/account.html",
        {"form": form, "email": request.user.email},
    )
