"""Keep students.updated_at current on every UPDATE, including set-based SQL that bypasses the ORM.

Django's auto_now only runs on Model.save(); imports upsert students with plain SQL.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION edupulse_touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at = STATEMENT_TIMESTAMP();  -- as Django's Now(); NOW() is the transaction start
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER students_touch_updated_at BEFORE UPDATE ON students
    FOR EACH ROW EXECUTE FUNCTION edupulse_touch_updated_at();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS students_touch_updated_at ON students;
DROP FUNCTION IF EXISTS edupulse_touch_updated_at();
"""
# SQLite has no BEFORE-UPDATE assignment; an AFTER trigger rewrites the row once (recursive
# triggers are off by default, so it does not fire itself). The format is Django's own.
SQLITE_UP = """
CREATE TRIGGER students_touch_updated_at AFTER UPDATE ON students
FOR EACH ROW BEGIN
    UPDATE students SET updated_at = STRFTIME('%Y-%m-%d %H:%M:%f', 'now') WHERE id = NEW.id;
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS students_touch_updated_at;"


def _run(sql_by_vendor):
    def run(apps, schema_editor):
        sql = sql_by_vendor.get(schema_editor.connection.vendor)
        if sql:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("students", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
