"""Database-level ON DELETE actions for foreign keys declared with on_delete=CASCADE or SET_NULL.

Django 6.0 emulates CASCADE and SET_NULL in the ORM only; the schema document asks for the
constraint in the database, so a row deleted by plain SQL (a DBA, a retention job, the weekly
scoring's set-based delete of predictions) takes its dependants with it, or lets go of them.
The two backends in this package add the clause when Django writes a foreign key.
"""

from django.db.models import CASCADE, SET_NULL


def on_delete_clause(field) -> str | None:
    """ "CASCADE", "SET NULL" or None (no database action) for a foreign key field."""
    remote = getattr(field, "remote_field", None)
    if not (remote and getattr(field, "db_constraint", False)):
        return None
    if remote.on_delete is CASCADE:
        return "CASCADE"
    if remote.on_delete is SET_NULL:
        return "SET NULL"
    return None


def cascades(field) -> bool:
    return on_delete_clause(field) == "CASCADE"
