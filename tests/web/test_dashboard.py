import csv
import io

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from analytics import page_cache
from mlmodels.models import Prediction
from students.models import Assignment
from tests.web.conftest import AS_OF, build_district, client_for

pytestmark = pytest.mark.django_db


def rows(response) -> list:
    return list(response.context["page"].rows)


def test_it_lists_most_urgent_first(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    assert response.status_code == 200
    listed = rows(response)
    assert len(listed) == 8
    order = ["critical", "high", "medium", "low"]
    ranks = [(order.index(p.risk_category), -p.risk_score) for p in listed]
    assert ranks == sorted(ranks)
    assert all(p.as_of == AS_OF for p in listed)


def test_it_counts_each_category(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    assert response.context["counts"] == {"critical": 2, "high": 2, "medium": 2, "low": 2}


def test_a_counselor_sees_only_the_caseload(client, district, counselor):
    response = client_for(client, counselor).get(reverse("dashboard"))
    assert {p.student_id for p in rows(response)} == {s.pk for s in district.north}
    for student in district.south:
        assert student.district_id not in response.content.decode()


def test_it_filters_by_grade_school_and_category(client, district, district_admin):
    c = client_for(client, district_admin)
    by_grade = rows(c.get(reverse("dashboard"), {"grade_level": 10}))
    assert by_grade and all(p.student.grade_level == 10 for p in by_grade)
    by_school = rows(c.get(reverse("dashboard"), {"school": "South Middle"}))
    assert {p.student_id for p in by_school} == {s.pk for s in district.south}
    by_category = rows(c.get(reverse("dashboard"), {"category": "critical"}))
    assert [p.risk_category for p in by_category] == ["critical", "critical"]


def test_it_filters_by_a_risk_factor_among_the_top_three(client, district, district_admin):
    listed = rows(
        client_for(client, district_admin).get(reverse("dashboard"), {"factor": "courses_failing"})
    )
    assert {p.student_id for p in listed} == {
        s.pk for i, s in enumerate(district.students) if i % 3 == 0
    }


def test_it_ignores_a_factor_that_lowers_risk(client, district, district_admin):
    # tardies_30d has a negative weight everywhere: it never "explains" a high risk.
    listed = rows(
        client_for(client, district_admin).get(reverse("dashboard"), {"factor": "tardies_30d"})
    )
    assert listed == []


def test_it_lists_the_newly_high(client, district, district_admin):
    listed = rows(
        client_for(client, district_admin).get(reverse("dashboard"), {"newly_high": "on"})
    )
    # Students 0 and 4 were low the week before and are critical/medium now; only 0 is high now.
    assert [p.student_id for p in listed] == [district.students[0].pk]


def test_search_goes_through_the_session_and_never_into_the_url(client, district, district_admin):
    c = client_for(client, district_admin)
    target = district.students[5]
    response = c.post(reverse("dashboard"), {"search": target.last_name, "school": target.school})
    assert response.status_code == 302
    assert target.last_name not in response["Location"]
    listed = rows(c.get(response["Location"]))
    assert target.pk in {p.student_id for p in listed}
    assert all(
        p.student.last_name.lower().startswith(target.last_name.lower())
        or p.student.first_name.lower().startswith(target.last_name.lower())
        for p in listed
    )


def test_search_by_district_id(client, district, district_admin):
    c = client_for(client, district_admin)
    target = district.students[2]
    c.post(reverse("dashboard"), {"search": target.district_id})
    assert [p.student_id for p in rows(c.get(reverse("dashboard")))] == [target.pk]
    c.post(reverse("dashboard"), {"search": "", "clear": "1"})
    assert len(rows(c.get(reverse("dashboard")))) == 8


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("score", lambda p: p.risk_score),
        ("-score", lambda p: -p.risk_score),
        ("district_id", lambda p: p.student.district_id),
        ("name", lambda p: (p.student.last_name, p.student.first_name, p.student.district_id)),
    ],
)
def test_it_sorts(client, district, district_admin, sort, key):
    listed = rows(client_for(client, district_admin).get(reverse("dashboard"), {"sort": sort}))
    assert listed == sorted(listed, key=key)


