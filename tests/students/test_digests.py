# ruff: noqa: F811  (the fixtures imported from tests.web.conftest are named as arguments)
"""The weekly digest, received by a real SMTP server on loopback (aiosmtpd in this process)."""

import datetime as dt
import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group
from django.core.management import call_command

from mlmodels.models import ModelMetadata
from students.digests import digests_send
from students.models import DigestAnnouncement, DigestDelivery, StaffProfile
from students.roles import COUNSELOR
from tests.mlmodels.factories import ModelMetadataFactory, PredictionFactory
from tests.students.factories import AssignmentFactory, InterventionFactory, UserFactory

# The page tests' scored district and logins (pytest finds fixtures imported here).
from tests.web.conftest import (  # noqa: F401
    AS_OF,
    category,
    counselor,
    district,
    educator,
    factor,
)

pytestmark = pytest.mark.django_db
NEXT = AS_OF + dt.timedelta(weeks=1)
TODAY = AS_OF + dt.timedelta(days=1)


class Inbox:
    """An SMTP handler keeping every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def to(self, address: str) -> list[str]:
        return [m.get_content() for rcpt, m in self.messages if address in rcpt]

    def subjects(self, address: str) -> list[str]:
        return [m["subject"] for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def inbox(settings):
    """A real SMTP server on a free loopback port, and the settings that send to it."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EDUPULSE_SITE_URL = "https://edupulse.example.org"
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def staff(district, counselor, educator):
    """The counselor (North High) and the educator (two South Middle students) with addresses,
    and a counselor of South Middle only."""
    counselor.email, educator.email = "counselor@school.example", "educator@school.example"
    counselor.save()
    educator.save()
    south = UserFactory(username="south-counselor", email="south@school.example")
    south.groups.add(Group.objects.get(name=COUNSELOR))
    AssignmentFactory(user=south, student=None, school="South Middle")
    return counselor, educator, south


def score(student, as_of, value, model=None):
    model = model or ModelMetadata.objects.get(is_active=True)
    PredictionFactory(
        student=student,
        model_version=model,
        as_of=as_of,
        risk_score=value,
        risk_category=category(value),
        risk_factors=[factor("absences_30d", 0.5), factor("gpa_change_6w", 0.2)],
    )


def test_each_user_gets_their_weeks_news_and_due_check_ins(district, staff, inbox):
    _, educator, _ = staff
    due = InterventionFactory(
        student=district.south[0], owner=educator, start_date=AS_OF - dt.timedelta(days=30)
    )
    report = digests_send(as_of=AS_OF, today=TODAY)
    assert report.sent == 3 and report.failed == 0

    (to_counselor,) = inbox.to("counselor@school.example")
    newly = district.north[0]  # 0.1 the week before, 0.92 (critical) now
    assert f"{newly.last_name}, {newly.first_name} ({newly.district_id})" in to_counselor
    assert "CRITICAL" in to_counselor and "Top factor: courses_failing" in to_counselor
    assert f"https://edupulse.example.org/students/{newly.pk}/" in to_counselor
    # Others of the school were already high or critical the week before: not news.
    assert district.north[1].district_id not in to_counselor
    assert "check-in due" not in to_counselor
    assert inbox.subjects("counselor@school.example") == [
        f"EduPulse weekly digest, {AS_OF}: 1 student newly high or critical"
    ]

    (to_educator,) = inbox.to("educator@school.example")
    assert "1 check-in due" in inbox.subjects("educator@school.example")[0]
    assert district.south[0].district_id in to_educator and "Attendance mentoring" in to_educator
    assert f"/interventions/{due.pk}/" in to_educator
    assert newly.district_id not in to_educator  # not theirs to see

    # The South Middle counselor: the due check-in (a South Middle student), not the news.
    (to_south,) = inbox.to("south@school.example")
    assert district.south[0].district_id in to_south
    assert newly.district_id not in to_south and newly.last_name not in to_south


def test_a_user_without_access_gets_nothing_about_the_student(district, staff, inbox):
    digests_send(as_of=AS_OF, today=TODAY)
    newly = district.north[0]
    for address in ("educator@school.example", "south@school.example"):
        for body in inbox.to(address):
            assert newly.district_id not in body and newly.last_name not in body
    assert inbox.to("south@school.example") == []  # nothing to say to them: no digest at all


