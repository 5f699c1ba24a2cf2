"""The student page: who they are, their risk and why, their weeks, records and feedback."""

from django.shortcuts import render

from analytics import access_log, charts
from analytics.dashboards import active_model
from analytics.models import AccessPage, StudentFeatures
from mlmodels.forms import FeedbackForm, fields_html
from mlmodels.models import Prediction, TrainingFeedback
from records.selectors import recent_records
from students.access import dashboard_view, may_give_feedback, student_for_user

# A school year of weekly runs, for every model that scored the student.
HISTORY_LIMIT = 104
FEATURE_WEEKS = 52


def profile_context(request, student, form=None) -> dict:
    """The student page's context (also used to re-show the page with a rejected feedback form).

    A fixed number of queries: the student's predictions (idx_predictions_student), feature rows
    (idx_features_student_date), the newest records of each kind and the feedback given.
    """
    # The record of access (written at the end of the request): this page, also when the
    # feedback form re-shows it.
    access_log.note(request, page=AccessPage.STUDENT_PAGE, students=[student.pk])
    model = active_model()
    # risk_factors is read for the current prediction only (one more query on first use), not
    # decoded for a year of history.
    predictions = list(
        Prediction.objects.filter(student=student)
        .defer("risk_factors")
        .order_by("-as_of", "-prediction_date")[:HISTORY_LIMIT]
    )
    active_version = model.model_version if model else None
    of_active = [p for p in predictions if p.model_version_id == active_version and p.as_of]
    current = of_active[0] if of_active else (predictions[0] if predictions else None)
    features = list(
        StudentFeatures.objects.filter(student=student)
        .order_by("-feature_date")
        .only("feature_date", "attendance_rate", "gpa_current", "discipline_incidents")[
            :FEATURE_WEEKS
        ]
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
    week_labels = [f"{f.feature_date:%b %d}" for f in features]
    factors = [f for f in (current.risk_factors or []) if isinstance(f, dict)] if current else []
    return {
        # The two long tables are formatted here: Django's per-cell filters (date, floatformat)
        # cost more than the page's SQL for a year of weekly rows.
        "history_rows": [
            (
                _date(p.as_of),
                p.model_version_id or "",
                p.risk_category or "",
                p.get_risk_category_display() or "",
                _num(p.risk_score, 2),
                _num(p.confidence, 2),
                f"{p.prediction_date:%Y-%m-%d %H:%M}" if p.prediction_date else "",
            )
            for p in predictions
        ],
        "feature_rows": [
            (
                _date(f.feature_date),
                _num(f.attendance_rate, 3),
                _num(f.gpa_current, 2),
                "—" if f.discipline_incidents is None else str(f.discipline_incidents),
            )
            for f in reversed(features)
        ],
        "student": student,
        "model": model,
        "current": current,
        "factors": factors,
        "predictions": predictions,
        "features": features,
        "recent": recent_records(student_id=student.pk),
        "feedback": feedback,
        "form": form if can_give_feedback else None,
        "form_fields": fields_html(form) if can_give_feedback else "",
        "factor_chart": charts.factor_bars(
            "risk-factors", "What pushes this student's risk up or down", factors
        ),
        "risk_chart": charts.line_chart(
            "risk-over-time",
            "Risk score over time",
            [f"{p.as_of:%b %d}" for p in risk_series],
            [("risk score", [p.risk_score for p in risk_series])],
            top_value=1.0,
            percent=True,
        ),
        "attendance_chart": charts.line_chart(
            "weekly-attendance",
            "Attendance rate (year to date), week by week",
            week_labels,
            [("attendance", [f.attendance_rate for f in features])],
            top_value=1.0,
            percent=True,
        ),
        "gpa_chart": charts.line_chart(
            "weekly-gpa",
            "GPA, week by week",
            week_labels,
            [("GPA", [f.gpa_current for f in features])],
            top_value=4.0,
        ),
        "incidents_chart": charts.bar_chart(
            "weekly-incidents",
            "Discipline incidents (year to date), week by week",
            [
                (label, f.discipline_incidents or 0)
                for label, f in zip(week_labels, features, strict=True)
            ],
        ),
    }


def _date(value) -> str:
    return value.isoformat() if value else ""


def _num(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@dashboard_view
def student_profile(request, student_id):
    student = student_for_user(request.user, student_id)
    return render(request, "students/profile.html", profile_context(request, student))
