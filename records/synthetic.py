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

from records.csv_format import ATTENDANCE, DISCIPLINE, ENROLLMENTS, GRADES, OUTCOMES, STUDENTS

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
class Quirks:
    """What real districts' files look like (issue 12). Each changes only what the files say,
    never the hidden process: a district with quirks has the same students, records and
    outcomes as the same spec without them, so a model's quality can be compared on both."""

    # The school (its position in the district's list of schools) that sends no attendance.
    no_attendance_school: int | None = None
    # A course code (e.g. "MATH") graded `harsh_shift` points lower in every grade and year.
    harsh_course: str | None = None
    harsh_shift: float = 20.0
    # More than 1: every quiz is given as this many quizzes on the same day, and grades.csv
    # carries an assignment_id column (the gradebook entry's id) that tells them apart.
    quizzes_per_day: int = 1
    # The district's pass mark: marks are mapped piecewise-linearly so that 60 becomes this
    # (and 0 and 100 stay), as are the letter bands. The district settings must say the same.
    pass_mark: float = 60.0

    @property
    def changes_grades(self) -> bool:
        return bool(self.harsh_course) or self.quizzes_per_day > 1 or self.pass_mark != 60.0

    def mark(self, values: np.ndarray) -> np.ndarray:
        """A mark on the usual 60-to-pass scale, on this district's scale."""
        values = np.asarray(values, dtype=float)
        if self.pass_mark == 60.0:
            return values
        low = values * self.pass_mark / 60.0
        high = self.pass_mark + (values - 60.0) * (100.0 - self.pass_mark) / 40.0
        return np.round(np.where(values < 60.0, low, high), 1)

    def letter_bands(self) -> list[dict]:
        """The district settings' letter bands for this scale (analytics.DistrictSettings)."""
        bands = (("A", 90, 4.0), ("B", 80, 3.0), ("C", 70, 2.0), ("D", 60, 1.0))
        return [
            {"letter": letter, "min": float(self.mark(np.array([low]))[0]), "points": points}
            for letter, low, points in bands
        ]


@dataclass(frozen=True)
class DistrictSpec:
    students: int = 2000  # in the first school year; later years keep about as many
    schools: int = 4
    start: dt.date = dt.date(2025, 8, 18)  # the first school day of the first year
    school_days: int = 180
    seed: int = 2025
    years: int = 1  # consecutive school years, each starting on the same weekday near `start`
    # Records, outcomes and enrollments after this day are left out: the current year in
    # progress (None: every year is complete).
    through: dt.date | None = None
    quirks: Quirks = Quirks()


@dataclass
class YearSummary:
    """One school year's counts, per grade band where the outcome belongs to one."""

    school_year: str
    students: int = 0
    elementary: int = 0  # K-5
    middle: int = 0  # 6-8
    high_school: int = 0  # 9-12
    chronic_absence: int = 0  # students missing 10%+ of their enrolled days
    failed: int = 0  # grades 6-12
    retained: int = 0  # K-8
    retained_elementary: int = 0
    dropouts: int = 0  # grades 9-12
    graduated: int = 0
    transferred: int = 0
    mid_year_entries: int = 0

    @property
    def rates(self) -> dict[str, float]:
        secondary = self.middle + self.high_school
        return {
            "chronic_absence": self.chronic_absence / max(self.students, 1),
            "high_school_dropout": self.dropouts / max(self.high_school, 1),
            "failing_a_course_6_12": self.failed / max(secondary, 1),
            "retained_k_8": self.retained / max(self.elementary + self.middle, 1),
            "transferred": self.transferred / max(self.students, 1),
            "mid_year_entry": self.mid_year_entries / max(self.students, 1),
        }


@dataclass
class DistrictSummary:
    students: int = 0  # every student in the files
    rows: dict[str, int] = field(default_factory=dict)
    years: list[YearSummary] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(y, name) for y in self.years)

    @property
    def rates(self) -> dict[str, float]:
        """The rates over every student-year (the first year's alone for a one-year district)."""
        total = YearSummary("all")
        for name in YearSummary.__dataclass_fields__:
            if name != "school_year":
                setattr(total, name, self._total(name))
        rates = total.rates
        rates["failing_a_course"] = total.failed / max(total.students, 1)
        rates["retained"] = total.retained / max(total.students, 1)
        return rates


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


