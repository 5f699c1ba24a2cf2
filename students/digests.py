"""The weekly digest: after the scoring, one email per counselor and educator.

Each digest lists the user's students who became high or critical this week (with the top
factor) and the open interventions on their students with a check-in due. Guarantees:

- only students the user may see (`students.access.visible_students`), and no more about them
  than their student page shows (name, district ID, school, grade, category, top factor);
- no digest when there is nothing to say, and none to a user who switched it off (their
  profile page) or has no email address;
- the throttle (`DigestAnnouncement`): a student is announced to a user once per category;
  staying in it (a week later, a new model's first run) is not news, a rise is; a student
  who drops below high can be announced again when they return;
- idempotent per week: a user who received the week's digest (`DigestDelivery`) gets no
  second one when the job runs again; a digest whose sending failed is retried by the next run.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from students.access import visible_students
from students.interventions import due_condition
from students.models import (
    OPEN_STATUSES,
    DigestAnnouncement,
    DigestDelivery,
    Intervention,
    StaffProfile,
)
from students.roles import ASSIGNED_ROLES

log = logging.getLogger(__name__)

RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
FLAGGED = ("high", "critical")


@dataclass
class Digest:
    user_id: int
    to: str
    subject: str
    body: str
    students: list = field(default_factory=list)  # [(student id, category)]
    due: int = 0


@dataclass
class DigestReport:
    as_of: dt.date
    model_version: str | None = None
    sent: int = 0
    failed: int = 0
    digests: list[Digest] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "digests_sent": self.sent,
            "digests_failed": self.failed,
        }


def _week(as_of: dt.date):
    """(model, {student: (category, score, factors)} flagged at as_of, {student: category}
    flagged in the model's run before). Three queries."""
    from mlmodels.models import ModelMetadata, Prediction

    model = ModelMetadata.objects.defer("model_bytes").filter(is_active=True).first()
    if model is None:
        return None, {}, {}
    of_model = Prediction.objects.filter(model_version=model)
    now = {
        student_id: (category, score, factors)
        for student_id, category, score, factors in of_model.filter(
            as_of=as_of, risk_category__in=FLAGGED
        ).values_list("student_id", "risk_category", "risk_score", "risk_factors")
    }
    previous_as_of = (
        of_model.filter(as_of__lt=as_of).order_by("-as_of").values_list("as_of", flat=True)
    ).first()
    before = {}
    if previous_as_of is not None:
        before = dict(
            of_model.filter(as_of=previous_as_of, risk_category__in=FLAGGED).values_list(
                "student_id", "risk_category"
            )
        )
    return model, now, before


def _recipients(as_of: dt.date):
    """Active counselors and educators with an email address, the digest on, and no digest yet
    for this week."""
    switched_off = StaffProfile.objects.filter(user=OuterRef("pk"), weekly_digest=False)
    delivered = DigestDelivery.objects.filter(user=OuterRef("pk"), as_of=as_of)
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ASSIGNED_ROLES)
        .exclude(email="")
        .exclude(Exists(switched_off))
        .exclude(Exists(delivered))
        .distinct()
        .order_by("pk")
    )


def _top_factor(factors) -> dict | None:
    for f in factors or []:
        if isinstance(f, dict) and (f.get("weight") or 0) > 0:
            return f
    return None


