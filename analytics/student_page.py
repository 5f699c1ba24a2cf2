"""What the student page shows beside the risk: the student's weeks (attendance rate and
incidents of each week, not running totals), the three domain cards (the ABC indicators with the
student's numbers) and what the student's school sends at all.

The week folds and the cards are plain Python over rows already read; the reads are the record
selectors' (records/selectors.py), one statement, whatever the length of the year.
"""

import datetime as dt
from dataclasses import dataclass

from analytics import dashboards
from analytics.features import school_year_end, school_year_start
from mlmodels import baseline, explain
from records import selectors as records

# Factors that say attendance is missing: not a risk where the school sends no attendance at all.
ATTENDANCE_FACTORS = frozenset(
    name for name, kind in explain.MISSING_RECORDS.items() if kind == "attendance"
)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@dataclass(frozen=True)
class Window:
    """The part of a school year the page shows: from its first day to `last`."""

    first: dt.date
    last: dt.date

    @classmethod
    def around(cls, day: dt.date, today: dt.date) -> "Window":
        """The school year of `day`, read up to its last day or today (whichever is first)."""
        return cls(school_year_start(day), min(school_year_end(day), max(day, today)))

    def up_to(self, day: dt.date) -> "Window":
        return Window(self.first, min(self.last, day))

    @property
    def last_30(self) -> dt.date:
        return self.last - dt.timedelta(days=29)


@dataclass(frozen=True)
class Attendance:
    """The student's attendance in the window, as EduPulse computes it from the records."""

    weeks: list[tuple[dt.date, float | None]]  # (Monday, rate of that week); None: no records
    days: int  # recorded school days this school year
    rate_year: float | None
    days_30: int
    rate_30: float | None


def attendance(rows: list[tuple], window: Window) -> Attendance:
    """Fold (date, records, attended) day rows into week rates and the year's and last 30 days'
    rates. A week without records has no rate (a holiday or no data), never 0%."""
    weeks: dict[dt.date, list[int]] = {}
    year, last_30 = [0, 0], [0, 0]
    days_30 = 0
    for day, count, attended in rows:
        cell = weeks.setdefault(monday(day), [0, 0])
        cell[0] += count
        cell[1] += attended
        year[0] += count
        year[1] += attended
        if day >= window.last_30:
            days_30 += 1
            last_30[0] += count
            last_30[1] += attended
    return Attendance(
        weeks=[(week, attended / count) for week, (count, attended) in sorted(weeks.items())],
        days=len(rows),
        rate_year=year[1] / year[0] if year[0] else None,
        days_30=days_30,
        rate_30=last_30[1] / last_30[0] if last_30[0] else None,
    )


def incident_weeks(rows: list[tuple], window: Window) -> list[tuple[dt.date, int]]:
    """Incidents in each week of the window (every week, 0 included), from (date, count) rows."""
    counts: dict[dt.date, int] = {}
    for day, count in rows:
        counts[monday(day)] = counts.get(monday(day), 0) + count
    week, out = monday(window.first), []
    while week <= window.last:
        out.append((week, counts.get(week, 0)))
        week += dt.timedelta(weeks=1)
    return out


@dataclass(frozen=True)
class Weeks:
    window: Window
    attendance: Attendance
    incidents: list[tuple[dt.date, int]]
    incidents_total: int
    attendance_recorded_at_school: bool


def student_weeks(student, day: dt.date, today: dt.date) -> Weeks:
    """The student's weeks in the school year of `day`: one statement (the days with attendance
    and with incidents), and (only for a student with no attendance in the year) one EXISTS
    asking whether the school sends attendance."""
    read = Window.around(day, today)
    days, incidents = records.records_by_day(
        student_id=student.pk, first=read.first, last=read.last
    )
    # Shown up to the newest of the risk's date and the student's records: a past school year
    # is not drawn out to its last day with months of nothing (nor is "the last 30 days" empty).
    window = read.up_to(max([day, *(d for d, *_ in days), *(d for d, _ in incidents)]))
    recorded = bool(days) or not student.school
    if not recorded:
        recorded = records.school_sends_attendance(
            school=student.school, first=read.first, last=read.last
        )
    weeks = incident_weeks(incidents, window)
    return Weeks(
        window=window,
        attendance=attendance(days, window),
        incidents=weeks,
        incidents_total=sum(n for _, n in weeks),
        attendance_recorded_at_school=recorded,
    )


def without_attendance_factors(factors: list[dict]) -> list[dict]:
    """The factors without those saying attendance records are missing: for a student whose
    school sends no attendance, that is a fact about the data (said once on the page), not a
    risk of the student."""
    return [
        f for f in factors if not (f.get("factor") in ATTENDANCE_FACTORS and f.get("value") is None)
    ]


# --- Domain cards ---------------------------------------------------------------------------------


def _pct(value) -> str:
    return "—" if value is None else f"{value:.0%}"


def _fixed(value, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _count(value) -> str:
    return "—" if value is None else f"{round(value)}"


def domain_cards(vector, attendance_recorded: bool = True) -> list[dict]:
    """The three ABC indicators of a feature vector (dashboards.domain_status, the dashboard
    rows' code), each with the rule that sets it (dashboards.domain_rules) and the student's own
    numbers: [{domain, label, status, word, rule, numbers: [(words, value)]}]."""
    cards = dashboards.domain_status([vector])[0]
    rules = dict(dashboards.domain_rules())
    f = vector.get("features") if isinstance(vector, dict) else None
    f = f if isinstance(f, dict) else {}

    def num(name):
        return dashboards._float(f.get(name))

    severities = [num(f"incidents_90d_severity_{level}") for level in range(1, 6)]
    known = [s for s in severities if s is not None]
    serious_from = baseline.thresholds()["severity_at_least"]
    serious = [s for s in severities[serious_from - 1 :] if s is not None]
    numbers = {
        "attendance": [
            ("Attendance this school year", _pct(num("attendance_rate_ytd"))),
            ("Attendance, last 30 days", _pct(num("attendance_rate_30d"))),
            ("Days absent, last 30 days", _count(num("absences_30d"))),
        ],
        "behavior": [
            ("Incidents this school year", _count(num("incidents_ytd"))),
            ("Incidents, last 90 days", _count(sum(known)) if known else "—"),
            (
                f"Of severity {serious_from} or more, last 90 days",
                _count(sum(serious)) if serious else "—",
            ),
        ],
        "course": [
            ("GPA this school year", _fixed(num("gpa_current"), 2)),
            ("Courses failing", _count(num("courses_failing"))),
            ("Lowest course average", _fixed(num("lowest_course_average"), 0)),
        ],
    }
    out = []
    for card in cards:
        status = card["status"]
        word = {"off": "Off track", "on": "On track", "none": "No data"}[status]
        if card["domain"] == "attendance" and status == "none" and not attendance_recorded:
            word = "Not recorded at this school"
        out.append(
            {
                **card,
                "word": word,
                "rule": rules.get(card["label"], ""),
                "numbers": numbers[card["domain"]],
            }
        )
    return out
