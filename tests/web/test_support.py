"""The support pages: starting an intervention from a factor, check-ins, notes, the dashboard's
filters and column, "My students", the interventions report and the MTSS export."""

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from students import interventions as support
from students.models import CaseNote, CheckIn, Intervention, StaffProfile
from students.roles import EDUCATOR
from tests.students.factories import (
    AssignmentFactory,
    CaseNoteFactory,
    InterventionFactory,
    UserFactory,
    catalogue,
)
from tests.web.conftest import AS_OF, client_for

pytestmark = pytest.mark.django_db

LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def today():
    return timezone.localdate()


def plan_for(student, owner, **fields):
    return InterventionFactory(
        student=student, owner=owner, intervention_type=catalogue()["Tutoring"], **fields
    )


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


def test_a_counselor_starts_an_intervention_from_a_factor(client, district, counselor):
    catalogue()  # seeded again, if a transactional (browser) test before this one emptied it
    student = district.north[0]
    c = client_for(client, counselor)
    url = reverse("intervention_new", args=[student.pk])
    shown = c.get(url, {"factor": "absences_30d"})
    form = shown.context["form"]
    words = "From the risk factor <strong>Days absent, last 30 days</strong>"
    assert words in shown.content.decode()
    assert form.initial["domain"] == "attendance"
    assert form.initial["intervention_type"].name == "Attendance mentoring"
    assert form.initial["goal"] == "Act on absences_30d"
    assert form.initial["owner"] == counselor.pk

    response = c.post(
        url,
        {
            "factor": "absences_30d",
            "intervention_type": catalogue()["Attendance mentoring"].pk,
            "domain": "attendance",
            "tier": "2",
            "owner": counselor.pk,
            "goal": "Attend every day",
            "start_date": today().isoformat(),
        },
    )
    plan = Intervention.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{plan.pk}/")
    assert plan.prediction == student.predictions.get(as_of=AS_OF)
    assert (plan.tier, plan.owner, plan.status) == (2, counselor, "active")
    assert plan.planned_end == today() + dt.timedelta(weeks=6)
    assert plan.history.get().history_user == counselor