def digest_for(user, *, as_of: dt.date, today: dt.date, now: dict, risen: set) -> Digest | None:
    """The user's digest for the week, or None when there is nothing to say. Reads only."""
    students = visible_students(user)
    news_ids = set(students.filter(pk__in=risen).values_list("pk", flat=True)) if risen else set()
    announced = dict(
        DigestAnnouncement.objects.filter(user=user, student_id__in=news_ids).values_list(
            "student_id", "risk_category"
        )
    )
    news_ids = {
        sid
        for sid in news_ids
        if sid not in announced or RANK[now[sid][0]] > RANK.get(announced[sid], 0)
    }
    news = list(students.filter(pk__in=news_ids)) if news_ids else []
    news.sort(key=lambda s: (-RANK[now[s.pk][0]], -(now[s.pk][1] or 0), s.last_name))
    due = list(
        Intervention.objects.filter(student__in=students.values("pk"), status__in=OPEN_STATUSES)
        .filter(due_condition(today))
        .select_related("student", "intervention_type", "owner")
        .order_by("last_check_in", "start_date")
    )
    if not news and not due:
        return None
    site = settings.EDUPULSE_SITE_URL.rstrip("/")
    lines = [
        {
            "student": s,
            "category": now[s.pk][0],
            "factor": _top_factor(now[s.pk][2]),
            "url": site + reverse("student_profile", args=[s.pk]),
        }
        for s in news
    ]
    plans = [{"plan": p, "url": site + reverse("intervention_detail", args=[p.pk])} for p in due]
    parts = []
    if news:
        parts.append(f"{len(news)} student{'s' if len(news) != 1 else ''} newly high or critical")
    if due:
        parts.append(f"{len(due)} check-in{'s' if len(due) != 1 else ''} due")
    subject = f"EduPulse weekly digest, {as_of:%Y-%m-%d}: {' and '.join(parts)}"
    body = render_to_string(
        "students/digest.txt",
        {
            "user": user,
            "as_of": as_of,
            "lines": lines,
            "plans": plans,
            "check_in_days": settings.EDUPULSE_CHECK_IN_DAYS,
            "site": site,
            "profile_url": site + reverse("account"),
        },
    )
    return Digest(
        user_id=user.pk,
        to=user.email,
        subject=subject,
        body=body,
        students=[(s.pk, now[s.pk][0]) for s in news],
        due=len(due),
    )


def digests_send(
    *, as_of: dt.date, dry_run: bool = False, today: dt.date | None = None, connection=None
) -> DigestReport:
    """Build and send the week's digests (see the module's guarantees).

    Steps: read the week's flagged students and the run before (who rose into high or critical,
    or from high to critical); for each recipient, build their digest through their access;
    send it; then, per user and atomically, record the delivery and the announced categories.
    Finally the throttle forgets students no longer flagged and lowers those who fell from
    critical to high, so that a later rise is news. `dry_run` builds the digests and writes
    nothing (no email, no row).
    """
    today = today or timezone.localdate()
    report = DigestReport(as_of=as_of)
    model, now, before = _week(as_of)
    if model is None:
        return report
    report.model_version = model.model_version
    risen = {sid for sid, (cat, _, _) in now.items() if RANK[cat] > RANK.get(before.get(sid), 0)}
    connection = connection or (None if dry_run else get_connection())
    for user in _recipients(as_of):
        digest = digest_for(user, as_of=as_of, today=today, now=now, risen=risen)
        if digest is None:
            continue
        report.digests.append(digest)
        if dry_run:
            continue
        message = EmailMessage(digest.subject, digest.body, to=[digest.to], connection=connection)
        try:
            message.send()
        except Exception:  # one failed address must not stop the others
            report.failed += 1
            log.exception("digest for user %s as of %s not sent", user.pk, as_of)
            continue
        _record(user, as_of, digest)
        report.sent += 1
        log.info("digest sent to user %s as of %s", user.pk, as_of)
    if not dry_run:
        _forget(model, as_of)
    return report


@transaction.atomic
def _record(user, as_of: dt.date, digest: Digest) -> None:
    DigestDelivery.objects.get_or_create(
        user=user,
        as_of=as_of,
        defaults={"students": len(digest.students), "due_interventions": digest.due},
    )
    for student_id, category in digest.students:
        DigestAnnouncement.objects.update_or_create(
            user=user, student_id=student_id, defaults={"risk_category": category, "as_of": as_of}
        )


@transaction.atomic
def _forget(model, as_of: dt.date) -> None:
    """Forget students who are no longer flagged; lower critical to high for those who fell."""
    from mlmodels.models import Prediction

    week = Prediction.objects.filter(
        student_id=OuterRef("student_id"), model_version=model, as_of=as_of
    )
    DigestAnnouncement.objects.exclude(Exists(week.filter(risk_category__in=FLAGGED))).delete()
    DigestAnnouncement.objects.filter(
        Q(risk_category="critical") & Exists(week.filter(risk_category="high"))
    ).update(risk_category="high")