def test_the_throttle_holds_across_two_weeks_and_a_rise_is_news_again(district, staff, inbox):
    north = district.north
    digests_send(as_of=AS_OF, today=TODAY)
    assert len(inbox.to("counselor@school.example")) == 1

    # The next week: north[0] stays critical, north[1] rises from high to critical.
    for student, value in zip(north, (0.93, 0.8, 0.4, 0.2), strict=True):
        score(student, NEXT, value)
    digests_send(as_of=NEXT, today=NEXT + dt.timedelta(days=1))
    (second,) = inbox.to("counselor@school.example")[1:]
    assert north[1].district_id in second and north[0].district_id not in second

    # A newly activated model has no run before: every flagged student looks new, but the
    # throttle remembers what the counselor was told.
    ModelMetadata.objects.update(is_active=False)
    fresh = ModelMetadataFactory(model_version="xgb-2", is_active=True)
    for student, value in zip(north, (0.93, 0.8, 0.7, 0.2), strict=True):
        score(student, NEXT, value, model=fresh)
    digests_send(as_of=NEXT, today=NEXT + dt.timedelta(days=1))
    assert len(inbox.to("counselor@school.example")) == 2  # already had this week's digest
    DigestDelivery.objects.filter(as_of=NEXT).delete()
    digests_send(as_of=NEXT, today=NEXT + dt.timedelta(days=1))
    (third,) = inbox.to("counselor@school.example")[2:]
    assert north[2].district_id in third  # high for the first time
    assert north[0].district_id not in third and north[1].district_id not in third


def test_a_student_who_drops_below_high_is_news_again_when_they_return(district, staff, inbox):
    north0 = district.north[0]
    digests_send(as_of=AS_OF, today=TODAY)
    score(north0, NEXT, 0.3)  # medium
    digests_send(as_of=NEXT, today=TODAY)
    assert not DigestAnnouncement.objects.filter(student=north0).exists()
    later = NEXT + dt.timedelta(weeks=1)
    score(north0, later, 0.6)  # high again
    digests_send(as_of=later, today=TODAY)
    assert north0.district_id in inbox.to("counselor@school.example")[-1]


def test_running_the_week_again_sends_nothing_twice(district, staff, inbox):
    digests_send(as_of=AS_OF, today=TODAY)
    count = len(inbox.messages)
    assert digests_send(as_of=AS_OF, today=TODAY).sent == 0
    assert len(inbox.messages) == count


def test_no_digest_for_a_user_who_switched_it_off_or_has_no_address(district, staff, inbox):
    counselor, educator, _ = staff
    StaffProfile.objects.create(user=counselor, weekly_digest=False)
    InterventionFactory(
        student=district.south[0], owner=educator, start_date=AS_OF - dt.timedelta(days=30)
    )
    educator.email = ""
    educator.save()
    digests_send(as_of=AS_OF, today=TODAY)
    assert inbox.to("counselor@school.example") == []
    assert inbox.to("educator@school.example") == []


def test_a_failed_send_is_counted_and_retried_by_the_next_run(district, staff, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    report = digests_send(as_of=AS_OF, today=TODAY)
    assert report.sent == 0 and report.failed == 1
    assert not DigestDelivery.objects.exists() and not DigestAnnouncement.objects.exists()


def test_the_command_dry_run_prints_and_sends_nothing(district, staff, inbox, capsys):
    call_command("send_digests", "--as-of", AS_OF.isoformat(), "--dry-run")
    out = capsys.readouterr().out
    assert "Subject: EduPulse weekly digest" in out and district.north[0].district_id in out
    assert "1 digest(s) would be sent" in out
    assert inbox.messages == [] and not DigestDelivery.objects.exists()
    call_command("send_digests", "--as-of", AS_OF.isoformat())
    assert "1 sent, 0 failed" in capsys.readouterr().out
    assert len(inbox.messages) == 1


def test_with_no_email_settings_the_digests_are_files_in_var(district, staff, settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = tmp_path
    assert digests_send(as_of=AS_OF, today=TODAY).sent == 1
    (written,) = tmp_path.iterdir()
    assert district.north[0].district_id in written.read_text()
