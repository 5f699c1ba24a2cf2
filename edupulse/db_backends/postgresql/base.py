"""PostgreSQL backend whose foreign keys carry ON DELETE CASCADE / SET NULL as the model says."""

from django.db.backends.postgresql import base
from django.db.backends.postgresql.schema import DatabaseSchemaEditor as _SchemaEditor

from edupulse.db_backends.cascade import on_delete_clause


class DatabaseSchemaEditor(_SchemaEditor):
    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        clause = on_delete_clause(field)
        if clause:
            statement.template = statement.template.replace(
                "%(deferrable)s", f" ON DELETE {clause}%(deferrable)s"
            )
        return statement


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
