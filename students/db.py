"""Small database expressions shared by every app's models."""

from django.db import models


class CurrentDate(models.Func):
    """SQL CURRENT_DATE, for `db_default` (the schema's `DEFAULT CURRENT_DATE`)."""

    template = "CURRENT_DATE"
    output_field = models.DateField()


def range_check(field: str, low: float, high: float, table: str) -> models.CheckConstraint:
    """CHECK (low <= field <= high) named as PostgreSQL names the schema document's inline CHECK.

    NULL passes, as in SQL: the nullable columns of the document stay nullable.
    """
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__gte": low, f"{field}__lte": high}),
        name=f"{table}_{field}_check",
    )


def choices_check(
    field: str, choices: type[models.TextChoices], table: str
) -> models.CheckConstraint:
    """CHECK (field IN (...)) over an enumeration, named like PostgreSQL's inline CHECK."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": choices.values}),
        name=f"{table}_{field}_check",
    )


class RealField(models.FloatField):
    """A 4-byte float: the schema document's REAL (Django's FloatField is double precision).

    PostgreSQL prints a real with the shortest text that reads back to the same value, so 3.1
    stored is 3.1 exported.
    """

    def db_type(self, connection):
        return "real"
