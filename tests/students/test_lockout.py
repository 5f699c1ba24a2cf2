"""Sign-in resists guessing: repeated failures lock a user name (and an address) on both login
pages, until the cool-off ends or a district administrator unlocks it."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory, override_settings
from django.urls import reverse

from students.middleware import client_ip
from students.roles import DISTRICT_ADMIN, EDUCATOR
from students.services import roles_sync

pytestmark = pytest.mark.django_db

PASSWORD = "right-horse-battery-9"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def educator():
    roles_sync()
    user = get_user_model().objects.create_user("educator", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=EDUCATOR))
    return user


def _sign_in(client, url, password, address="10.0.0.1", username="educator"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_the_right_password_after_repeated_failures_does_not_sign_in(client, educator, url):
    statuses = [_sign_in(client, url, "guess").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]  # the fifth failure locks
    response = _sign_in(client, url, PASSWORD)
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert not _signed_in(client)


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_fewer_failures_than_the_limit_still_sign_in(client, educator, url):
    for _ in range(4):
        _sign_in(client, url, "guess")
    response = _sign_in(client, url, PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)
    assert not AccessAttempt.objects.filter(username="educator").exists()  # reset on success


def test_a_locked_user_name_is_locked_from_every_address(client, educator):
    for n in range(5):
        _sign_in(client, LOGIN, "guess", address=f"10.0.0.{n}")
    assert _sign_in(client, LOGIN, PASSWORD, address="10.9.9.9").status_code == 429


def test_an_address_guessing_many_user_names_is_locked(client, educator):
    for n in range(5):
        _sign_in(client, LOGIN, "guess", username=f"someone{n}")
    assert _sign_in(client, LOGIN, PASSWORD).status_code == 429
    # ... while the same user signs in from elsewhere.
    assert _sign_in(client, LOGIN, PASSWORD, address="10.0.0.2").status_code == 302


@override_settings(EDUPULSE_PROXY_COUNT=0)
def test_failures_of_one_user_do_not_lock_another(client, educator):
    get_user_model().objects.create_user("other", password=PASSWORD)
    for _ in range(5):
        _sign_in(client, LOGIN, "guess", address="10.0.0.7")
    assert (
        _sign_in(client, LOGIN, PASSWORD, address="10.0.0.8", username="other").status_code == 302
    )


def test_a_district_administrator_unlocks_a_locked_user(client, educator):
    for _ in range(5):
        _sign_in(client, LOGIN, "guess")
    admin = get_user_model().objects.create_user("boss", password="pw-boss-12345", is_staff=True)
    admin.groups.add(Group.objects.get(name=DISTRICT_ADMIN))
    client.force_login(admin)
    listing = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "educator" in listing.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    client.logout()

    assert _sign_in(client, LOGIN, PASSWORD).status_code == 302
    assert _signed_in(client)


def test_an_educator_cannot_see_or_clear_lockouts(client, educator):
    client.force_login(educator)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 403


def test_the_password_tried_is_not_stored(client, educator):
    _sign_in(client, LOGIN, "my-secret-guess")
    attempt = AccessAttempt.objects.get()
    assert "my-secret-guess" not in attempt.post_data


@override_settings(EDUPULSE_PROXY_COUNT=1)
def test_behind_a_proxy_the_client_is_the_address_the_proxy_appended():
    request = RequestFactory().get(
        "/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.1"
    )
    assert client_ip(request) == "203.0.113.9"


@override_settings(EDUPULSE_PROXY_COUNT=0)
def test_without_a_proxy_forwarded_for_is_ignored():
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