def test_the_owner_must_be_someone_who_sees_the_student(client, district, counselor, educator):
    c = client_for(client, counselor)
    response = c.post(
        reverse("intervention_new", args=[district.north[0].pk]),
        {
            "intervention_type": catalogue()["Tutoring"].pk,
            "domain": "course_performance",
            "tier": "1",
            "owner": educator.pk,  # an educator of South Middle students only
            "goal": "g",
            "start_date": today().isoformat(),
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Intervention.objects.exists()


def test_an_educator_adds_check_ins_and_notes_but_does_not_start_or_close(
    client, district, counselor, educator
):
    student = district.south[0]
    plan = plan_for(student, educator, start_date=today() - dt.timedelta(days=20))
    c = client_for(client, educator)
    assert c.get(reverse("intervention_new", args=[student.pk])).status_code == 403
    closing = {"status": "completed", "ended_on": today().isoformat(), "outcome": "done"}
    assert c.post(reverse("intervention_close", args=[plan.pk]), closing).status_code == 403

    response = c.post(
        reverse("intervention_check_in", args=[plan.pk]),
        {"date": today().isoformat(), "progress": "on_track", "note": "Came every day."},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.last_check_in == today()
    assert CheckIn.objects.get().author == educator

    response = c.post(
        reverse("case_note_new", args=[student.pk]),
        {"date": today().isoformat(), "text": "Talked after class.", "visibility": "everyone"},
    )
    assert response.status_code == 302
    assert CaseNote.objects.get().history.get().history_user == educator


def test_a_check_in_in_the_future_is_refused_with_a_message(client, district, educator):
    plan = plan_for(district.south[0], educator, start_date=today() - dt.timedelta(days=3))
    response = client_for(client, educator).post(
        reverse("intervention_check_in", args=[plan.pk]),
        {"date": (today() + dt.timedelta(days=1)).isoformat(), "progress": "on_track"},
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_a_counselor_closes_an_intervention(client, district, counselor):
    plan = plan_for(district.north[0], counselor, start_date=today() - dt.timedelta(days=30))
    response = client_for(client, counselor).post(
        reverse("intervention_close", args=[plan.pk]),
        {"status": "completed", "ended_on": today().isoformat(), "outcome": "Back on track."},
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.outcome) == ("completed", "Back on track.")


def test_a_counselor_only_note_is_hidden_from_another_educator(
    client, district, counselor, educator
):
    student = district.south[0]
    other = UserFactory(username="other-educator")
    other.groups.add(Group.objects.get(name=EDUCATOR))
    AssignmentFactory(user=other, student=student)
    CaseNoteFactory(student=student, author=educator, text="Open to all.")
    CaseNoteFactory(
        student=student, author=educator, text="Family matter.", visibility="counselors"
    )
    url = reverse("student_profile", args=[student.pk])
    seen_by_other = client_for(client, other).get(url).content.decode()
    assert "Open to all." in seen_by_other and "Family matter." not in seen_by_other
    AssignmentFactory(user=counselor, student=student)
    seen_by_counselor = client_for(client, counselor).get(url).content.decode()
    assert "Family matter." in seen_by_counselor


def test_only_the_author_deletes_a_note_and_the_audit_keeps_it(client, district, educator):
    student = district.south[0]
    other = UserFactory(username="other-educator")
    other.groups.add(Group.objects.get(name=EDUCATOR))
    AssignmentFactory(user=other, student=student)
    note = CaseNoteFactory(student=student, author=educator)
    url = reverse("case_note_delete", args=[note.pk])
    assert client_for(client, other).post(url).status_code == 403
    assert client_for(client, educator).post(url).status_code == 302
    assert not CaseNote.objects.exists()
    deleted = CaseNote.history.get(id=note.pk, history_type="-")
    assert deleted.history_user == educator


def test_the_student_page_shows_the_plans_and_timeline_with_chart_markers(
    client, district, counselor
):
    student = district.north[0]
    plan_for(student, counselor, start_date=AS_OF - dt.timedelta(days=10))
    CaseNoteFactory(student=student, author=counselor, text="A note for the timeline.")
    body = client_for(client, counselor).get(reverse("student_profile", args=[student.pk]))
    html = body.content.decode()
    assert 'id="interventions"' in html and "Tutoring" in html
    assert "A note for the timeline." in html
    assert html.count('class="marker"') == 2  # the risk and attendance charts
    assert "?factor=courses_failing" in html


def test_the_dashboard_filters_by_support_and_shows_tier_and_owner(client, district, counselor):
    c = client_for(client, counselor)
    flagged = [
        s
        for s in district.north
        if s.predictions.get(as_of=AS_OF).risk_category in ("high", "critical")
    ]
    assert len(flagged) == 2
    url = reverse("dashboard")
    before = c.get(url, {"without_intervention": "on"}).context["data"]
    assert all(s.district_id in before for s in flagged)

    due = plan_for(flagged[0], counselor, start_date=today() - dt.timedelta(days=30))
    plan_for(flagged[1], counselor, start_date=today() - dt.timedelta(days=3), tier=3)
    without = c.get(url, {"without_intervention": "on"}).context["data"]
    assert not any(s.district_id in without for s in flagged)

    due_page = c.get(url, {"check_in_due": "on"}).context["data"]
    assert flagged[0].district_id in due_page and flagged[1].district_id not in due_page
    assert "Tier 2 · counselor" in due_page

    support.check_in_add(intervention=due, author=counselor, date=today(), progress="on_track")
    assert flagged[0].district_id not in c.get(url, {"check_in_due": "on"}).context["data"]
    assert "Tier 3 · counselor" in c.get(url).context["data"]


@override_settings(CACHES=LOCMEM)
def test_a_new_intervention_shows_on_the_cached_dashboard_at_once(
    client, district, counselor, django_capture_on_commit_callbacks
):
    cache.clear()
    c = client_for(client, counselor)
    student = district.north[0]
    url = reverse("dashboard")
    assert student.district_id in c.get(url, {"without_intervention": "on"}).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        plan_for(student, counselor, start_date=today())
    assert student.district_id not in c.get(url, {"without_intervention": "on"}).content.decode()
    cache.clear()


def test_my_students_lists_news_due_check_ins_and_plans_ending_this_week(
    client, district, counselor
):
    north = district.north
    due = plan_for(north[1], counselor, start_date=today() - dt.timedelta(days=20))
    monday = today() - dt.timedelta(days=today().weekday())
    ending = plan_for(
        north[2],
        counselor,
        start_date=monday - dt.timedelta(weeks=6),
        planned_end=monday + dt.timedelta(days=6),
        last_check_in=today(),
    )
    fresh = plan_for(north[3], counselor, start_date=today())
    response = client_for(client, counselor).get(reverse("my_students"))
    work = response.context["work"]
    assert [p.student for p in work.flagged] == [north[0]]  # newly critical this week
    assert work.due == [due] and fresh not in work.due
    assert work.ending == [ending]
    html = response.content.decode()
    assert "courses_failing" in html  # the top factor


def test_my_students_of_an_administrator_are_the_plans_they_own(
    client, district, district_admin, counselor
):
    plan_for(district.north[1], counselor, start_date=today() - dt.timedelta(days=20))
    work = client_for(client, district_admin).get(reverse("my_students")).context["work"]
    assert work.due == []
    assert [p.student for p in work.flagged] == [district.students[0]]  # the whole district


def test_the_report_counts_and_describes_the_weeks_around_the_start(
    client, district, district_admin, counselor
):
    plan_for(district.north[0], counselor, start_date=AS_OF - dt.timedelta(days=6))
    plan_for(district.north[1], counselor, start_date=AS_OF, status="completed", tier=3)
    response = client_for(client, district_admin).get(reverse("interventions_report"))
    counts = response.context["counts"]
    assert counts["type"] == [("Tutoring", 2)]
    assert counts["tier"] == [("Tier 2", 1), ("Tier 3", 1)]
    assert counts["status"] == [("active", 1), ("completed", 1)]
    assert counts["school"] == [("North High", 2)]
    around = response.context["around"]
    assert around.interventions == 2
    assert around.students_risk[around.offsets.index(0)] == 2  # the AS_OF run, week 0 for both
    assert around.risk[around.offsets.index(0)] == pytest.approx((0.92 + 0.66) / 2, abs=1e-4)
    assert around.students_risk[around.offsets.index(-1)] == 2  # the run before
    html = response.content.decode()
    assert "A description, not proof." in html
    assert 'data-chart="around-start"' in html


def test_the_export_holds_a_schools_interventions_within_reach(
    client, district, district_admin, counselor, educator
):
    north, south = district.north[0], district.south[0]
    plan_for(north, counselor, start_date=today() - dt.timedelta(days=30))
    plan_for(south, educator, start_date=today())
    url = reverse("interventions_export")
    rows = csv_rows(client_for(client, district_admin).get(url, {"school": "North High"}))
    assert [r["district_id"] for r in rows] == [north.district_id]
    assert rows[0]["check_in_due"] == "yes" and rows[0]["intervention"] == "Tutoring"
    everything = csv_rows(client_for(client, district_admin).get(url))
    assert len(everything) == 2
    mine = csv_rows(client_for(client, counselor).get(url))
    assert [r["district_id"] for r in mine] == [north.district_id]


def test_the_profile_page_switches_the_digest_off(client, district, educator):
    c = client_for(client, educator)
    assert c.get(reverse("account")).status_code == 200
    assert c.post(reverse("account"), {}).status_code == 302
    assert StaffProfile.objects.get(user=educator).weekly_digest is False
    c.post(reverse("account"), {"weekly_digest": "on"})
    assert StaffProfile.objects.get(user=educator).weekly_digest is True
