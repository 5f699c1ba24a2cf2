"""SQLite backend whose foreign keys carry ON DELETE CASCADE where the model says CASCADE."""

import re

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.schema import DatabaseSchemaEditor as _SchemaEditor

from edupulse.db_backends.cascade import cascades


class DatabaseSchemaEditor(_SchemaEditor):
    def table_sql(self, model):
        # SQLite writes foreign keys inline in CREATE TABLE (and rebuilds tables for most
        # ALTERs through this same method), so add the clause to each cascading column here.
        sql, params = super().table_sql(model)
        for field in model._meta.local_fields:
            if cascades(field):
                column = re.escape(self.quote_name(field.column))
                sql = re.sub(
                    rf"({column} [^,]*? REFERENCES [^,]*?) DEFERRABLE",
                    r"\1 ON DELETE CASCADE DEFERRABLE",
                    sql,
                    count=1,
                )
        return sql, params


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
