"""SQLite backend whose foreign keys carry ON DELETE CASCADE / SET NULL as the model says."""

import re

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.schema import DatabaseSchemaEditor as _SchemaEditor

from edupulse.db_backends.cascade import on_delete_clause


class DatabaseSchemaEditor(_SchemaEditor):
    def table_sql(self, model):
        # SQLite writes foreign keys inline in CREATE TABLE (and rebuilds tables for most
        # ALTERs through this same method), so add the clause to each cascading column here.
        sql, params = super().table_sql(model)
        for field in model._meta.local_fields:
            clause = on_delete_clause(field)
            if clause:
                column = re.escape(self.quote_name(field.column))
                sql = re.sub(
                    rf"({column} [^,]*? REFERENCES [^,]*?) DEFERRABLE",
                    rf"\1 ON DELETE {clause} DEFERRABLE",
                    sql,
                    count=1,
                )
        return sql, params


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
