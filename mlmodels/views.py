"""Feedback on a prediction, and the model performance page."""

import datetime as dt
import logging
import math

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from analytics import charts, dashboards, features
from mlmodels.forms import FeedbackForm
from mlmodels.intervals import auc_interval, top_k_rows, wilson_interval
from mlmodels.labels import data_end_by_source
from mlmodels.metrics import FEW_POSITIVES, K_SHARES
from mlmodels.models import FeedbackType, ModelMetadata, Prediction
from mlmodels.training import GRADE_BANDS
from records.selectors import schools_without_attendance
from students.access import dashboard_view, may_give_feedback, sees_everyone, visible_students
from students.views import profile_context

log = logging.getLogger(__name__)


@dashboard_view
@require_http_methods(["GET", "POST"])
def prediction_feedback(request, prediction_id):
    """Feedback on one prediction of a student within reach (404 otherwise).

    GET shows the student's page at the form; a valid POST saves the feedback and goes back to
    the student's page; an invalid one shows the page again with the form's messages.
    """
    prediction = (
        Prediction.objects.filter(student__in=visible_students(request.user).values("pk"))
        .select_related("student")
        .filter(pk=prediction_id)
        .first()
    )
    if prediction is None:
        raise Http404("No such prediction.")
    if not may_give_feedback(request.user):
        raise PermissionDenied("Feedback is given by counselors and educators.")
    student = prediction.student
    data = request.POST if request.method == "POST" else None
    form = FeedbackForm(data, prediction=prediction)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            feedback = form.save(commit=False)
            feedback.prediction = prediction
            feedback.submitted_by = request.user
            feedback.save()
        # Ids only: names never reach the logs.
        log.info(
            "feedback %s on prediction %s of %s", feedback.pk, prediction.pk, student.log_label
        )
        messages.success(request, "Thank you: your feedback is saved.")
        return redirect(f"{reverse('student_profile', args=[student.pk])}#feedback")
    context = profile_context(request, student, form=form)
    context["feedback_prediction"] = prediction
    status = 400 if request.method == "POST" else 200
    return render(request, "students/profile.html", context, status=status)


# The feedback chart's legend and table: what each answer means, in words.
FEEDBACK_WORDS = dict(FeedbackType.choices)
FEEDBACK_WINDOWS = {"30": 30, "90": 90, "365": 365, "all": None}

METRIC_ROWS = [
    ("auc_roc", "AUC-ROC", "higher is better"),
    ("precision", "Precision", "of the flagged, the share who had the outcome"),
    ("recall", "Recall", "of those with the outcome, the share flagged"),
    ("f1_score", "F1 score", ""),
    ("accuracy", "Accuracy", ""),
    ("brier_score", "Brier score", "lower is better"),
    ("ece", "Expected calibration error", "lower is better"),
    ("validation_loss", "Validation loss", "lower is better"),
    ("positives", "Positives (validation rows with the outcome)", ""),
    ("threshold", "Flagging threshold", ""),
    ("horizon_days", "Horizon (days)", ""),
    ("training_samples", "Training rows", ""),
    ("validation_samples", "Validation rows", ""),
]
K_LEVELS = (("k5", "top 5%"), ("k10", "top 10%"), ("k20", "top 20%"))
FAIRNESS_ATTRIBUTES = (
    ("gender", "Gender"),
    ("ethnicity", "Ethnicity"),
    ("socioeconomic_status", "Socioeconomic status"),
    ("grade_band", "Grade band"),
)
RATIO_NAMES = ("flagged_rate", "false_positive_rate", "false_negative_rate", "precision")
# FERPA small-cell practice: an aggregate of fewer students than this is not shown to anyone
# but district administrators (a rate over 3 students all but names them).
SMALL_CELL = 10
_FAIRNESS_CELLS = ("base_rate", "flagged_rate", "false_positive_rate", "false_negative_rate",
                   "precision")  # fmt: skip