def year_start(first: dt.date, year: int) -> dt.date:
    """The first school day of year `year` (0 is the first): the same weekday as `first`, in the
    week of its anniversary."""
    day = first.replace(year=first.year + year)
    return day - dt.timedelta(days=(day.weekday() - first.weekday()) % 7)


def school_year_label(first_day: dt.date) -> str:
    """'2025-2026' for a year whose first school day is in the second half of 2025."""
    begins = first_day.year if first_day.month >= 7 else first_day.year - 1
    return f"{begins}-{begins + 1}"


class _Calendar:
    def __init__(self, start: dt.date, school_days: int) -> None:
        self.label = school_year_label(start)
        self.days = school_calendar(start, school_days)
        self.day_text = np.array([d.isoformat() for d in self.days])
        first_monday = self.days[0] - dt.timedelta(days=self.days[0].weekday())
        self.week_of_day = np.array([(d - first_monday).days // 7 for d in self.days])
        self.weeks = int(self.week_of_day[-1]) + 1
        # As-of dates: the Sunday ending each week.
        self.week_end = [first_monday + dt.timedelta(days=7 * w + 6) for w in range(self.weeks)]
        self.last_day = self.days[-1]


def school_list(count: int) -> list[tuple[str, int, int]]:
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
            for f in (STUDENTS, ENROLLMENTS, ATTENDANCE, GRADES, DISCIPLINE, OUTCOMES)
        }
        self.paths["truth"] = truth_path
        self.started: set[str] = set()
        self.rows: dict[str, int] = {}
        self.late: dict[str, list[pd.DataFrame]] = {}

    def write(self, name: str, frame: pd.DataFrame) -> None:
        header = name not in self.started
        self.started.add(name)
        text = _plain_csv(frame)
        if text is None:  # a cell that needs quoting: pandas' writer
            frame.to_csv(
                self.paths[name],
                mode="w" if header else "a",
                header=header,
                index=False,
                lineterminator="\n",
            )
        else:
            with self.paths[name].open("w" if header else "a", encoding="utf-8") as out:
                if header:
                    out.write(",".join(frame.columns) + "\n")
                out.write(text)
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

    Deterministic: the same spec gives byte-identical files. Memory is bounded by CHUNK: each
    chunk of students is followed through every year (with the students who join it) before
    the next chunk starts.
    """
    calendars = [_Calendar(year_start(spec.start, y), spec.school_days) for y in range(spec.years)]
    schools = school_list(spec.schools)
    writers = _Writers(folder, truth_path)
    summary = DistrictSummary(years=[YearSummary(c.label) for c in calendars])
    for first in range(0, spec.students, CHUNK):
        n = min(CHUNK, spec.students - first)
        rng = np.random.default_rng([spec.seed, first // CHUNK])
        population = _Population(rng, first, n, spec, schools)
        for y, calendar in enumerate(calendars):
            if spec.through is not None and calendar.days[0] > spec.through:
                break
            year = population.school_year(y, calendar)
            year.write(writers, summary.years[y], spec.through)
            last = y == spec.years - 1 or (
                spec.through is not None and calendar.last_day >= spec.through
            )
            population.after(year, spec.through, last=last)
            if last:
                break
        summary.students += population.write_students(writers, spec.through)
        if progress:
            progress(first + n, spec.students)
    writers.close()
    summary.years = [y for y in summary.years if y.students]
    summary.rows = {k: v for k, v in writers.rows.items() if k != "truth"}
    return summary


# Over the summer a student's engagement partly resets: this share keeps last June's state, the
# others start the year in a state drawn afresh from their propensity.
SUMMER_KEEP = 0.5
KINDERGARTEN_SHARE = GRADE_WEIGHTS[0] / GRADE_WEIGHTS.sum()  # of the first year's students
NEW_AT_START_SHARE = 0.03  # students joining in grades 1-12 at a later year's start
MID_YEAR_SHARE = 0.04  # students joining after the first week, every year


class _Population:
    """A chunk's students over the years: who they are, their grade, school and hidden state.

    Arrays grow as students join (a kindergarten class and transfers every year); a student
    who leaves (dropped out, transferred, graduated) stays in the arrays, no longer active.
    """

    def __init__(self, rng, first, n, spec: DistrictSpec, schools) -> None:
        self.rng, self.first, self.n0, self.spec, self.schools = rng, first, n, spec, schools
        self.ids = np.array([], dtype=object)
        self.grade = np.array([], dtype=int)
        self.low_income = np.array([], dtype=bool)
        self.mu = np.array([], dtype=float)
        self.zone = np.array([], dtype=int)
        self.state = np.array([], dtype=np.int8)
        self.active = np.array([], dtype=bool)
        self.fresh = np.array([], dtype=bool)  # no state carried over yet
        self.school = np.array([], dtype=object)
        self.overage = np.array([], dtype=bool)
        self.joined = np.array([], dtype=object)  # first day in the district (ISO text)
        self.born = np.array([], dtype=object)
        self.enrolled_any = np.array([], dtype=bool)  # has an enrollment row within `through`

    def _add(self, ids, grade, year_first_day: dt.date, joined) -> np.ndarray:
        rng, k = self.rng, len(ids)
        low_income = rng.random(k) < 0.45
        mu = rng.normal(-0.35 + 0.45 * low_income + 0.05 * grade, 0.75)
        overage = rng.random(k) < _sigmoid(-3.6 + 0.8 * mu)
        age_days = ((5 + grade + overage + rng.random(k)) * 365.25).astype(int)
        born = [(year_first_day - dt.timedelta(days=int(a))).isoformat() for a in age_days]
        at = len(self.ids)
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=object)])
        self.grade = np.concatenate([self.grade, grade])
        self.low_income = np.concatenate([self.low_income, low_income])
        self.mu = np.concatenate([self.mu, mu])
        self.zone = np.concatenate([self.zone, rng.integers(0, 1000, k)])
        self.state = np.concatenate([self.state, np.zeros(k, dtype=np.int8)])
        self.active = np.concatenate([self.active, np.ones(k, dtype=bool)])
        self.fresh = np.concatenate([self.fresh, np.ones(k, dtype=bool)])
        self.school = np.concatenate([self.school, np.empty(k, dtype=object)])
        self.overage = np.concatenate([self.overage, overage])
        self.joined = np.concatenate([self.joined, np.asarray(joined, dtype=object)])
        self.born = np.concatenate([self.born, np.asarray(born, dtype=object)])
        self.enrolled_any = np.concatenate([self.enrolled_any, np.zeros(k, dtype=bool)])
        added = np.arange(at, at + k)
        self._place(added)
        return added

    def _place(self, members: np.ndarray) -> None:
        """Each student's school for their grade: the same zone always picks the same school
        among those teaching the grade, so a student changes school only between levels."""
        for g in range(13):
            options = [s for s, lo, hi in self.schools if lo <= g <= hi]
            who = members[self.grade[members] == g]
            if len(who):
                self.school[who] = np.array(options, dtype=object)[self.zone[who] % len(options)]

    def school_year(self, y: int, cal: _Calendar) -> "_Year":
        rng, n0 = self.rng, self.n0
        start = cal.days[0]
        if y == 0:
            grade = rng.choice(13, size=n0, p=GRADE_WEIGHTS / GRADE_WEIGHTS.sum())
            ids = [f"STU{self.first + i + 1:07d}" for i in range(n0)]
            years_in = rng.integers(0, grade + 1)
            joined = [start.replace(year=start.year - int(k)).isoformat() for k in years_in]
            added = self._add(ids, grade, start, joined)
            mid_year = rng.random(n0) < MID_YEAR_SHARE
            enroll_day = np.zeros(len(self.ids), dtype=int)
        else:
            chunk = self.first // CHUNK
            sizes = [
                round(n0 * KINDERGARTEN_SHARE),
                round(n0 * NEW_AT_START_SHARE),
                round(n0 * MID_YEAR_SHARE),
            ]
            grade = np.concatenate(
                [
                    np.zeros(sizes[0], dtype=int),
                    rng.integers(1, 13, sizes[1] + sizes[2]),
                ]
            )
            ids = [f"STU{y}{chunk:03d}{k:04d}" for k in range(len(grade))]
            added = self._add(ids, grade, start, [start.isoformat()] * len(grade))
            mid_year = np.zeros(len(added), dtype=bool)
            mid_year[sizes[0] + sizes[1] :] = True
            enroll_day = np.zeros(len(self.ids), dtype=int)
        days = len(cal.days)
        low = min(5, days // 4)
        late = added[mid_year]
        enroll_day[late] = rng.integers(low, max(low + 1, int(days * 0.8)), len(late))
        for i in late:
            self.joined[i] = cal.days[enroll_day[i]].isoformat()
        members = np.flatnonzero(self.active)
        return _Year(rng, self, members, enroll_day[members], np.isin(members, late), cal)

    def after(self, year: "_Year", through: dt.date | None, *, last: bool) -> None:
        """The summer: leavers and graduates go; the others move up a grade unless retained.
        After the `last` year the students keep that year's grade and school (their current
        values)."""
        members = year.members
        entered = year.cal.day_text[year.enroll_day]
        known = members if through is None else members[entered <= through.isoformat()]
        self.enrolled_any[known] = True
        if last:
            return
        self.state[members] = year.states[:, -1]
        self.fresh[members] = False
        left = (year.exit_type != "") | year.graduated
        self.active[members[left]] = False
        stay = members[~left]
        promoted = stay[~year.retained[~left] & ~year.repeats[~left]]
        self.grade[promoted] += 1
        # Propensity drifts a little, and grows with age as in the first year's draw.
        self.mu[promoted] += 0.05
        self.mu[stay] += self.rng.normal(0, 0.1, len(stay))
        self._place(stay)

    def write_students(self, writers: "_Writers", through: dt.date | None) -> int:
        """students.csv with each student's current grade and school: those of their latest
        enrollment (within `through`)."""
        rng, n = self.rng, len(self.ids)
        keep = self.enrolled_any
        prior_gpa = np.round(4.0 * _sigmoid(1.3 - 0.9 * self.mu + rng.normal(0, 0.4, n)), 2)
        prior_att = np.round(1 - _sigmoid(-3.2 + 0.9 * self.mu + rng.normal(0, 0.3, n)), 3)
        has_prior = self.grade >= 1
        frame = pd.DataFrame(
            {
                "district_id": self.ids,
                "first_name": rng.choice(FIRST_NAMES, n),
                "last_name": rng.choice(LAST_NAMES, n),
                "grade_level": self.grade,
                "date_of_birth": self.born,
                "gender": rng.choice(["F", "M", "X"], n, p=[0.49, 0.49, 0.02]),
                "ethnicity": rng.choice(ETHNICITIES, n, p=ETHNICITY_P),
                "socioeconomic_status": np.where(self.low_income, "low_income", "not_low_income"),
                "gpa": np.where(has_prior, prior_gpa, np.nan),
                "attendance_rate": np.where(has_prior, prior_att, np.nan),
                "parent_contact": [
                    f"(555) 01{a:02d}-{b:04d}" for a, b in rng.integers(0, [100, 10000], (n, 2))
                ],
                "enrollment_date": self.joined,
                "school": self.school,
            }
        )
        writers.write("students", frame[keep])
        return int(keep.sum())


class _Year:
    """One school year of the students enrolled in it: hidden states, records and outcomes."""

    def __init__(self, rng, population: _Population, members, enroll_day, mid_year, cal) -> None:
        self.rng, self.n, self.cal = rng, len(members), cal
        self.members = members
        self.ids = population.ids[members]
        self.grade = population.grade[members].copy()
        self.low_income = population.low_income[members]
        self.school = population.school[members].copy()
        self.mu = population.mu[members].copy()
        self.enroll_day = enroll_day
        self.mid_year = mid_year
        self.quirks = population.spec.quirks
        self.schools = population.schools
        # The quirks draw from their own stream: the main one stays as without them.
        self.quirk_rng = np.random.default_rng(
            [population.spec.seed, 77, population.first, cal.days[0].toordinal()]
        )
        carried = ~population.fresh[members] & (rng.random(self.n) < SUMMER_KEEP)
        self._simulate_states(np.where(carried, population.state[members], -1))
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

    def _simulate_states(self, carried: np.ndarray) -> None:
        """Weekly hidden states; a student's first week starts from `carried` (last year's
        final state) where it is 0-2, else from a fresh draw."""
        rng, n, weeks = self.rng, self.n, self.cal.weeks
        self.matrix = self._transitions()
        p1 = _sigmoid(-3.0 + 1.0 * self.mu)
        p2 = _sigmoid(-4.8 + 1.2 * self.mu)
        u = rng.random(n)
        state = np.where(u < p2, 2, np.where(u < p2 + p1, 1, 0))
        state = np.where(carried >= 0, carried, state)
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
        # A 12th grader who failed a course stays for another year; the others graduate.
        self.repeats = self.failed & (self.grade == 12)
        self.graduated = stays & (self.grade == 12) & ~self.failed

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
                course_id = np.char.add(course_id, f"-{cal.label[:4]}")  # new courses each year
            else:
                pick = electives[takers, slot - 4]
                band = np.where(grade >= 9, "HS", "MS")
                course_id = np.char.add(
                    np.char.add(np.array([ELECTIVES[k][0] for k in pick]), "-"),
                    np.char.add(band, f"-{cal.label[:4]}"),
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
            elif self.graduated[i]:
                rows.append((self.ids[i], "graduated", last, None))
            else:
                rows.append((self.ids[i], "passed", last, None))
        return pd.DataFrame(rows, columns=["district_id", "outcome_type", "outcome_date", "notes"])

    def enrollments_frame(self) -> pd.DataFrame:
        """One row per student this year: school, grade, entry and exit (the day the enrollment
        ended: the withdrawal day, or the year's last school day)."""
        cal, days = self.cal, len(self.cal.days)
        left = self.exit_day < days
        reason = np.where(
            left,
            self.exit_type,
            np.where(self.graduated, "graduated", "completed_year"),
        )
        return pd.DataFrame(
            {
                "district_id": self.ids,
                "school_year": cal.label,
                "school": self.school,
                "grade_level": self.grade,
                "entry_date": cal.day_text[self.enroll_day],
                "exit_date": cal.day_text[np.where(left, self.exit_day, days - 1)],
                "exit_reason": reason,
            }
        )

    def write(self, writers: _Writers, summary: "YearSummary", through: dt.date | None) -> None:
        """This year's rows; with `through`, only what had happened by that day."""
        cut = _Cut(through)
        writers.write("enrollments", cut.enrollments(self.enrollments_frame()))
        attendance, missed = self.attendance_frame()
        late = self.rng.random(len(attendance)) < 0.01  # entered days or weeks later
        on_time, entered_late = (self._sent_attendance(attendance[rows]) for rows in (~late, late))
        writers.write("attendance", cut.rows(on_time, "date"))
        writers.hold_late("attendance", cut.rows(entered_late, "date"))
        grades = self.grades_frame()
        late = self.rng.random(len(grades)) < 0.01
        on_time, entered_late = (self._quirky_grades(grades[rows]) for rows in (~late, late))
        writers.write("grades", cut.rows(on_time, "submission_date"))
        writers.hold_late("grades", cut.rows(entered_late, "submission_date"))
        writers.write("discipline", cut.rows(self.discipline_frame(), "incident_date"))
        writers.write("outcomes", cut.rows(self.outcomes_frame(), "outcome_date"))
        writers.write("truth", cut.rows(self.true_risk(), "as_of"))
        if through is not None and self.cal.last_day > through:
            return  # a year in progress: its outcomes are not known yet
        elementary, middle = self.grade <= 5, (self.grade >= 6) & (self.grade <= 8)
        high_school = self.grade >= 9
        summary.students += self.n
        summary.elementary += int(elementary.sum())
        summary.middle += int(middle.sum())
        summary.high_school += int(high_school.sum())
        summary.chronic_absence += int((missed >= 0.10).sum())
        summary.dropouts += int(((self.exit_type == "dropped_out") & high_school).sum())
        summary.failed += int(self.failed.sum())
        summary.retained += int(self.retained.sum())
        summary.retained_elementary += int((self.retained & elementary).sum())
        summary.graduated += int(self.graduated.sum())
        summary.transferred += int((self.exit_type == "transferred").sum())
        summary.mid_year_entries += int(self.mid_year.sum())

    # --- quirks (Quirks) -----------------------------------------------------------------------
    def _sent_attendance(self, attendance: pd.DataFrame) -> pd.DataFrame:
        """The attendance rows the district's files hold: none from a school that sends none."""
        position = self.quirks.no_attendance_school
        if position is None:
            return attendance
        school = pd.Series(self.school, index=self.ids)
        silent = school.reindex(attendance["district_id"]).to_numpy() == self.schools[position][0]
        return attendance.assign(_silent=silent)[lambda f: ~f["_silent"]].drop(columns="_silent")

    def _quirky_grades(self, grades: pd.DataFrame) -> pd.DataFrame:
        """The grades as the district's gradebook exports them: a harshly graded course, several
        quizzes on one day with their assignment ids, the district's marking scale."""
        quirks = self.quirks
        if not quirks.changes_grades:
            return grades
        if quirks.quizzes_per_day > 1:
            quiz = (grades["assignment_type"] == "quiz").to_numpy()
            grades = grades.loc[grades.index.repeat(np.where(quiz, quirks.quizzes_per_day, 1))]
            nth = grades.groupby(level=0).cumcount().to_numpy()
            values = grades["grade_value"].to_numpy(dtype=float).copy()
            extra = nth > 0  # the same day's other quizzes: marks near the first one's
            noise = self.quirk_rng.normal(0, 6.0, int(extra.sum()))
            values[extra] = np.round(np.clip(values[extra] + noise, 0, 100), 1)
            grades = grades.assign(grade_value=values)
            grades["assignment_id"] = (
                grades["course_id"] + "-" + grades["assignment_type"] + "-"
                + grades["submission_date"].astype(str) + "-" + (nth + 1).astype(str)
            )  # fmt: skip
        value = grades["grade_value"].to_numpy(dtype=float)
        if quirks.harsh_course:
            harsh = grades["course_id"].str.startswith(f"{quirks.harsh_course}-").to_numpy()
            lowered = np.clip(value - quirks.harsh_shift, 0, 100)
            value = np.where(harsh & (value > 0), lowered, value)  # a 0 is work not handed in
        value = quirks.mark(value)
        bands = quirks.letter_bands()
        letters = np.select(
            [value >= b["min"] for b in bands], [b["letter"] for b in bands], default="F"
        )
        grades = grades.assign(grade_value=value, grade_letter=letters)
        return grades.reset_index(drop=True)


class _Cut:
    """Leaves out what happened after `through` (None: nothing is left out)."""

    def __init__(self, through: dt.date | None) -> None:
        self.through = through.isoformat() if through else None

    def rows(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        if self.through is None:
            return frame
        return frame[frame[column].astype(str) <= self.through]

    def enrollments(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Enrollments that began by `through`; one that ends later is still open."""
        if self.through is None:
            return frame
        frame = frame[frame["entry_date"] <= self.through].copy()
        open_ = frame["exit_date"] > self.through
        frame.loc[open_, "exit_date"] = None
        frame.loc[open_, "exit_reason"] = None
        return frame


def _cells(values: pd.Series) -> list[str] | None:
    """A column as CSV cells, as pandas writes them (missing is empty, floats by repr); None
    when a cell would need quoting."""
    if pd.api.types.is_float_dtype(values.dtype):
        return ["" if v != v else repr(v) for v in values.to_numpy(dtype=float).tolist()]
    cells = ["" if v is None or v is pd.NA or v != v else str(v) for v in values.tolist()]
    if any(("," in c) or ('"' in c) or ("\n" in c) or ("\r" in c) for c in cells):
        return None
    return cells


def _plain_csv(frame: pd.DataFrame) -> str | None:
    """The frame's rows as CSV text, several times faster than DataFrame.to_csv for the
    generator's millions of plain cells; None when some cell needs quoting."""
    columns = [_cells(frame[c]) for c in frame.columns]
    if any(c is None for c in columns):
        return None
    if not len(frame):
        return ""
    return "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"


def _letters(values: np.ndarray) -> np.ndarray:
    return np.select(
        [values >= 90, values >= 80, values >= 70, values >= 60], ["A", "B", "C", "D"], default="F"
    )
