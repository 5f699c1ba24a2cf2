"""PostgreSQL backend whose foreign keys carry ON DELETE CASCADE where the model says CASCADE."""

from django.db.backends.postgresql import base
from django.db.backends.postgresql.schema import DatabaseSchemaEditor as _SchemaEditor

from edupulse.db_backends.cascade import cascades


class DatabaseSchemaEditor(_SchemaEditor):
    def _create_fk_sql(self, model, field, suffix):
        statement = super()._create_fk_sql(model, field, suffix)
        if cascades(field):
            statement.template = statement.template.replace(
                "%(deferrable)s", " ON DELETE CASCADE%(deferrable)s"
            )
        return statement


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
