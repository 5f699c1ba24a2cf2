"""Sessions on shared classroom computers: gone when the browser closes, signed out when idle;
pages and exports with student data are never kept in a browser or proxy cache."""

import time

import pytest
from django.conf import settings
from django.urls import reverse

from students.middleware import LAST_SEEN
from tests.web.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_session_cookie_ends_with_the_browser(client, django_user_model):
    django_user_model.objects.create_user("ida", password="pw-ida-12345-x")
    response = client.post(reverse("login"), {"username": "ida", "password": "pw-ida-12345-x"})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]


def test_the_idle_timeout_defaults_to_thirty_minutes():
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def _age_session(client, seconds: int) -> None:
    session = client.session
    session[LAST_SEEN] = int(time.time()) - seconds
    session.save()


def test_a_session_idle_past_the_timeout_is_signed_out(client, district, district_admin):
    client = client_for(client, district_admin)
    assert client.get(reverse("dashboard")).status_code == 200
    _age_session(client, settings.SESSION_IDLE_TIMEOUT + 5)

    response = client.get(reverse("dashboard") + "?school=North+High")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/%3Fschool%3DNorth%2BHigh"
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_session_used_within_the_timeout_stays_signed_in(client, district, district_admin):
    client = client_for(client, district_admin)
    client.get(reverse("dashboard"))
    _age_session(client, settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get(reverse("dashboard")).status_code == 200
    # ... and that request counts as activity: the clock starts again.
    assert time.time() - client.session[LAST_SEEN] < 5


def test_the_idle_timeout_is_a_setting(client, district, district_admin, settings):
    settings.SESSION_IDLE_TIMEOUT = 120
    client = client_for(client, district_admin)
    client.get(reverse("dashboard"))
    _age_session(client, 121)
    assert client.get(reverse("dashboard")).status_code == 302


@pytest.mark.parametrize(
    "url_name", ["dashboard", "dashboard_export", "attendance_trends", "model_performance"]
)
def test_pages_and_exports_with_student_data_are_not_stored(
    client, district, district_admin, url_name
):
    response = client_for(client, district_admin).get(reverse(url_name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_student_page_is_not_stored(client, district, district_admin):
    student = district.students[0]
    response = client_for(client, district_admin).get(reverse("student_profile", args=[student.pk]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_cache_lifetime(client):
    response = client.get("/static/edupulse/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
