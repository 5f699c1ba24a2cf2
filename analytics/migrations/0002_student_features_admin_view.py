"""The read-only view behind analytics.StudentFeaturesRow (the admin's list of feature rows)."""

from django.db import migrations

CREATE_VIEW = """
CREATE VIEW student_features_admin AS
SELECT CAST(student_id AS TEXT) || ':' || CAST(feature_date AS TEXT) AS id,
       student_id, feature_date, attendance_rate, gpa_current, discipline_incidents,
       feature_vector, created_at
FROM student_features
"""


class Migration(migrations.Migration):
    dependencies = [("analytics", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE_VIEW, "DROP VIEW IF EXISTS student_features_admin"),
    ]
