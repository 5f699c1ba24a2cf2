"""The student page in Chromium: its print view printed to PDF, and the page at desktop and
phone width (screenshots under var/artifacts/screenshots/, as in test_browser.py)."""

import datetime as dt
import io
import unicodedata
from pathlib import Path

import pytest

from tests.records.factories import AttendanceRecordFactory, DisciplineIncidentFactory
from tests.students.factories import InterventionFactory, catalogue
from tests.web.conftest import AS_OF, CHROMIUM
from tests.web.test_browser import SHOTS, log_in, no_csp_violations  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="scripts/test.sh installs chromium"),
]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _screenshots_folder():
    SHOTS.mkdir(parents=True, exist_ok=True)


def a_full_student(district, counselor):
    """North High's critical student with weeks of records, an incident, domain figures and an
    open intervention: what a counselor brings to a meeting."""
    student = district.north[0]
    start = dt.date(2025, 8, 18)
    for week in range(6):
        for day in range(5):
            date = start + dt.timedelta(weeks=week, days=day)
            if date in (AS_OF - dt.timedelta(days=2), AS_OF - dt.timedelta(days=9)):
                continue  # the fixture's own records
            status = "absent" if (week + day) % 4 == 0 else "present"
            AttendanceRecordFactory(student=student, date=date, status=status)
    DisciplineIncidentFactory(
        student=student, incident_date=dt.date(2025, 9, 10), severity_level=4, incident_type="fight"
    )
    row = student.features.get(feature_date=AS_OF)
    row.feature_vector = {
        "features": {
            "attendance_rate_ytd": 0.78,
            "attendance_rate_30d": 0.74,
            "absences_30d": 5,
            "incidents_ytd": 2,
            **{f"incidents_90d_severity_{level}": 0 for level in range(1, 6)},
            "incidents_90d_severity_4": 1,
            "gpa_current": 1.7,
            "courses_failing": 2,
            "lowest_course_average": 48,
        }
    }
    row.save()
    catalogue()
    InterventionFactory(student=student, owner=counselor, start_date=dt.date(2025, 9, 22))
    return student


def test_the_print_view_fits_one_or_two_pages_with_the_risk_and_the_domains(
    page, live_server, district, counselor
):
    import pypdf  # a dev dependency (pyproject.toml)

    student = a_full_student(district, counselor)
    log_in(page, live_server, "counselor")
    page.goto(f"{live_server.url}/students/{student.pk}/")
    assert page.get_by_role("button", name="Print").is_visible()
    pdf = page.pdf(format="Letter", print_background=True)
    (SHOTS / "student-print.pdf").write_bytes(pdf)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    # NFKC: the PDF's fonts set "ff" and "fi" as ligatures.
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    for expected in (
        student.district_id,
        "Critical",
        "risk score",
        "Attendance",
        "Behaviour",
        "Course performance",
        "Off track",
        "Courses failing",
        "Open interventions",
        "Recent records",
    ):
        assert expected in text, expected
    for left_out in ("Log out", "Save feedback", "Predictions history", "Add a case note"):
        assert left_out not in text, left_out
    # What the printed pages look like, as a picture to look at (a Letter page is 816 px wide).
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 816, "height": 1056})
    page.screenshot(path=str(SHOTS / "student-print.png"), full_page=True)


def test_the_student_page_reads_at_desktop_and_phone_width(page, live_server, district, counselor):
    student = a_full_student(district, counselor)
    log_in(page, live_server, "counselor")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/students/{student.pk}/")
    page.screenshot(path=str(SHOTS / "student-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/students/{student.pk}/")
    page.screenshot(path=str(SHOTS / "student-phone.png"), full_page=True)
    for name in ("who", "domains", "current-risk"):
        page.locator(f"#{name}").screenshot(path=str(SHOTS / f"student-phone-{name}.png"))
    # The page's content fits the phone: the wide factor table scrolls inside its card.
    overflow = page.evaluate(
        "() => { const m = document.querySelector('main'); return [m.scrollWidth, m.clientWidth]; }"
    )
    assert overflow[0] <= overflow[1], overflow
    factors = page.locator("#factors").bounding_box()
    wrapper = page.locator("#current-risk .table-scroll").bounding_box()
    assert wrapper["x"] + wrapper["width"] <= PHONE["width"]
    assert factors["width"] >= wrapper["width"]  # wider: it scrolls, it does not widen the page
    for name in ("domains", "current-risk", "support"):
        assert page.locator(f"#{name}").is_visible()
