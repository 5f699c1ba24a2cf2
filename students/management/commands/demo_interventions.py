import datetime as dt

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from mlmodels.models import ModelMetadata, Prediction
from students import interventions as support
from students.access import visible_students
from students.models import CaseNote, InterventionStatus, InterventionType, NoteVisibility, Progress

DEMO_PLANS = 6


class Command(BaseCommand):
    help = (
        "For the demo (after demo_users): a few interventions on the counselor's most at-risk "
        "students, with check-ins (one due, one ending this week, one closed) and case notes. "
        "Idempotent: does nothing when the counselor already has interventions."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        users = get_user_model().objects
        counselor = users.filter(username="counselor").first()
        educator = users.filter(username="educator").first()
        model = ModelMetadata.objects.defer("model_bytes").filter(is_active=True).first()
        if counselor is None or model is None:
            self.stdout.write("No demo counselor or no active model yet: no interventions made.")
            return
        if counselor.owned_interventions.exists():
            self.stdout.write("The demo interventions exist already.")
            return
        latest = (
            Prediction.objects.filter(model_version=model)
            .exclude(as_of=None)
            .order_by("-as_of")
            .values_list("as_of", flat=True)
            .first()
        )
        if latest is None:
            self.stdout.write("No predictions yet: no interventions made.")
            return
        # The educator's students first (so both demo logins see plans), then the counselor's.
        reach = visible_students(educator) if educator else visible_students(counselor)
        top = list(
            Prediction.objects.filter(
                model_version=model, as_of=latest, student__in=reach.values("pk")
            )
            .select_related("student")
            .order_by("-risk_score")[:DEMO_PLANS]
        )
        types = {t.domain: t for t in InterventionType.objects.filter(is_active=True)}
        today = timezone.localdate()
        made = 0
        for i, prediction in enumerate(top):
            factor = next(
                (f for f in prediction.risk_factors or [] if (f.get("weight") or 0) > 0), None
            )
            domain = (factor and support.domain_for_factor(factor["factor"])) or "attendance"
            kind = types.get(domain) or next(iter(types.values()))
            # Spread over the last weeks: some due, one ending this week, one closed.
            start = today - dt.timedelta(weeks=[3, 5, 2, 6, 1, 8][i % 6])
            plan = support.intervention_start(
                student=prediction.student,
                intervention_type=kind,
                domain=domain,
                tier=2 if i % 3 else 3,
                owner=counselor,
                goal=(factor or {}).get("recommendation") or "Raise attendance above 90%.",
                start_date=start,
                prediction=prediction,
                created_by=counselor,
                today=today,
            )
            if i % 2 == 0:
                support.check_in_add(
                    intervention=plan,
                    author=counselor,
                    date=start + dt.timedelta(days=7),
                    progress=Progress.SOME,
                    note="Met with the student; agreed on a weekly goal.",
                )
            if i == 1 and educator:
                support.check_in_add(
                    intervention=plan,
                    author=educator,
                    date=today - dt.timedelta(days=2),
                    progress=Progress.ON_TRACK,
                    note="Attended every class this week.",
                )
            if i == 5:
                support.intervention_close(
                    intervention=plan,
                    status=InterventionStatus.COMPLETED,
                    outcome="Attendance back above 90% for three weeks.",
                    ended_on=start + dt.timedelta(weeks=6),
                )
            support.case_note_add(
                student=prediction.student,
                author=educator or counselor,
                date=start,
                text="Spoke with the student after class; they mentioned caring for a sibling.",
                visibility=NoteVisibility.EVERYONE,
            )
            if i % 3 == 0:
                support.case_note_add(
                    student=prediction.student,
                    author=counselor,
                    date=start + dt.timedelta(days=1),
                    text="Family conference held; the family asked for a morning check-in.",
                    visibility=NoteVisibility.COUNSELORS,
                )
            made += 1
        self.stdout.write(
            f"{made} demo interventions, {CaseNote.objects.count()} case notes in the district."
        )