def _small(n) -> bool:
    """Whether a cell counting `n` students is suppressed (an unknown size counts as small)."""
    return not isinstance(n, int) or n < SMALL_CELL


def _number(value):
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _model_view(model: ModelMetadata, *, suppress: bool = False) -> dict:
    """A model's metrics, shaped for the template; any key may be missing (old or ABC models).
    With `suppress`, calibration bins and fairness groups of fewer than SMALL_CELL students
    show neither their size nor their rates."""
    metrics = model.performance_metrics if isinstance(model.performance_metrics, dict) else {}
    baseline = metrics.get("baseline") if isinstance(metrics.get("baseline"), dict) else {}
    rows = [
        {
            "label": label,
            "note": note,
            "model": _number(metrics.get(key)),
            "baseline": _number(baseline.get(key)),
        }
        for key, label, note in METRIC_ROWS
        if _number(metrics.get(key)) is not None or _number(baseline.get(key)) is not None
    ]

    def at_k(source, name):
        values = source.get(name) if isinstance(source.get(name), dict) else {}
        return [_number(values.get(k)) for k, _ in K_LEVELS]

    precision_k, baseline_k = at_k(metrics, "precision_at_k"), at_k(baseline, "precision_at_k")
    recall_k, baseline_recall_k = at_k(metrics, "recall_at_k"), at_k(baseline, "recall_at_k")
    validation = _number(metrics.get("validation_samples"))
    positives = _number(metrics.get("positives"))

    def precision_cell(value, key):
        """A precision at k with the rows behind it, its students with the outcome (hits),
        its Wilson 95% interval, and whether it rests on fewer than FEW_POSITIVES hits."""
        if value is None or not validation:
            return {"value": value, "n": None, "hits": None, "interval": None, "few": False}
        n = top_k_rows(K_SHARES[key], int(validation))
        hits = round(value * n)
        return {
            "value": value,
            "n": n,
            "hits": hits,
            "interval": wilson_interval(hits, n),
            "few": hits < FEW_POSITIVES,
        }

    k_rows = [
        {
            "label": label,
            "precision": precision_k[i],
            "model_cell": precision_cell(precision_k[i], key),
            "baseline_precision": baseline_k[i],
            "baseline_cell": precision_cell(baseline_k[i], key),
            "recall": recall_k[i],
            "baseline_recall": baseline_recall_k[i],
        }
        for i, (key, label) in enumerate(K_LEVELS)
    ]
    for row in k_rows:
        row["cells"] = [row["model_cell"]] + ([row["baseline_cell"]] if baseline else [])
    bars = []
    for i, (_, label) in enumerate(K_LEVELS):
        if precision_k[i] is not None:
            bars.append((f"{label}, model", precision_k[i]))
        if baseline_k[i] is not None:
            bars.append((f"{label}, ABC", baseline_k[i]))
    colours = [charts.SERIES_COLOURS[0] if "model" in b[0] else "#6b6b6b" for b in bars]
    # A scale that fits the bars (to the next 10% above the largest), not always 0-100%.
    k_top = min(1.0, math.ceil(max([v for _, v in bars] or [0.1]) * 10 + 1e-9) / 10) or 0.1

    def auc_of(value):
        if value is None or positives is None or not validation:
            return None
        return auc_interval(value, int(positives), int(validation - positives))

    def calibration_bins(source):
        calibration = source.get("calibration")
        bins = calibration.get("bins") if isinstance(calibration, dict) else None
        return [
            b
            for b in (bins or [])
            if isinstance(b, dict) and _number(b.get("predicted")) is not None
        ]

    own, base = calibration_bins(metrics), calibration_bins(baseline)
    calibration_chart = None
    if own or base:
        # Points sit at their predicted probability on a 0..1 axis, one column per 0.1.
        grid = [round(i / 10, 1) for i in range(11)]

        def on_grid(bins):
            points = [None] * len(grid)
            for b in bins:
                i = min(range(len(grid)), key=lambda j: abs(grid[j] - b["predicted"]))
                small = suppress and _small(b.get("n"))
                points[i] = None if small else _number(b.get("observed"))
            return points

        series = [("model", on_grid(own))]
        if base:
            series.append(("ABC baseline", on_grid(base)))
        calibration_chart = charts.line_chart(
            f"calibration-{model.model_version}",
            "Calibration: observed outcome rate against predicted risk",
            [f"{g:.1f}" for g in grid],
            series,
            top_value=1.0,
            percent=True,
            diagonal=True,
        )
    fairness = []
    raw_fairness = metrics.get("fairness") if isinstance(metrics.get("fairness"), dict) else {}
    for key, label in FAIRNESS_ATTRIBUTES:
        groups = [g for g in raw_fairness.get(key) or [] if isinstance(g, dict)]
        if groups:
            fairness.append(
                {
                    "label": label,
                    "groups": [
                        _suppressed_group(g)
                        if suppress and _small(g.get("n"))
                        else {
                            **g,
                            "ratio_cells": [
                                {
                                    "name": name,
                                    "value": _number((g.get("ratios") or {}).get(name)),
                                    "flagged": name in (g.get("flagged") or []),
                                }
                                for name in RATIO_NAMES
                            ],
                        }
                        for g in groups
                    ],
                    "flagged": sum(1 for g in groups if g.get("flagged")),
                }
            )
    calibration_rows = [
        {"predicted": b["predicted"], "observed": None, "n": None, "suppressed": True}
        if suppress and _small(b.get("n"))
        else {"predicted": b["predicted"], "observed": _number(b.get("observed")), "n": b.get("n")}
        for b in own
    ]
    auc, rules_auc = _number(metrics.get("auc_roc")), _number(baseline.get("auc_roc"))
    for row in rows:
        if row["label"] == "AUC-ROC":
            row["model_interval"] = auc_of(row["model"])
            row["baseline_interval"] = auc_of(row["baseline"])
            row["few"] = positives is not None and positives < FEW_POSITIVES
            row["positives"] = positives
    return {
        "model": model,
        "rows": rows,
        "has_baseline": bool(baseline),
        # A learned model that ranks its own validation students worse than the ABC rules (only
        # `activate_model --even-if-worse` activates one): said where it cannot be missed.
        "behind_baseline": (auc, rules_auc)
        if auc is not None and rules_auc is not None and auc < rules_auc
        else None,
        "k_rows": k_rows,
        "k_chart": charts.bar_chart(
            f"precision-at-k-{model.model_version}",
            "Precision at 5, 10 and 20%: the share of the students ranked highest who had the"
            " outcome, this model (blue) beside the ABC rules (grey)",
            bars,
            colours=colours,
            percent=True,
            top_value=k_top,
        )
        if bars
        else None,
        "calibration_chart": calibration_chart,
        "calibration_rows": calibration_rows,
        "calibration_method": (metrics.get("calibration") or {}).get("method")
        if isinstance(metrics.get("calibration"), dict)
        else None,
        "fairness": fairness,
        "train_as_of": metrics.get("train_as_of"),
        "validate_as_of": metrics.get("validate_as_of"),
        "school_years": metrics.get("school_years")
        if isinstance(metrics.get("school_years"), dict)
        else None,
        "label": metrics.get("label"),
        "bands": _band_rows(metrics.get("by_grade_band")),
        "few_positives": (_number(metrics.get("positives")) or 0) < FEW_POSITIVES
        if _number(metrics.get("positives")) is not None
        else False,
    }


