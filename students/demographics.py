"""The controlled values of a student's gender, ethnicity and socioeconomic status, and the
spellings of them that district files commonly use (docs/data-formats.md, "Demographics").

The fairness audit groups students by these values, so one group must have one spelling:
"F", "female" and "Female " are the same students. No ORM here: the import (records/csv_format.py)
and migration students 0006 read these tables.
"""

import re

from django.db import models


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    ANOTHER = "X", "Non-binary or another gender"


class Ethnicity(models.TextChoices):
    """The US federal race and ethnicity categories (OMB SPD 15, 2024), by their names."""

    HISPANIC_LATINO = "Hispanic or Latino", "Hispanic or Latino"
    WHITE = "White", "White"
    BLACK = "Black or African American", "Black or African American"
    ASIAN = "Asian", "Asian"
    AMERICAN_INDIAN = "American Indian or Alaska Native", "American Indian or Alaska Native"
    PACIFIC_ISLANDER = "Native Hawaiian or Pacific Islander", "Native Hawaiian or Pacific Islander"
    MIDDLE_EASTERN = "Middle Eastern or North African", "Middle Eastern or North African"
    TWO_OR_MORE = "Two or more races", "Two or more races"


class SocioeconomicStatus(models.TextChoices):
    LOW_INCOME = "low_income", "Low income"
    NOT_LOW_INCOME = "not_low_income", "Not low income"


# Spellings that mean "not known": read as an empty cell (NULL), not as a group of its own.
NOT_KNOWN = ("unknown", "not reported", "not specified", "declined to state", "prefer not to say")

# Other spellings of each value, besides the value and its label (compared after `normalized`).
SPELLINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "gender": {
        Gender.FEMALE: ("female", "woman", "girl"),
        Gender.MALE: ("male", "man", "boy"),
        Gender.ANOTHER: ("non-binary", "nonbinary", "another gender", "other"),
    },
    "ethnicity": {
        Ethnicity.HISPANIC_LATINO: ("Hispanic", "Latino", "Latina", "Latinx", "Hispanic/Latino"),
        Ethnicity.WHITE: ("Caucasian",),
        Ethnicity.BLACK: ("Black", "African American", "Black/African American"),
        Ethnicity.ASIAN: ("Asian American",),
        Ethnicity.AMERICAN_INDIAN: (
            "American Indian",
            "Alaska Native",
            "Native American",
            "American Indian/Alaska Native",
        ),
        Ethnicity.PACIFIC_ISLANDER: (
            "Native Hawaiian",
            "Pacific Islander",
            "Native Hawaiian or Other Pacific Islander",
            "Native Hawaiian/Other Pacific Islander",
        ),
        Ethnicity.MIDDLE_EASTERN: ("Middle Eastern", "North African", "MENA"),
        Ethnicity.TWO_OR_MORE: ("Two or more", "Multiracial", "Multi-racial", "Multiple races"),
    },
    "socioeconomic_status": {
        SocioeconomicStatus.LOW_INCOME: (
            "economically disadvantaged",
            "disadvantaged",
            "free or reduced lunch",
            "free/reduced lunch",
            "FRL",
        ),
        SocioeconomicStatus.NOT_LOW_INCOME: (
            "not economically disadvantaged",
            "not disadvantaged",
            "non-low-income",
            "not FRL",
        ),
    },
}
CHOICES = {
    "gender": Gender,
    "ethnicity": Ethnicity,
    "socioeconomic_status": SocioeconomicStatus,
}


def normalized(text: str) -> str:
    """Lower case, punctuation as spaces, single spaces: "Low-Income " and "low_income" meet."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _lookup(field: str) -> dict[str, str | None]:
    table: dict[str, str | None] = {normalized(s): None for s in NOT_KNOWN}
    for value, label in CHOICES[field].choices:
        for spelling in (value, label, *SPELLINGS[field].get(value, ())):
            table[normalized(spelling)] = value
    return table


LOOKUP = {field: _lookup(field) for field in CHOICES}


def canonical(field: str, text: str) -> str | None:
    """The controlled value `text` spells for `field`, None for a "not known" spelling.

    Raises KeyError for text that is none of them.
    """
    return LOOKUP[field][normalized(text)]
