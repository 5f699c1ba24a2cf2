# ruff: noqa: RUF001 (the page prints intervals with an en dash)
"""The model page: positives and 95% intervals behind the figures, thin figures marked, no
"/ / /" cells, a precision chart on a readable scale, the feedback legend in words."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from mlmodels.intervals import auc_interval, wilson_interval
from mlmodels.models import ModelMetadata
from tests.mlmodels.factories import TrainingFeedbackFactory
from tests.records.factories import AttendanceRecordFactory
from tests.students.factories import StudentFactory
from tests.web.conftest import FULL_METRICS, client_for

pytestmark = pytest.mark.django_db


def page(client, user):
    response = client_for(client, user).get(reverse("model_performance"))
    return response, " ".join(response.content.decode().split())


def with_positives(n: int) -> None:
    ModelMetadata.objects.filter(model_version="xgb-1").update(
        performance_metrics={**FULL_METRICS, "positives": n}
    )


def test_auc_has_a_hanley_mcneil_interval_and_its_positives(client, district, district_admin):
    with_positives(150)
    _response, html = page(client, district_admin)
    low, high = auc_interval(0.87, 150, 1500 - 150)
    assert f"95% CI {low:.3f}–{high:.3f}" in html
    assert "from 150 positives; interval by Hanley and McNeil" in html


def test_precision_at_k_has_a_wilson_interval_and_its_counts(client, district, district_admin):
    with_positives(150)
    _response, html = page(client, district_admin)
    # Top 5% of 1,500 validation rows: 75 students, 0.81 of them (61) with the outcome.
    low, high = wilson_interval(61, 75)
    assert f"({low:.3f}–{high:.3f}; 61 / 75" in html
    assert "Wilson" in html


def test_figures_on_fewer_than_30_positives_are_marked(client, district, district_admin):
    with_positives(12)
    response, html = page(client, district_admin)
    assert 'AUC-ROC <span class="muted">(fewer than 30 positives)' in html
    cells = response.context["models"][0]["k_rows"][0]["cells"]
    assert cells[0]["hits"] == 61 and not cells[0]["few"]
    assert cells[1]["hits"] == 45 and not cells[1]["few"]  # ABC: 0.6 of 75
    with_positives(150)
    ModelMetadata.objects.filter(model_version="xgb-1").update(
        performance_metrics={**FULL_METRICS, "positives": 150, "validation_samples": 200}
    )
    response, html = page(client, district_admin)
    assert "fewer than 30 with the outcome" in html  # top 5% of 200: 10 students


def test_fairness_ratios_have_a_column_each(client, district, district_admin):
    _response, html = page(client, district_admin)
    assert "/ / /" not in html and " / — / " not in html
    assert "Ratio: false positive rate" in html


def test_the_precision_chart_uses_a_scale_that_fits_its_bars(client, district, district_admin):
    response, _html = page(client, district_admin)
    svg = str(response.context["models"][0]["k_chart"])
    ticks = re.findall(r'text-anchor="end">(\d+)%</text>', svg)
    assert ticks[-1] == "90"  # the largest bar is 81%


def test_the_feedback_legend_is_in_words(client, district, district_admin, counselor):
    prediction = district.north[0].predictions.get(
        as_of__isnull=False, as_of__year=2025, as_of__month=10
    )
    TrainingFeedbackFactory(prediction=prediction, feedback_type="true_positive")
    TrainingFeedbackFactory(prediction=prediction, feedback_type="false_negative")
    response, _html = page(client, district_admin)
    svg = str(response.context["feedback_chart"])
    assert "true_positive" not in svg and "false_negative" not in svg
    assert "Flagged, and the outcome happened" in svg
    assert "Not flagged, but the outcome happened" in svg


def test_a_long_legend_wraps_inside_the_chart():
    from analytics import charts

    colours = {f"A legend entry of some length {i}": "#1f5f99" for i in range(4)}
    svg = str(charts.stacked_bars("t", "A title", [("x", dict.fromkeys(colours, 1))], colours))
    xs = [float(x) for x in re.findall(r'<rect x="([\d.]+)" y="\d+" width="10"', svg)]
    assert xs and max(xs) + 14 + 7 * 31 <= charts.WIDTH
    height = int(re.search(r'viewBox="0 0 \d+ (\d+)"', svg).group(1))
    ys = [int(y) for y in re.findall(r'<rect x="[\d.]+" y="(\d+)" width="10"', svg)]
    assert max(ys) + 10 <= height and len(set(ys)) > 1


def test_the_data_coverage_names_a_school_that_sends_no_attendance(
    client, district, district_admin
):
    today = timezone.localdate()
    sending = StudentFactory(school="Sends High")
    AttendanceRecordFactory(student=sending, date=today)
    StudentFactory(school="Silent Elementary")  # no attendance record at all
    _response, html = page(client, district_admin)
    listed = re.search(r"These schools send no attendance this school year[^:]*: ([^.]*)\.", html)
    assert listed is not None
    assert "Silent Elementary" in listed.group(1)
    assert "Sends High" not in listed.group(1)
    assert f"attendance to {today.isoformat()}" in html