def _band_rows(by_band) -> list[dict]:
    """One row per grade band, in grade order: the model's and the ABC rules' AUC and precision
    in the top 10%, with the positives behind them (marked under FEW_POSITIVES)."""
    if not isinstance(by_band, dict):
        return []
    rows = []
    for band in GRADE_BANDS:
        both = by_band.get(band)
        if not isinstance(both, dict):
            continue
        learned, rules = both.get("learned") or {}, both.get("baseline") or {}
        positives = _number(learned.get("positives")) or 0
        rows.append(
            {
                "band": band,
                "n": _number(learned.get("n")),
                "positives": positives,
                "few": positives < FEW_POSITIVES,
                "auc": _number(learned.get("auc_roc")),
                "baseline_auc": _number(rules.get("auc_roc")),
                "precision_k10": _number((learned.get("precision_at_k") or {}).get("k10")),
                "baseline_precision_k10": _number((rules.get("precision_at_k") or {}).get("k10")),
                "base_rate": _number(learned.get("base_rate")),
            }
        )
    return rows


def _suppressed_group(group: dict) -> dict:
    """A fairness group too small to show: its name only (and whether it was flagged)."""
    return {
        "group": group.get("group"),
        "n": None,
        "suppressed": True,
        "flagged": group.get("flagged"),
        "too_small": group.get("too_small"),
        **dict.fromkeys(_FAIRNESS_CELLS),
        "ratio_cells": [{"name": name, "value": None, "flagged": False} for name in RATIO_NAMES],
    }


