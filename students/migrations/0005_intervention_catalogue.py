"""Seed the intervention catalogue with the common MTSS interventions (the district edits it in
the admin). Idempotent by name: a district's own edits to these rows are kept."""

from django.db import migrations

CATALOGUE = [
    ("Attendance mentoring", "attendance", "A mentor meets the student weekly about attendance."),
    ("Family conference", "attendance", "A meeting with the family to agree on a plan."),
    ("Tutoring", "course_performance", "Regular tutoring in the courses at risk."),
    ("Check-in/check-out", "behavior", "A daily check-in and check-out with a trusted adult."),
    ("Counseling", "behavior", "Individual or small-group counseling sessions."),
    ("Behavior plan", "behavior", "A written behavior intervention plan."),
    ("Credit recovery", "course_performance", "A course or program to recover lost credits."),
]


def seed(apps, schema_editor):
    InterventionType = apps.get_model("students", "InterventionType")
    for name, domain, description in CATALOGUE:
        InterventionType.objects.get_or_create(
            name=name, defaults={"domain": domain, "description": description}
        )


def unseed(apps, schema_editor):
    InterventionType = apps.get_model("students", "InterventionType")
    InterventionType.objects.filter(
        name__in=[name for name, _, _ in CATALOGUE], interventions__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("students", "0004_interventions")]

    operations = [migrations.RunPython(seed, unseed)]
