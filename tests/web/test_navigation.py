"""Each role lands on a page it may use, its menu offers only such pages, and a 403 is logged as
one plain line (tests/web/test_permissions.py has the answers of every URL)."""

import logging
import re

import pytest
from django.urls import reverse

from mlmodels import explain
from tests.web.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db

LINK = re.compile(r'<a[^>]* href="(/[^"#]*)"')


def sign_in(client, user, next_page=None):
    user.set_password(PASSWORD)
    user.save()
    data = {"username": user.username, "password": PASSWORD}
    if next_page is not None:
        data["next"] = next_page
    return client.post(reverse("login"), data)


def header_links(html: str) -> list[str]:
    header = html[html.index('<header class="top">') : html.index("</header>")]
    return LINK.findall(header)


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("staff", "admin:index"),
        ("counselor", "dashboard"),
        ("educator", "my_students"),
        ("district_admin", "dashboard"),
    ],
)
@pytest.mark.parametrize("next_page", [None, "/"])
def test_each_role_lands_on_a_page_it_may_use(client, district, request, role, landing, next_page):
    user = request.getfixturevalue(role)
    response = sign_in(client, user, next_page)
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    assert client.get(response["Location"]).status_code == 200


def test_a_page_asked_for_before_signing_in_is_kept(client, district, educator):
    response = sign_in(client, educator, reverse("attendance_trends"))
    assert response["Location"] == reverse("attendance_trends")


@pytest.mark.parametrize("role", ["staff", "counselor", "educator", "district_admin"])
def test_every_menu_link_answers_200(client, district, request, role):
    c = client_for(client, request.getfixturevalue(role))
    home = c.get(reverse("account"))
    links = header_links(home.content.decode())
    assert reverse("account") in links
    for link in links:
        assert c.get(link).status_code == 200, link


def test_data_entry_staff_see_only_the_admin_and_their_settings(client, data_entry_user):
    links = header_links(client_for(client, data_entry_user).get("/account/").content.decode())
    assert reverse("dashboard") not in links and reverse("my_students") not in links
    assert reverse("admin:index") in links


def test_a_403_is_one_warning_line_without_a_traceback(client, data_entry_user, caplog):
    with caplog.at_level(logging.INFO):
        response = client_for(client, data_entry_user).get(reverse("dashboard"))
    assert response.status_code == 403
    assert b"Go to your start page" in response.content
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert len(forbidden) == 1
    assert forbidden[0].levelno == logging.WARNING and forbidden[0].exc_info is None
    assert "Traceback" not in caplog.text


def test_every_page_has_a_skip_link_to_the_main_content(client, district, counselor):
    html = client_for(client, counselor).get(reverse("dashboard")).content.decode()
    assert '<a class="skip-link" href="#content">Skip to content</a>' in html
    assert '<main id="content"' in html


def test_the_admins_view_site_link_goes_to_the_users_start_page(client, data_entry_user):
    c = client_for(client, data_entry_user)
    assert 'href="/start/"' in c.get(reverse("admin:index")).content.decode()
    assert c.get("/start/")["Location"] == reverse("admin:index")


def test_the_work_list_names_the_top_factor_in_words(client, district, counselor):
    html = client_for(client, counselor).get(reverse("my_students")).content.decode()
    row = html[html.index('id="newly-flagged"') : html.index('id="check-ins-due"')]
    assert f"<td>{explain.label('courses_failing')}: " in row
    assert "<td>courses_failing:" not in row