def _coverage() -> dict:
    """How far each kind of record reaches, and the schools that send no attendance this school
    year: facts about the data a model learned from, not about students."""
    today = timezone.localdate()
    first = features.school_year_start(today)
    return {
        "sources": sorted(data_end_by_source().items()),
        "year_start": first,
        "schools_without_attendance": schools_without_attendance(first=first, last=today),
    }


@dashboard_view
def model_performance(request):
    """Each model version beside the ABC baseline; feedback counts by model and type.

    District administrators see every aggregate. Everyone else sees feedback only on the
    students within their reach (students.access), and no cell of fewer than SMALL_CELL
    students: its count shows as "fewer than 10" and its means are not shown."""
    everyone = sees_everyone(request.user)
    window = request.GET.get("window", "30")
    if window not in FEEDBACK_WINDOWS:
        window = "30"
    days = FEEDBACK_WINDOWS[window]
    since = timezone.now() - dt.timedelta(days=days) if days else None
    models = list(
        ModelMetadata.objects.defer("model_bytes", "hyperparameters").order_by(
            "-is_active", "-training_date"
        )
    )
    counts = dashboards.feedback_counts(since, None if everyone else visible_students(request.user))
    for row in counts:
        row["type_label"] = FEEDBACK_WORDS.get(row["type"], row["type"] or "not given")
        if not everyone and row["student_count"] < SMALL_CELL:
            row.update(
                suppressed=True, feedback_count=None, avg_predicted_risk=None, avg_confidence=None
            )
    versions = sorted({r["model_version"] or "" for r in counts})
    words = {t: FEEDBACK_WORDS.get(t, t) for t in FeedbackType.values}
    feedback_chart = charts.stacked_bars(
        "feedback-counts",
        "Educator feedback on each model version: how many answers of each kind",
        [
            (
                v or "none",
                {
                    words.get(r["type"], "not given"): r["feedback_count"]
                    for r in counts
                    if (r["model_version"] or "") == v and r["feedback_count"] is not None
                },
            )
            for v in versions
        ],
        dict(
            zip(
                (words[t] for t in FeedbackType.values),
                ("#2e7d32", "#b23b3b", "#1f5f99", "#8a5a00"),
                strict=True,
            )
        ),
    )
    return render(
        request,
        "mlmodels/performance.html",
        {
            "models": [_model_view(m, suppress=not everyone) for m in models],
            "small_cell": SMALL_CELL,
            "counts": counts,
            "feedback_chart": feedback_chart,
            "window": window,
            "coverage": _coverage(),
            "windows": [
                ("30", "30 days"),
                ("90", "90 days"),
                ("365", "a year"),
                ("all", "all time"),
            ],
        },
    )
