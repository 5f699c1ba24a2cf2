"""A synthetic school district: students, a school year of records, outcomes, and the truth.

Plain numpy, no ORM: `generate_district` writes interchange-format CSV files (and the true risk
file) and returns summary rates. The management command `generate_district` writes them to a
folder or loads them through the normal import.

The model of a student (docs/data-formats.md, "The synthetic district"):
- a persistent baseline propensity `mu` (higher for low-income students and older grades);
- a hidden weekly engagement state: 0 engaged, 1 slipping, 2 disengaged, a Markov chain whose
  transitions depend on `mu`; risk z = mu + STATE_SHIFT[state];
- everything observable follows z: absences, tardies, skipped periods, missing homework and lower
  grades, discipline incidents; so decline precedes the outcome;
- outcomes follow z too: a weekly dropout hazard in high school, a small transfer hazard, and at
  the end of the year failing a course (grades 6-12) or being retained (K-8).
Because the state is Markov, the probability of an adverse outcome after any week given the
state that week is exact (a forward pass); it is written to the truth file, never loaded.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from records.csv_format import ATTENDANCE, DISCIPLINE, GRADES, OUTCOMES, STUDENTS

CHUNK = 2000  # students generated together; fixed, so a seed always gives the same district

STATE_SHIFT = np.array([0.0, 1.2, 2.4])
# The truth file's second column: P(dropping out within this many weeks after the as-of date).
TRUTH_DROPOUT_WEEKS = 15
DROPOUT = f"p_dropout_{7 * TRUTH_DROPOUT_WEEKS}d"
# Transition probabilities from engaged (0), slipping (1), disengaged (2), as functions of mu.
RECOVER_1_TO_0 = 0.12
RECOVER_2_TO_1 = 0.05

GRADE_WEIGHTS = np.array([1.0] * 9 + [1.03, 0.98, 0.93, 0.88])  # K..12
ETHNICITIES = [
    "Hispanic or Latino",
    "White",
    "Black or African American",
    "Asian",
    "Two or more races",
    "American Indian or Alaska Native",
    "Native Hawaiian or Pacific Islander",
]
ETHNICITY_P = [0.28, 0.45, 0.15, 0.05, 0.05, 0.01, 0.01]
FIRST_NAMES = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Charlotte",
    "James",
    "Ava",
    "Mateo",
    "Isabella",
    "Lucas",
    "Mia",
    "Benjamin",
    "Evelyn",
    "Levi",
    "Harper",
    "Ezra",
    "Luna",
    "Sebastian",
    "Camila",
    "Henry",
    "Gianna",
    "Asher",
    "Elizabeth",
    "Jack",
    "Eleanor",
    "Daniel",
    "Ella",
    "Michael",
    "Abigail",
    "Owen",
    "Sofia",
    "Theodore",
    "Avery",
    "Aiden",
    "Scarlett",
    "Samuel",
    "Emily",
    "Joseph",
    "Aria",
    "John",
    "Penelope",
    "David",
    "Chloe",
    "Wyatt",
    "Layla",
    "Santiago",
    "Mila",
    "Jayden",
    "Nora",
    "Julian",
    "Hazel",
    "Carter",
    "Madison",
    "Leo",
    "Ellie",
    "Grayson",
    "Lily",
    "Ezekiel",
    "Nova",
    "Isaiah",
    "Isla",
    "Hudson",
    "Grace",
    "Maverick",
    "Violet",
    "Luca",
    "Aurora",
    "Gabriel",
    "Riley",
    "Anthony",
    "Zoey",
    "Dylan",
    "Willow",
    "Lincoln",
    "Emilia",
    "Jaxon",
    "Stella",
    "Thomas",
    "Zoe",
    "Miles",
    "Victoria",
    "Kai",
    "Hannah",
    "Christopher",
    "Addison",
    "Josiah",
    "Leah",
    "Isaac",
    "Lucy",
    "Andrew",
    "Eliana",
    "Joshua",
    "Ivy",
    "Nathan",
    "Everly",
    "Caleb",
    "Lillian",
    "Ryan",
    "Paisley",
    "Adrian",
    "Elena",
    "Angel",
    "Naomi",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Powell",
    "Jenkins",
    "Perry",
    "Russell",
    "Sullivan",
]
SCHOOL_NAMES = [
    "Lincoln",
    "Washington",
    "Jefferson",
    "Roosevelt",
    "Franklin",
    "Madison",
    "Kennedy",
    "Adams",
    "Jackson",
    "Monroe",
    "Hamilton",
    "Grant",
    "Wilson",
    "Carver",
    "Douglass",
    "Tubman",
    "Chavez",
    "Parks",
    "Keller",
    "Curie",
]
CORE = [("ENG", "English"), ("MATH", "Mathematics"), ("SCI", "Science"), ("SOC", "Social Studies")]
ELECTIVES = [
    ("ART", "Art"),
    ("MUS", "Music"),
    ("PE", "Physical Education"),
    ("SPAN", "Spanish"),
    ("CS", "Computer Science"),
    ("HLTH", "Health"),
]
ELEMENTARY = [("ELA", "English Language Arts"), ("MATH", "Mathematics"), ("SCI", "Science"),
              ("SOC", "Social Studies")]  # fmt: skip
# (assignment type, every how many weeks, score noise)
ASSIGNMENTS = [("homework", 2, 12.0), ("quiz", 3, 9.0), ("test", 6, 10.0), ("project", 18, 8.0)]
INCIDENT_TYPES = {
    1: ["tardiness", "dress code", "cell phone"],
    2: ["disruption", "inappropriate language"],
    3: ["defiance", "fighting", "bullying"],
    4: ["drugs", "weapons", "vandalism"],
    5: ["violence", "safety threat"],
}
SEVERITY_P = np.array([0.45, 0.30, 0.18, 0.05, 0.02])


@dataclass(frozen=True)
class DistrictSpec:
    students: int = 2000
    schools: int = 4
    start: dt.date = dt.date(2025, 8, 18)
    school_days: int = 180
    seed: int = 2025


@dataclass
class DistrictSummary:
    students: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    chronic_absence: int = 0  # students missing 10%+ of their enrolled days
    high_school: int = 0
    high_school_dropouts: int = 0
    secondary: int = 0
    failed: int = 0
    retained: int = 0
    transferred: int = 0
    mid_year_entries: int = 0

    @property
    def rates(self) -> dict[str, float]:
        return {
            "chronic_absence": self.chronic_absence / max(self.students, 1),
            "high_school_dropout": self.high_school_dropouts / max(self.high_school, 1),
            "failing_a_course": self.failed / max(self.students, 1),
            "failing_a_course_secondary": self.failed / max(self.secondary, 1),
            "retained": self.retained / max(self.students, 1),
            "transferred": self.transferred / max(self.students, 1),
            "mid_year_entry": self.mid_year_entries / max(self.students, 1),
        }


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday of a month (n=-1: the last)."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _holidays(year: int) -> set[dt.date]:
    """US school holidays of the school year starting in `year`."""
    days = {
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        _nth_weekday(year, 10, 0, 2),  # Indigenous Peoples' Day
        dt.date(year, 11, 11),  # Veterans Day
        _nth_weekday(year + 1, 1, 0, 3),  # Martin Luther King Jr. Day
        _nth_weekday(year + 1, 2, 0, 3),  # Presidents' Day
        _nth_weekday(year + 1, 5, 0, -1),  # Memorial Day
    }
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    days |= {thanksgiving + dt.timedelta(days=d) for d in (-1, 0, 1)}
    winter = dt.date(year, 12, 22)
    days |= {winter + dt.timedelta(days=d) for d in range(14)}
    spring = _nth_weekday(year + 1, 3, 0, 2)
    days |= {spring + dt.timedelta(days=d) for d in range(5)}
    return days


def school_calendar(start: dt.date, school_days: int) -> list[dt.date]:
    """The first `school_days` weekdays from `start` that are not holidays."""
    holidays = _holidays(start.year if start.month >= 7 else start.year - 1)
    holidays |= _holidays(start.year + (1 if start.month >= 7 else 0))
    days, day = [], start
    while len(days) < school_days:
        if day.weekday() < 5 and day not in holidays:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class _Calendar:
    def __init__(self, spec: DistrictSpec) -> None:
        self.days = school_calendar(spec.start, spec.school_days)
        self.day_text = np.array([d.isoformat() for d in self.days])
        first_monday = self.days[0] - dt.timedelta(days=self.days[0].weekday())
        self.week_of_day = np.array([(d - first_monday).days // 7 for d in self.days])
        self.weeks = int(self.week_of_day[-1]) + 1
        # As-of dates: the Sunday ending each week.
        self.week_end = [first_monday + dt.timedelta(days=7 * w + 6) for w in range(self.weeks)]
        self.last_day = self.days[-1]


def _schools(count: int) -> list[tuple[str, int, int]]:
    """(name, lowest grade, highest grade) for `count` schools."""
    if count <= 1:
        return [(f"{SCHOOL_NAMES[0]} K-12 School", 0, 12)]
    if count == 2:
        return [(f"{SCHOOL_NAMES[0]} Elementary", 0, 5), (f"{SCHOOL_NAMES[1]} Secondary", 6, 12)]
    high = max(1, round(count * 0.2))
    middle = max(1, round(count * 0.2))
    elementary = count - high - middle
    names = iter(SCHOOL_NAMES * (count // len(SCHOOL_NAMES) + 1))
    return (
        [(f"{next(names)} Elementary", 0, 5) for _ in range(elementary)]
        + [(f"{next(names)} Middle", 6, 8) for _ in range(middle)]
        + [(f"{next(names)} High", 9, 12) for _ in range(high)]
    )


class _Writers:
    """Appends DataFrames to the interchange files, header first."""

    def __init__(self, folder: Path, truth_path: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        truth_path.parent.mkdir(parents=True, exist_ok=True)
        self.paths = {
            f.name: folder / f.filename
            for f in (STUDENTS, ATTENDANCE, GRADES, DISCIPLINE, OUTCOMES)
        }
        self.paths["truth"] = truth_path
        self.started: set[str] = set()
        self.rows: dict[str, int] = {}
        self.late: dict[str, list[pd.DataFrame]] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        header = name not in self.started
        self.started.add(name)
        frame.to_csv(
            self.paths[name],
            mode="w" if header else "a",
            header=header,
            index=False,
            lineterminator="\n",
        )
        self.rows[name] = self.rows.get(name, 0) + len(frame)

    def hold_late(self, name: str, frame: pd.DataFrame) -> None:
        """Rows entered late: written after all others, out of date order."""
        self.late.setdefault(name, []).append(frame)

    def close(self) -> None:
        for name, frames in self.late.items():
            for frame in frames:
                self.write(name, frame)


def generate_district(
    spec: DistrictSpec, folder: Path, truth_path: Path, progress=None
) -> DistrictSummary:
    """Write the district's CSV files into `folder` and the true risk file to `truth_path`.

    Deterministic: the same spec gives byte-identical files. Memory is bounded by CHUNK.
    """
    calendar = _Calendar(spec)
    schools = _schools(spec.schools)
    writers = _Writers(folder, truth_path)
    summary = DistrictSummary(students=spec.students)
    for first in range(0, spec.students, CHUNK):
        n = min(CHUNK, spec.students - first)
        rng = np.random.default_rng([spec.seed, first // CHUNK])
        _Chunk(rng, first, n, spec, calendar, schools).write(writers, summary)
        if progress:
            progress(first + n, spec.students)
    writers.close()
    summary.rows = {k: v for k, v in writers.rows.items() if k != "truth"}
    return summary


class _Chunk:
    """CHUNK students: their demographics, hidden states, records and outcomes."""

    def __init__(self, rng, first, n, spec, calendar: _Calendar, schools) -> None:
        self.rng, self.n, self.cal = rng, n, calendar
        self.spec = spec
        self.ids = np.array([f"STU{first + i + 1:07d}" for i in range(n)])
        self.grade = rng.choice(13, size=n, p=GRADE_WEIGHTS / GRADE_WEIGHTS.sum())
        self.low_income = rng.random(n) < 0.45
        self.school = np.empty(n, dtype=object)
        for g in range(13):
            options = [s for s, lo, hi in schools if lo <= g <= hi]
            members = self.grade == g
            self.school[members] = rng.choice(options, size=members.sum())
        self.mu = rng.normal(-0.35 + 0.45 * self.low_income + 0.05 * self.grade, 0.75)
        self._simulate_states()
        self._simulate_exits()

    # --- hidden process ---------------------------------------------------------------------
    def _transitions(self):
        """Per-student 3x3 weekly transition matrices, shape (n, 3, 3)."""
        up01 = _sigmoid(-5.0 + 1.0 * self.mu)
        up12 = _sigmoid(-3.4 + 0.9 * self.mu)
        m = np.zeros((self.n, 3, 3))
        m[:, 0, 1] = up01
        m[:, 0, 0] = 1 - up01
        m[:, 1, 0] = RECOVER_1_TO_0
        m[:, 1, 2] = up12
        m[:, 1, 1] = 1 - RECOVER_1_TO_0 - up12
        m[:, 2, 1] = RECOVER_2_TO_1
        m[:, 2, 2] = 1 - RECOVER_2_TO_1
        return m

    def _simulate_states(self) -> None:
        rng, n, weeks = self.rng, self.n, self.cal.weeks
        self.matrix = self._transitions()
        p1 = _sigmoid(-3.0 + 1.0 * self.mu)
        p2 = _sigmoid(-4.8 + 1.2 * self.mu)
        u = rng.random(n)
        state = np.where(u < p2, 2, np.where(u < p2 + p1, 1, 0))
        states = np.empty((n, weeks), dtype=np.int8)
        for w in range(weeks):
            states[:, w] = state
            cumulative = np.cumsum(self.matrix[np.arange(n), state], axis=1)
            state = (rng.random(n)[:, None] > cumulative).sum(axis=1).clip(0, 2)
        self.states = states
        self.z = self.mu[:, None] + STATE_SHIFT[states]  # (n, weeks)

    def _by_student(self, values: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Per-student values shaped to broadcast against z, which is (n,) or (n, k)."""
        return values.reshape(values.shape + (1,) * (np.ndim(z) - 1))

    def _dropout_hazard(self, z):
        """Weekly probability of dropping out (high school only)."""
        grade = self._by_student(self.grade, z)
        return np.where(grade >= 9, _sigmoid(-9.9 + 1.45 * z + 0.35 * (grade - 9)), 0.0)

    TRANSFER_HAZARD = 0.0009

    def _end_probabilities(self, z_end):
        """(p failing a course, p retained) at the end of the year, given z at the end."""
        grade = self._by_student(self.grade, z_end)
        p_fail = np.where(grade >= 6, _sigmoid(-3.3 + 1.25 * z_end), 0.0)
        p_retain = np.where(grade <= 8, _sigmoid(-5.6 + 1.3 * z_end), 0.0)
        return p_fail, p_retain

    def _simulate_exits(self) -> None:
        rng, n, cal = self.rng, self.n, self.cal
        days = len(cal.days)
        # 4% join after the first week; the rest were enrolled before the year started.
        mid_year = rng.random(n) < 0.04
        low = min(5, days // 4)
        self.enroll_day = np.where(mid_year, rng.integers(low, max(low + 1, int(days * 0.8)), n), 0)
        self.enroll_week = cal.week_of_day[self.enroll_day]
        hazard = self._dropout_hazard(self.z)
        u = rng.random((n, cal.weeks))
        active = np.arange(cal.weeks)[None, :] >= self.enroll_week[:, None]
        dropped = (u < hazard) & active
        transferred = (u >= hazard) & (u < hazard + self.TRANSFER_HAZARD) & active
        event = dropped | transferred
        has_event = event.any(axis=1)
        event_week = np.where(has_event, event.argmax(axis=1), cal.weeks)
        self.exit_type = np.where(
            has_event,
            np.where(
                dropped[np.arange(n), event_week.clip(0, cal.weeks - 1)],
                "dropped_out",
                "transferred",
            ),
            "",
        )
        # The exit day: a school day of the event week; the student's last day is the one before.
        self.exit_day = np.full(n, days)
        for i in np.flatnonzero(has_event):
            week_days = np.flatnonzero(cal.week_of_day == event_week[i])
            week_days = week_days[week_days > self.enroll_day[i]]
            self.exit_day[i] = rng.choice(week_days) if len(week_days) else days
            if not len(week_days):
                self.exit_type[i] = ""
        z_end = self.z[:, -1]
        p_fail, p_retain = self._end_probabilities(z_end)
        stays = self.exit_day == days
        u_end = rng.random(n)
        self.failed = stays & (u_end < p_fail)
        self.retained = stays & ~self.failed & (rng.random(n) < p_retain)
        self.mid_year = mid_year

    # --- truth --------------------------------------------------------------------------------
    def _exit_week(self):
        days = len(self.cal.days)
        return np.where(
            self.exit_day < days,
            self.cal.week_of_day[self.exit_day.clip(0, days - 1)],
            self.cal.weeks,
        )

    def true_risk(self) -> pd.DataFrame:
        """P(an adverse outcome after week w ends | the hidden state in week w), per cohort week.

        Adverse: dropped_out, failed, retained. Exact, by a backward pass over the hidden chain:
        A_w(s) = drop(s) + stay(s) * V_w(s), V_w(s) = sum_s' M[s, s'] A_(w+1)(s'), where A is
        the probability from the start of a week, and V from its end. Outcomes of the year's
        end are dated on its last school day, inside the last week, so V of the last week is 0.
        """
        cal, n, weeks = self.cal, self.n, self.cal.weeks
        z_by_state = self.mu[:, None] + STATE_SHIFT[None, :]  # (n, 3)
        drop = np.stack([self._dropout_hazard(z_by_state[:, s]) for s in range(3)], axis=1)
        stay = 1.0 - drop - self.TRANSFER_HAZARD
        fail, retain = self._end_probabilities(z_by_state)
        p_end = fail + (1 - fail) * retain
        value = np.zeros((n, weeks, 3))
        start_of_week = drop + stay * p_end  # A of the last week
        for w in range(weeks - 2, -1, -1):
            value[:, w] = np.einsum("nij,nj->ni", self.matrix, start_of_week)
            start_of_week = drop + stay * value[:, w]
        # Dropping out within DROPOUT_WEEKS weeks: B_j = P(drop within j weeks from the start of
        # a week), B_j = drop + stay * M B_(j-1), B_0 = 0; nothing is recorded after the year.
        within = [np.zeros((n, 3))]
        for _ in range(TRUTH_DROPOUT_WEEKS):
            within.append(drop + stay * np.einsum("nij,nj->ni", self.matrix, within[-1]))
        exit_week = self._exit_week()
        frames = [pd.DataFrame({"district_id": [], "as_of": [], "p_adverse": [], DROPOUT: []})]
        for w in range(weeks - 1):
            idx = np.flatnonzero((self.enroll_week <= w) & (exit_week > w))
            state = self.states[idx, w]
            ahead = within[min(TRUTH_DROPOUT_WEEKS, weeks - 1 - w)]
            p_dropout = np.einsum("nij,nj->ni", self.matrix[idx], ahead[idx])
            frames.append(
                pd.DataFrame(
                    {
                        "district_id": self.ids[idx],
                        "as_of": cal.week_end[w].isoformat(),
                        "p_adverse": np.round(value[idx, w, state], 6),
                        DROPOUT: np.round(p_dropout[np.arange(len(idx)), state], 6),
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    # --- records ------------------------------------------------------------------------------
    def _enrolled_days(self):
        day = np.arange(len(self.cal.days))[None, :]
        return (day >= self.enroll_day[:, None]) & (day < self.exit_day[:, None])

    def students_frame(self) -> pd.DataFrame:
        rng, n, start = self.rng, self.n, self.spec.start
        overage = rng.random(n) < _sigmoid(-3.6 + 0.8 * self.mu)
        age_days = ((5 + self.grade + overage + rng.random(n)) * 365.25).astype(int)
        dob = [start - dt.timedelta(days=int(a)) for a in age_days]
        years_in = rng.integers(0, self.grade + 1)
        enrolled = [
            self.cal.days[d].isoformat()
            if m
            else start.replace(year=start.year - int(y)).isoformat()
            for d, m, y in zip(self.enroll_day, self.mid_year, years_in, strict=True)
        ]
        has_prior = self.grade >= 1
        prior_gpa = np.round(4.0 * _sigmoid(1.3 - 0.9 * self.mu + rng.normal(0, 0.4, n)), 2)
        prior_att = np.round(1 - _sigmoid(-3.2 + 0.9 * self.mu + rng.normal(0, 0.3, n)), 3)
        return pd.DataFrame(
            {
                "district_id": self.ids,
                "first_name": rng.choice(FIRST_NAMES, n),
                "last_name": rng.choice(LAST_NAMES, n),
                "grade_level": self.grade,
                "date_of_birth": [d.isoformat() for d in dob],
                "gender": rng.choice(["F", "M", "X"], n, p=[0.49, 0.49, 0.02]),
                "ethnicity": rng.choice(ETHNICITIES, n, p=ETHNICITY_P),
                "socioeconomic_status": np.where(self.low_income, "low_income", "not_low_income"),
                "gpa": np.where(has_prior, prior_gpa, np.nan),
                "attendance_rate": np.where(has_prior, prior_att, np.nan),
                "parent_contact": [
                    f"(555) 01{a:02d}-{b:04d}" for a, b in rng.integers(0, [100, 10000], (n, 2))
                ],
                "enrollment_date": enrolled,
                "school": self.school,
            }
        )

    def attendance_frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """The attendance rows, and each student's share of enrolled days missed."""
        rng, cal = self.rng, self.cal
        z_day = self.z[:, cal.week_of_day]  # (n, days)
        enrolled = self._enrolled_days()
        absent_day = rng.random(z_day.shape) < _sigmoid(-3.75 + 1.05 * z_day)
        excused = rng.random(z_day.shape) < _sigmoid(0.2 - 0.6 * z_day)
        tardy_day = rng.random(z_day.shape) < _sigmoid(-3.7 + 0.55 * z_day)
        # 0 present, 1 absent, 2 tardy, 3 excused
        day_status = np.where(absent_day, np.where(excused, 3, 1), np.where(tardy_day, 2, 0))
        missed = (absent_day & enrolled).sum(axis=1) / np.maximum(enrolled.sum(axis=1), 1)
        statuses = np.array(["present", "absent", "tardy", "excused"])
        frames = []
        elementary = self.grade <= 5
        i, d = np.nonzero(enrolled & elementary[:, None])
        frames.append((i, d, np.full(len(i), -1), day_status[i, d]))
        for lowest, periods in ((6, 6), (9, 7)):
            band = (self.grade >= lowest) & (self.grade <= (8 if lowest == 6 else 12))
            i, d = np.nonzero(enrolled & band[:, None])
            i = np.repeat(i, periods)
            d = np.repeat(d, periods)
            p = np.tile(np.arange(1, periods + 1), len(i) // periods)
            z = z_day[i, d]
            whole_day = absent_day[i, d]
            skipped = rng.random(len(i)) < _sigmoid(-5.0 + 1.1 * z)
            late = rng.random(len(i)) < _sigmoid(-4.4 + 0.6 * z)
            status = np.where(
                whole_day, day_status[i, d], np.where(skipped, 1, np.where(late, 2, 0))
            )
            kept = rng.random(len(i)) >= 0.004  # some periods are never recorded
            frames.append((i[kept], d[kept], p[kept], status[kept]))
        i, d, p, status = (np.concatenate(parts) for parts in zip(*frames, strict=True))
        order = np.lexsort((p, d, i))
        i, d, p, status = i[order], d[order], p[order], status[order]
        frame = pd.DataFrame(
            {
                "district_id": self.ids[i],
                "date": cal.day_text[d],
                "status": statuses[status],
                "period": pd.array(np.where(p < 0, 0, p), dtype="Int64"),
            }
        )
        frame.loc[p < 0, "period"] = pd.NA
        return frame, missed

    def grades_frame(self) -> pd.DataFrame:
        rng, cal, n = self.rng, self.cal, self.n
        enrolled = self._enrolled_days()
        ability = rng.normal(84 - 7 * self.mu, 5)
        secondary = self.grade >= 6
        n_courses = np.where(secondary, 4 + rng.integers(0, 4, n), 4)
        electives = np.array([rng.permutation(len(ELECTIVES))[:3] for _ in range(n)])
        frames = []
        for slot in range(7):
            takers = np.flatnonzero(n_courses > slot)
            if not len(takers):
                continue
            grade = self.grade[takers]
            if slot < 4:
                code = np.where(grade >= 6, CORE[slot][0], ELEMENTARY[slot][0])
                name = np.where(grade >= 6, CORE[slot][1], ELEMENTARY[slot][1])
                course_id = np.char.add(
                    np.char.add(code.astype(str), "-"), np.where(grade == 0, "K", grade.astype(str))
                )
                course_name = np.char.add(
                    np.char.add(name.astype(str), " "), np.where(grade == 0, "K", grade.astype(str))
                )
            else:
                pick = electives[takers, slot - 4]
                band = np.where(grade >= 9, "HS", "MS")
                course_id = np.char.add(
                    np.char.add(np.array([ELECTIVES[k][0] for k in pick]), "-"), band
                )
                course_name = np.array([ELECTIVES[k][1] for k in pick])
            difficulty = rng.normal(0, 4)
            weekday = rng.integers(0, 5)
            offset = rng.integers(0, 6)
            for kind, every, noise in ASSIGNMENTS:
                doers = takers[grade >= 3] if kind == "homework" else takers
                keep = np.isin(takers, doers)
                for week in range(cal.weeks):
                    if (week + offset) % every != every - 1:
                        continue
                    days = np.flatnonzero(cal.week_of_day == week)
                    if not len(days):
                        continue
                    day = days[
                        np.abs(np.array([cal.days[x].weekday() for x in days]) - weekday).argmin()
                    ]
                    who = np.flatnonzero(keep & enrolled[takers, day])
                    if not len(who):
                        continue
                    student = takers[who]
                    z = self.z[student, week]
                    value = (
                        ability[student]
                        + difficulty
                        - 6.5 * (z - self.mu[student])
                        + rng.normal(0, noise, len(who))
                    )
                    if kind == "homework":
                        value = np.where(
                            rng.random(len(who)) < _sigmoid(-3.3 + 1.1 * z), 0.0, value
                        )
                    value = np.round(np.clip(value, 0, 100), 1)
                    frames.append(
                        pd.DataFrame(
                            {
                                "district_id": self.ids[student],
                                "course_id": course_id[who],
                                "course_name": course_name[who],
                                "grade_value": value,
                                "grade_letter": _letters(value),
                                "submission_date": cal.day_text[day],
                                "assignment_type": kind,
                                "_order": student,
                            }
                        )
                    )
        frame = pd.concat(frames, ignore_index=True)
        frame = frame.sort_values(
            ["_order", "submission_date", "course_id", "assignment_type"], kind="stable"
        )
        return frame.drop(columns="_order")

    def discipline_frame(self) -> pd.DataFrame:
        rng, cal = self.rng, self.cal
        enrolled = self._enrolled_days()
        band_rate = np.where(self.grade >= 6, 1.7, 0.6)[:, None]
        counts = rng.poisson(np.exp(-4.7 + 0.85 * self.z) * band_rate)
        student, week = np.nonzero(counts)
        repeats = counts[student, week]
        student, week = np.repeat(student, repeats), np.repeat(week, repeats)
        rows = []
        for s, w in zip(student, week, strict=True):
            days = np.flatnonzero((cal.week_of_day == w) & enrolled[s])
            if not len(days):
                continue
            day = rng.choice(days)
            severity = 1 + int(rng.choice(5, p=SEVERITY_P))
            if rng.random() < _sigmoid(-2.6 + 0.6 * self.z[s, w]):
                severity = min(severity + 1, 5)
            kind = str(rng.choice(INCIDENT_TYPES[severity]))
            rows.append((s, day, severity, kind))
        frame = pd.DataFrame(rows, columns=["s", "day", "severity_level", "incident_type"])
        frame = frame.drop_duplicates(["s", "day", "incident_type"]).sort_values(
            ["s", "day", "incident_type"]
        )
        resolution = {
            1: "Warning",
            2: "Detention",
            3: "Parent conference",
            4: "Suspension",
            5: "Suspension and referral",
        }
        return pd.DataFrame(
            {
                "district_id": self.ids[frame["s"].to_numpy(dtype=int)],
                "incident_date": cal.day_text[frame["day"].to_numpy(dtype=int)],
                "severity_level": frame["severity_level"].to_numpy(),
                "incident_type": frame["incident_type"].to_numpy(),
                "description": [f"Recorded {k} incident." for k in frame["incident_type"]],
                "resolution": [resolution[v] for v in frame["severity_level"]],
            }
        )

    def outcomes_frame(self) -> pd.DataFrame:
        cal = self.cal
        last = cal.last_day.isoformat()
        rows = []
        for i in range(self.n):
            if self.exit_type[i]:
                rows.append((self.ids[i], self.exit_type[i], cal.day_text[self.exit_day[i]], None))
            elif self.failed[i]:
                rows.append((self.ids[i], "failed", last, "Failed one or more courses."))
            elif self.retained[i]:
                rows.append((self.ids[i], "retained", last, "Retained in grade."))
            elif self.grade[i] == 12:
                rows.append((self.ids[i], "graduated", last, None))
            else:
                rows.append((self.ids[i], "passed", last, None))
        return pd.DataFrame(rows, columns=["district_id", "outcome_type", "outcome_date", "notes"])

    def write(self, writers: _Writers, summary: DistrictSummary) -> None:
        writers.write("students", self.students_frame())
        attendance, missed = self.attendance_frame()
        late = self.rng.random(len(attendance)) < 0.01  # entered days or weeks later
        writers.write("attendance", attendance[~late])
        writers.hold_late("attendance", attendance[late])
        grades = self.grades_frame()
        late = self.rng.random(len(grades)) < 0.01
        writers.write("grades", grades[~late])
        writers.hold_late("grades", grades[late])
        writers.write("discipline", self.discipline_frame())
        writers.write("outcomes", self.outcomes_frame())
        writers.write("truth", self.true_risk())
        summary.chronic_absence += int((missed >= 0.10).sum())
        high_school = self.grade >= 9
        summary.high_school += int(high_school.sum())
        summary.high_school_dropouts += int(((self.exit_type == "dropped_out") & high_school).sum())
        summary.secondary += int((self.grade >= 6).sum())
        summary.failed += int(self.failed.sum())
        summary.retained += int(self.retained.sum())
        summary.transferred += int((self.exit_type == "transferred").sum())
        summary.mid_year_entries += int(self.mid_year.sum())


def _letters(values: np.ndarray) -> np.ndarray:
    return np.select(
        [values >= 90, values >= 80, values >= 70, values >= 60], ["A", "B", "C", "D"], default="F"
    )
