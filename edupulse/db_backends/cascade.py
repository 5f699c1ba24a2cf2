"""Database-level ON DELETE CASCADE for foreign keys declared with on_delete=CASCADE.

Django 6.0 emulates CASCADE in the ORM only; the schema document asks for the constraint in the
database, so a row deleted by plain SQL (a DBA, a retention job) takes its dependants with it.
The two backends in this package add the clause when Django writes a foreign key.
"""

from django.db.models import CASCADE


def cascades(field) -> bool:
    remote = getattr(field, "remote_field", None)
    return bool(remote and field.db_constraint and remote.on_delete is CASCADE)
