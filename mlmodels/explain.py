"""Risk factors in plain words: what pushes a student's risk up, with the student's own numbers
and what to do about it (docs/model.md, "Risk factors and recommendations").

A factor is {"factor", "weight", "value", "description", "recommendation"}. For a learned model,
the weights come from XGBoost's per-student feature contributions (`pred_contribs`, TreeSHAP, in
log-odds): only features that push this student's risk up are factors, and each weight is its
share of the total upward push. Inputs that are not about the student's own conduct or results
(grade level, weeks of data, data quality) never become factors; demographics are not inputs.

A push is a reason to act only where the student's own value says something is wrong
(`CONCERNS`): a model can push risk up for a student with no tardies (because the rest of the
picture is worse than usual), but "arrived late on 0 days" is not a reason to call home. A
missing value is a factor only where it means missing records (no attendance or no grades);
no incident in a year (days_since_last_incident missing) is never a factor.
"""

import math
from collections.abc import Callable

import numpy as np

from analytics import district_settings

MAX_FACTORS = 5
MIN_CONTRIBUTION = 0.01  # log-odds: smaller pushes are noise, not a reason
NOT_FACTORS = frozenset({"grade_level", "weeks_of_data", "data_quality"})


def _n(value: float) -> int:
    return round(value)


def _days(value: float) -> str:
    n = _n(value)
    return f"{n} school day{'s' * (n != 1)}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


ATTENDANCE_HELP = (
    "Contact the family this week to discuss attendance barriers; agree on an attendance plan."
)
ACADEMIC_HELP = (
    "Arrange tutoring and a check-in with the student's teachers on the courses at risk."
)
BEHAVIOR_HELP = "Set up a behavior support plan with a mentor; follow up with the family."
SERIOUS_BEHAVIOR_HELP = (
    "Hold a family meeting and consider a counseling referral and a behavior intervention plan."
)

# feature: (description of the student's value, recommendation). Descriptions read as sentences.
FACTORS: dict[str, tuple[Callable[[float], str], str]] = {
    "attendance_rate_ytd": (
        lambda v: f"Attended {v:.0%} of class time this school year",
        ATTENDANCE_HELP,
    ),
    "attendance_rate_30d": (
        lambda v: f"Attended {v:.0%} of class time in the last 30 days",
        ATTENDANCE_HELP,
    ),
    "absences_30d": (lambda v: f"Missed {_days(v)} in the last 30 days", ATTENDANCE_HELP),
    "excused_absences_30d": (
        lambda v: f"Had {_plural(_n(v), 'excused absence day')} in the last 30 days",
        "Check for health or family circumstances behind the absences; involve the school nurse "
        "or social worker.",
    ),
    "tardies_30d": (
        lambda v: f"Arrived late on {_plural(_n(v), 'day')} in the last 30 days",
        "Talk with the student and family about mornings and transport; set an arrival goal.",
    ),
    "longest_absence_streak": (
        lambda v: f"Missed {_days(v)} in a row this school year",
        "Call home on the first day of any new absence; a home visit if the family cannot be "
        "reached.",
    ),
    "gpa_current": (lambda v: f"Has a GPA of {v:.2f} this school year", ACADEMIC_HELP),
    "gpa_change_6w": (
        lambda v: f"GPA changed by {v:+.2f} over the last 6 weeks",
        "Find out what changed in recent weeks; an academic check-in with teachers.",
    ),
    "gpa_change_ytd": (
        lambda v: f"GPA changed by {v:+.2f} since the start of the school year",
        ACADEMIC_HELP,
    ),
    "courses_failing": (
        lambda v: (
            f"Is failing {_plural(_n(v), 'course')} "
            f"(average below {district_settings.current().pass_mark:g})"
        ),
        "Make a recovery plan for the failing courses with their teachers; tutoring.",
    ),
    "lowest_course_average": (
        lambda v: f"Has a lowest course average of {v:.0f}",
        "Targeted support in the weakest course.",
    ),
    "course_standing_mean": (
        lambda v: (
            f"Averages {abs(v):.1f} standard deviations below classmates' marks across courses"
        ),
        ACADEMIC_HELP,
    ),
    "course_standing_lowest": (
        lambda v: (
            f"Is {abs(v):.1f} standard deviations below classmates' marks in the weakest course"
        ),
        "Targeted support in the weakest course, compared with how classmates are doing there.",
    ),
    "missing_assignments_30d": (
        lambda v: f"Did not hand in {_plural(_n(v), 'assignment')} in the last 30 days",
        "Agree on a homework plan with teachers and check it weekly.",
    ),
    "incidents_ytd": (
        lambda v: f"Had {_plural(_n(v), 'discipline incident')} this school year",
        BEHAVIOR_HELP,
    ),
    **{
        f"incidents_90d_severity_{level}": (
            lambda v, level=level: (
                f"Had {_plural(_n(v), f'severity-{level} incident')} in the last 90 days"
            ),
            SERIOUS_BEHAVIOR_HELP if level >= 3 else BEHAVIOR_HELP,
        )
        for level in range(1, 6)
    },
    "days_since_last_incident": (
        lambda v: f"Had a discipline incident {_plural(_n(v), 'day')} ago",
        "Follow up on the recent incident with a restorative conversation.",
    ),
    "overage_years": (
        lambda v: f"Is {v:.1f} years older than usual for the grade",
        "Review credits and options: an accelerated or alternative pathway to graduation.",
    ),
    "mid_year_entry": (
        lambda v: "Joined the school during the school year",
        "Transition support: a peer mentor and a review of records from the previous school.",
    ),
}


