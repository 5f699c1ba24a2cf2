"""On PostgreSQL, give every UUID primary key the schema document's database default.

The document declares `id UUID PRIMARY KEY DEFAULT uuid_generate_v4()`. gen_random_uuid() is the
same version-4 UUID, built in since PostgreSQL 13 (no extension). Django supplies ids itself;
the default serves rows written by set-based SQL, such as the bulk import's COPY.
SQLite has no UUID function: there the application supplies every id.
"""

from django.db import migrations

TABLES = [
    "students",
    "attendance_records",
    "grades",
    "discipline_incidents",
    "student_outcomes",
    "import_runs",
    "predictions",
    "training_feedback",
    "model_metadata",
]


def set_defaults(apps, schema_editor, default="gen_random_uuid()"):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        action = f"SET DEFAULT {default}" if default else "DROP DEFAULT"
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN id {action}")


def drop_defaults(apps, schema_editor):
    set_defaults(apps, schema_editor, default=None)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0001_initial"),
        ("students", "0002_updated_at_trigger"),
        ("mlmodels", "0001_initial"),
    ]

    operations = [migrations.RunPython(set_defaults, drop_defaults)]