def test_it_paginates_across_categories(client, db, district_admin, monkeypatch):
    build_district(12)
    monkeypatch.setattr("analytics.views.PER_PAGE", 5)
    c = client_for(client, district_admin)
    pages = [rows(c.get(reverse("dashboard"), {"page": n})) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [5, 5, 2]
    everything = [p for page in pages for p in page]
    assert len({p.pk for p in everything}) == 12
    order = ["critical", "high", "medium", "low"]
    ranks = [(order.index(p.risk_category), -p.risk_score) for p in everything]
    assert ranks == sorted(ranks)


def test_a_page_past_the_end_shows_the_last(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"), {"page": 99})
    assert response.context["page"].number == 1


def test_the_export_is_what_is_shown(client, district, district_admin):
    c = client_for(client, district_admin)
    response = c.get(reverse("dashboard_export"), {"school": "North High", "sort": "district_id"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [r["district_id"] for r in table] == sorted(s.district_id for s in district.north)
    assert table[0]["as_of"] == AS_OF.isoformat()
    assert table[0]["risk_category"] in {"critical", "high", "medium", "low"}


def test_the_export_of_a_counselor_holds_only_the_caseload(client, district, counselor):
    response = client_for(client, counselor).get(reverse("dashboard_export"))
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r["district_id"] for r in table} == {s.district_id for s in district.north}


def test_it_draws_the_charts_and_their_tables(client, district, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    html = response.content.decode()
    assert 'data-chart="risk-distribution"' in html
    assert 'data-chart="weekly-categories"' in html
    assert sum(sum(values) for _, _, values in response.context["histogram"]) == 8
    weekly = response.context["weekly"]
    assert [as_of for as_of, _ in weekly] == [AS_OF.replace(day=28, month=9), AS_OF]


def test_without_a_model_it_says_so(client, db, district_admin):
    response = client_for(client, district_admin).get(reverse("dashboard"))
    assert response.status_code == 200
    assert "No predictions yet" in response.content.decode()


def test_an_invalid_filter_is_ignored(client, district, district_admin):
    response = client_for(client, district_admin).get(
        reverse("dashboard"), {"grade_level": "x", "school": "Nowhere"}
    )
    assert len(rows(response)) == 8


LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def data_templates(response) -> list[str]:
    return [t.name for t in response.templates if t.name == "analytics/_dashboard_data.html"]


@override_settings(CACHES=LOCMEM)
def test_cached_dashboards_are_per_scope(client, district, district_admin, counselor):
    cache.clear()
    admin_view = client_for(client, district_admin).get(reverse("dashboard"))
    again = client.get(reverse("dashboard"))
    assert data_templates(admin_view) and not data_templates(again)  # drawn once, then kept
    assert again.content.count(b'class="badge') == admin_view.content.count(b'class="badge') == 8
    counselor_view = client_for(client, counselor).get(reverse("dashboard"))
    assert data_templates(counselor_view)  # another scope: drawn for it
    assert sum(sum(v) for _, _, v in counselor_view.context["histogram"]) == len(district.north)
    for student in district.south:
        assert student.district_id not in counselor_view.content.decode()
    cache.clear()


@override_settings(CACHES=LOCMEM)
def test_a_cached_dashboard_shows_every_change_on_the_next_request(
    client, district, district_admin, counselor, django_capture_on_commit_callbacks
):
    cache.clear()
    c = client_for(client, district_admin)
    assert "Renamed" not in c.get(reverse("dashboard")).content.decode()
    student = district.north[0]
    with django_capture_on_commit_callbacks(execute=True):
        student.last_name = "Renamed"
        student.save()
    assert "Renamed" in c.get(reverse("dashboard")).content.decode()

    # A bulk write that sends no signal is kept out of sight until its writer says so, as the
    # weekly scoring does (tests/mlmodels/test_training.py checks that it does).
    Prediction.objects.filter(student=student, as_of=AS_OF).update(risk_score=0.987)
    assert "0.99" not in c.get(reverse("dashboard")).content.decode()
    page_cache.data_changed()
    assert "0.99" in c.get(reverse("dashboard")).content.decode()

    # A counselor's new assignment is a new scope.
    view = client_for(client, counselor)
    assert district.south[0].district_id not in view.get(reverse("dashboard")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        Assignment.objects.create(user=counselor, student=district.south[0])
    assert district.south[0].district_id in view.get(reverse("dashboard")).content.decode()
    cache.clear()