# feature: what a person reads where the feature is named (a chip, a filter, a legend).
LABELS: dict[str, str] = {
    "attendance_rate_ytd": "Attendance this school year",
    "attendance_rate_30d": "Attendance, last 30 days",
    "absences_30d": "Days absent, last 30 days",
    "excused_absences_30d": "Excused absences, last 30 days",
    "tardies_30d": "Days late, last 30 days",
    "longest_absence_streak": "Longest run of absences",
    "gpa_current": "GPA this school year",
    "gpa_change_6w": "GPA change, last 6 weeks",
    "gpa_change_ytd": "GPA change this school year",
    "courses_failing": "Courses failing",
    "lowest_course_average": "Lowest course average",
    "course_standing_mean": "Standing among classmates",
    "course_standing_lowest": "Standing in the weakest course",
    "missing_assignments_30d": "Missing assignments, last 30 days",
    "incidents_ytd": "Discipline incidents this school year",
    **{
        f"incidents_90d_severity_{level}": f"Severity-{level} incidents, last 90 days"
        for level in range(1, 6)
    },
    "days_since_last_incident": "Recent discipline incident",
    "overage_years": "Older than usual for the grade",
    "mid_year_entry": "Joined during the school year",
    "grade_level": "Grade level",
    "weeks_of_data": "Weeks of records",
    "data_quality": "Completeness of records",
}


def label(name: str) -> str:
    """The words for a feature's code name (a name without words is shown plainly, not raw)."""
    return LABELS.get(name) or name.replace("_", " ").capitalize()


def _at_least(limit: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda v: v >= limit


# feature: where the student's own value states a concern (values as arrays). A feature not
# listed here (a rate, a GPA, an average, days since an incident) is a concern whenever the
# model says it pushes the risk up: its words state the student's level plainly.
COUNTED = (
    "absences_30d", "excused_absences_30d", "tardies_30d", "longest_absence_streak",
    "courses_failing", "missing_assignments_30d", "incidents_ytd", "mid_year_entry",
    *(f"incidents_90d_severity_{level}" for level in range(1, 6)),
)  # fmt: skip
CONCERNS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    **dict.fromkeys(COUNTED, _at_least(0.5)),  # at least one (as the words round it)
    "overage_years": _at_least(1.0),  # over-age for grade (docs/features.md)
    "gpa_change_6w": lambda v: v <= -0.005,  # a drop, as the words round it
    "gpa_change_ytd": lambda v: v <= -0.005,
    # Below the course's typical mark by at least half (a quarter, on average) of its spread.
    "course_standing_lowest": lambda v: v <= -0.5,
    "course_standing_mean": lambda v: v <= -0.25,
}

# A missing value means missing records for these (what to do about it), and nothing for others.
MISSING = {
    "attendance": "Check that attendance is being recorded for this student.",
    "gpa": "No grades are recorded yet: ask the student's teachers how the student is doing.",
}
MISSING_RECORDS = {
    "attendance_rate_ytd": "attendance",
    "attendance_rate_30d": "attendance",
    "absences_30d": "attendance",
    "excused_absences_30d": "attendance",
    "tardies_30d": "attendance",
    "longest_absence_streak": "attendance",
    "gpa_current": "gpa",
    # Not gpa_change_6w / gpa_change_ytd: missing with grades but a short history (no grades
    # older than 6 weeks), which is no reason to act.
    "courses_failing": "gpa",
    "lowest_course_average": "gpa",
    "missing_assignments_30d": "gpa",
}


