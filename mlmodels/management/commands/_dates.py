"""Date arguments shared by the model commands."""

import datetime as dt
from argparse import ArgumentTypeError as CommandError  # argparse prints these cleanly
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import CommandError as UsageError


def day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def outcome_list(text: str) -> list[str]:
    from records.models import OutcomeType

    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in OutcomeType.values]
    if unknown:
        raise CommandError(
            f"unknown outcome {', '.join(unknown)}; known: {', '.join(OutcomeType.values)}"
        )
    return names


def cutoffs(text: str) -> dict:
    try:
        medium, high, critical = (float(x) for x in text.split(","))
    except ValueError:
        raise CommandError("--risk-cutoffs takes three numbers: MEDIUM,HIGH,CRITICAL") from None
    if not 0 < medium < high < critical < 1:
        raise CommandError("--risk-cutoffs must increase strictly between 0 and 1")
    return {"medium": medium, "high": high, "critical": critical}


@dataclass
class Periods:
    """The as-of dates a command trains and tests (or validates) on."""

    train: list[dt.date]
    test: list[dt.date]
    horizon_days: int | None
    covered: dt.date | None
    limit: str  # which source limits how far the data reaches
    school_years: dict | None = None


def add_period_arguments(parser, test: str) -> None:
    """Training and testing periods as dates or as school years, the label window, and how far
    the data reaches. `test` names the later period ("validate" or "test")."""
    parser.add_argument(
        "--as-of",
        type=day,
        action="extend",
        nargs="+",
        help="training as-of dates (repeat or list several); or --train-years",
    )
    parser.add_argument(
        "--train-years",
        nargs="+",
        metavar="YYYY-YYYY",
        help="train on the school weeks of these earlier school years",
    )
    parser.add_argument(
        f"--{test}-year",
        metavar="YYYY-YYYY",
        help=f"{test} on the school weeks of this later (closed) school year",
    )
    parser.add_argument(
        "--every-weeks",
        type=int,
        default=1,
        help="with school years: every N-th school week (default 1: each week)",
    )
    parser.add_argument(
        "--horizon-days",
        type=int,
        default=settings.EDUPULSE_HORIZON_DAYS,
        help="a fixed label window of this many days (default: to the end of the school year)",
    )
    parser.add_argument(
        "--data-through",
        type=day,
        help=(
            "the last day the district's data is complete "
            "(default: the furthest any source of records reaches)"
        ),
    )


def resolve_periods(options: dict, test: str, say) -> Periods:
    """The dates of both periods; with school years, the feature rows they lack are computed
    first (with progress on `say`). Raises CommandError for arguments that do not fit."""
    from mlmodels import labels
    from mlmodels.school_years import ensure_features, weeks_of_years

    horizon = options["horizon_days"]
    if horizon is not None and horizon <= 0:
        raise UsageError("--horizon-days must be positive")
    if options["every_weeks"] < 1:
        raise UsageError("--every-weeks must be at least 1")
    test_dates = options.get(f"{test}_as_of")
    test_year = options.get(f"{test}_year")
    if bool(options["as_of"]) == bool(options["train_years"]):
        raise UsageError("give the training period: --as-of DATES or --train-years YEARS")
    if bool(test_dates) == bool(test_year):
        raise UsageError(f"give the {test} period: --{test}-as-of DATE(S) or --{test}-year YEAR")
    years = None
    train = options["as_of"] or weeks_of_years(options["train_years"], options["every_weeks"])
    if test_year:
        test_dates = weeks_of_years([test_year], options["every_weeks"])
    test_dates = [test_dates] if isinstance(test_dates, dt.date) else list(test_dates)
    if options["train_years"] or test_year:
        years = {"train": options["train_years"], test: test_year}
        ensure_features([*train, *test_dates], progress=say)
    covered = labels.covered_through(options["data_through"])
    limit = labels.coverage_words(options["data_through"])
    return Periods(sorted(train), sorted(test_dates), horizon, covered, limit, years)
