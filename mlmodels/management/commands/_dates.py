"""Date arguments shared by the model commands."""

import datetime as dt
from argparse import ArgumentTypeError as CommandError  # argparse prints these cleanly


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