# What exactly is missing when a feature has no value (never a feature's code name).
MISSING_WORDS = {
    "attendance_rate_ytd": "No attendance recorded this school year",
    "attendance_rate_30d": "No attendance recorded in the last 30 days",
    "absences_30d": "No attendance recorded in the last 30 days",
    "excused_absences_30d": "No attendance recorded in the last 30 days",
    "tardies_30d": "No attendance recorded in the last 30 days",
    "longest_absence_streak": "No attendance recorded this school year",
    "gpa_current": "No grades recorded this school year",
    "gpa_change_6w": "No grades older than 6 weeks this school year, so no 6-week change",
    "gpa_change_ytd": "No grades from the first 4 weeks of the school year, so no change since",
    "courses_failing": "No grades recorded this school year",
    "lowest_course_average": "No grades recorded this school year",
    "missing_assignments_30d": "No grades recorded this school year",
    "course_standing_mean": "No course with enough marks this school year to compare with",
    "course_standing_lowest": "No course with enough marks this school year to compare with",
}


def concerning(name: str, values: np.ndarray, expected: dict | None = None) -> np.ndarray:
    """Where `values` of feature `name` are a reason to act: a concerning value, or missing
    records where they were expected. `expected` ({"attendance": rows, "gpa": rows}, booleans;
    missing: everywhere) says where a kind of record was expected: a school that sends no
    attendance at all is a fact about the data, not about its students."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    with np.errstate(invalid="ignore"):
        concern = CONCERNS[name](values) if name in CONCERNS else np.ones(values.shape, bool)
    kind = MISSING_RECORDS.get(name)
    if kind is None:
        return np.where(missing, False, concern)
    wanted = (expected or {}).get(kind)
    return np.where(missing, True if wanted is None else np.asarray(wanted, bool), concern)


def factor(name: str, value: float | None, weight: float) -> dict:
    """One factor: the feature, its weight, the student's value, words and what to do."""
    if value is None or math.isnan(float(value)):
        description = MISSING_WORDS.get(name) or f"No records for {label(name).lower()}"
        recommendation = MISSING[MISSING_RECORDS.get(name, "attendance")]
        value = None
    else:
        describe, recommendation = FACTORS[name]
        description = describe(float(value))
        value = round(float(value), 4)
    return {
        "factor": name,
        "label": label(name),
        "weight": round(float(weight), 4),
        "value": value,
        "description": description,
        "recommendation": recommendation,
    }


def from_contributions(
    contributions: np.ndarray,
    values: np.ndarray,
    names: tuple[str, ...],
    expected: dict | None = None,
) -> list[list[dict]]:
    """Per row, the factors from a (rows, inputs + 1) pred_contribs matrix (last column: bias);
    `expected` as in `concerning`, per row."""
    explainable = np.column_stack(
        [
            concerning(n, values[:, i], expected) & (n not in NOT_FACTORS and n in FACTORS)
            for i, n in enumerate(names)
        ]
    )
    pushes = np.where(explainable, contributions[:, : len(names)], 0.0)
    out = []
    for row, push in enumerate(pushes):
        up = np.flatnonzero(push > MIN_CONTRIBUTION)
        total = push[up].sum()
        top = up[np.argsort(-push[up], kind="stable")][:MAX_FACTORS]
        out.append([factor(names[i], values[row, i], push[i] / total) for i in top])
    return out


BEHAVIOR_FACTORS = (
    "days_since_last_incident",
    "incidents_ytd",
    *(f"incidents_90d_severity_{level}" for level in range(1, 6)),
)


def name_incidents(factors: list[list[dict]], latest: dict, serious_from: int) -> None:
    """Name the incident behind each behavior factor (in place): its type, severity and date.
    `latest` maps a row's position to (date, severity, type) of the student's latest incident
    up to T (the most severe that day); `serious_from` is the district's serious severity."""
    for position, row in enumerate(factors):
        incident = latest.get(position)
        if incident is None:
            continue
        day, severity, kind = incident
        what = f"{kind or 'incident of unrecorded type'}"
        if severity is not None:
            what += f", severity {severity}"
        for item in row:
            if item["factor"] not in BEHAVIOR_FACTORS or item["value"] is None:
                continue
            named = f"latest: {what}, on {day.isoformat()}"
            if item["factor"] == "days_since_last_incident":
                item["description"] = f"{item['description']} ({named})"
                if severity is not None and severity >= serious_from:
                    item["recommendation"] = SERIOUS_BEHAVIOR_HELP
            else:
                item["description"] = f"{item['description']} ({named})"
