"""The model's rows: stored weekly feature rows, the model inputs, and the groups audited.

One query per call whatever the number of dates: the named features are pulled out of the
JSON in the database (PostgreSQL `->`/`->>`, SQLite `json_extract`), so Python never parses a
feature document; on PostgreSQL the rows arrive through COPY.
"""

import datetime as dt
import uuid
import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.db import connection

from analytics.features import FEATURE_NAMES
from analytics.selectors import query_frame

# The model's inputs: every named feature, and the grade level (dropping out, failing a course
# and retention depend on it). Demographics (gender, ethnicity, socioeconomic status) are never
# inputs; they are read only for the fairness audit.
MODEL_INPUTS = (*FEATURE_NAMES, "grade_level")
AUDITED = ("gender", "ethnicity", "socioeconomic_status", "grade_band")


def grade_band(grade: pd.Series) -> pd.Series:
    return pd.cut(grade, [-1, 5, 8, 12], labels=["K-5", "6-8", "9-12"]).astype(str)


def _feature_sql(
    name: str, part: str = "features", alias: str | None = None, number: bool = True
) -> str:
    """One value of the feature document as a column: a number, or the text as stored."""
    alias = alias or name
    if connection.vendor == "postgresql":
        text = f"f.feature_vector -> '{part}' ->> '{name}'"
        return f"({text})::float8 AS {alias}" if number else f"{text} AS {alias}"
    return f"json_extract(f.feature_vector, '$.{part}.{name}') AS {alias}"


def district_hash(district_ids: pd.Series) -> np.ndarray:
    """A stable number per district id (CRC-32): the same student gets the same number in every
    database and every import, unlike the random UUID primary key."""
    return district_ids.map(lambda s: zlib.crc32(str(s).encode())).to_numpy(dtype=np.int64)


def feature_rows(dates: Iterable[dt.date], student_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored feature rows of these as-of dates: student_id, district_id, as_of,
    MODEL_INPUTS (the grade as of T), the audited groups; ordered by date and district id (not
    the random primary key: the same files imported twice give the same rows in the same
    order, so the same model)."""
    dates = sorted(set(dates))
    columns = ",\n".join(_feature_sql(n) for n in FEATURE_NAMES)
    where = f"f.feature_date IN ({', '.join(['%s'] * len(dates))})"
    params: list = list(dates)
    if student_ids is not None:
        where += f" AND f.student_id IN ({', '.join(['%s'] * len(student_ids))})"
        params += student_ids
    # The grade on T, stored with the row (analytics.features), else the current grade (rows
    # computed before the enrollment history existed).
    grade_on_t = _feature_sql("grade_level", "metadata", "grade_on_t")
    school_on_t = _feature_sql("school", "metadata", "school_on_t", number=False)
    sql = f"""
        SELECT f.student_id, s.district_id, f.feature_date AS as_of, {columns}, {grade_on_t},
               {school_on_t},
               s.grade_level, s.gender, s.ethnicity, s.socioeconomic_status
        FROM student_features f JOIN students s ON s.id = f.student_id
        WHERE {where}
        ORDER BY f.feature_date, s.district_id
    """
    frame = query_frame(sql, params, ("student_id", "district_id", "school_on_t"))
    frame["student_id"] = uuid_text(frame["student_id"])
    frame["district_id"] = frame["district_id"].astype(str)
    on_t = pd.to_numeric(frame.pop("grade_on_t"), errors="coerce")
    frame["grade_level"] = on_t.where(on_t.notna(), frame["grade_level"])
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    for name in MODEL_INPUTS:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    for name in ("gender", "ethnicity", "socioeconomic_status"):
        frame[name] = frame[name].fillna("not recorded").astype(str)
    frame["grade_band"] = grade_band(frame["grade_level"])
    return frame.reset_index(drop=True)


def uuid_text(ids: pd.Series) -> pd.Series:
    """Student ids as Django prints them (SQLite stores UUIDs as 32 hex digits, no dashes)."""
    ids = ids.astype(str)
    if connection.vendor == "postgresql":
        return ids
    return ids.map(lambda text: str(uuid.UUID(text)))


def inputs(frame: pd.DataFrame, names: tuple[str, ...] = MODEL_INPUTS) -> np.ndarray:
    """The model's input matrix (NaN where a feature is missing: XGBoost learns where to go);
    `names`: a stored model's own inputs (a model trained before a feature existed)."""
    return frame[list(names)].to_numpy(dtype=np.float32)


# A kind of record is expected of a student when the student's school (on T) sent some of it
# for any student of that as-of date: a school that sends no attendance at all is a coverage
# fact, not a reason to call a family.
EXPECTED_BY = {"attendance": "attendance_rate_ytd", "gpa": "gpa_current"}


def expected_records(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """{"attendance": rows, "gpa": rows}: where each kind was expected (see EXPECTED_BY); rows
    without a school on T are expected everywhere."""
    if "school_on_t" not in frame:
        return {}
    school = frame["school_on_t"].fillna("")
    out = {}
    for kind, name in EXPECTED_BY.items():
        sent = frame[name].notna().groupby([frame["as_of"], school]).transform("any")
        out[kind] = (sent | (school == "")).to_numpy(dtype=bool)
    return out
