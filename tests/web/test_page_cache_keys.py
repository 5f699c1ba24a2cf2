"""The dashboard's cache holds what users may see and nothing more: past weeks' counts follow
a student who leaves a scope, and junk query strings add no entries."""

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse

from tests.web.conftest import PREVIOUS, client_for

pytestmark = pytest.mark.django_db
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def locmem():
    with override_settings(CACHES=LOCMEM):
        cache.clear()
        yield
        cache.clear()


def _past_week_total(response) -> int:
    return sum(
        sum(counts.values()) for as_of, counts in response.context["weekly"] if as_of == PREVIOUS
    )


def test_past_week_counts_drop_a_student_who_leaves_the_scope_at_once(
    client, district, counselor, locmem, django_capture_on_commit_callbacks
):
    view = client_for(client, counselor)
    assert _past_week_total(view.get(reverse("dashboard"))) == len(district.north)

    leaver = district.north[0]
    with django_capture_on_commit_callbacks(execute=True):
        leaver.school = "Elsewhere High"
        leaver.save()

    assert _past_week_total(view.get(reverse("dashboard"))) == len(district.north) - 1


def _entries() -> int:
    return len(cache._cache)  # LocMemCache's own store


def test_junk_query_values_and_page_numbers_add_no_cache_entries(
    client, district, district_admin, locmem
):
    c = client_for(client, district_admin)
    c.get(reverse("dashboard"))
    settled = _entries()
    junk = [
        {"page": "999"},
        {"page": "-3"},
        {"page": "2"},
        {"page": "abc"},
        {"school": "Nowhere"},
        {"grade_level": "99"},
        {"category": "purple"},
        {"sort": "drop table"},
        {"factor": "x", "page": "77"},
        {"unknown": "1"},
    ]
    for params in junk:
        response = c.get(reverse("dashboard"), params)
        assert response.status_code == 200
        assert _entries() == settled, params
    # Every junk request showed page 1 of the unfiltered list: kept once, under that page.
    assert _entries() == settled


def test_a_valid_filter_is_kept_under_its_own_key(client, district, district_admin, locmem):
    c = client_for(client, district_admin)
    c.get(reverse("dashboard"))
    settled = _entries()
    first = c.get(reverse("dashboard"), {"school": "North High"})
    assert _entries() > settled
    again = c.get(reverse("dashboard"), {"school": "North High"})
    assert first.context["query_string"] == "school=North+High"
    assert not [t for t in again.templates if t.name == "analytics/_dashboard_data.html"]
