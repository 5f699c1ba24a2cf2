"""The backup and restore drill: back up the test run's own database, restore the backup into a
new database, and compare every table's row count and a checksum of its contents."""

import hashlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from tests.students.factories import StudentFactory

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "backup.py"


def _run(*args) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fingerprint(conn, tables) -> dict[str, tuple[int, str]]:
    """Each table's row count and a SHA-256 of its rows, sorted (order-independent)."""
    result = {}
    cursor = conn.cursor()
    for table in tables:
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = sorted(repr(row) for row in cursor.fetchall())
        result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return result


def _fill(one_of_everything):
    for _ in range(5):
        StudentFactory()


@pytest.mark.django_db(transaction=True)
def test_a_postgresql_backup_restores_into_a_new_database_with_identical_tables(
    one_of_everything, tmp_path
):
    if connection.vendor != "postgresql":
        pytest.skip("the pg_dump drill runs in the PostgreSQL run of `make test`")
    _fill(one_of_everything)
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    dump = tmp_path / "drill.dump"
    restored = f"{db['NAME']}_drill"
    _run("--database-url", url, "backup", "--out", str(dump))
    assert dump.stat().st_size > 0
    try:
        out = _run("--database-url", url, "restore", str(dump), "--into", restored)
        assert f"/{restored}" in out
        tables = connection.introspection.table_names(include_views=False)
        # Both read by plain connections alike (Django's own sets a time zone and adapters).
        original, copy = (
            psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=name)
            for name in (db["NAME"], restored)
        )
        try:
            source = _fingerprint(original, tables)
            assert _fingerprint(copy, tables) == source
            copy_tables = {
                t
                for (t,) in _query(
                    copy, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            }
            assert copy_tables == set(tables)
        finally:
            copy.close()
            original.close()
        assert source["students"][0] == 6 and source["access_log"][0] == 1
        # A restore never overwrites a database.
        again = subprocess.run(
            [sys.executable, str(SCRIPT), "--database-url", url, "restore", str(dump),
             "--into", restored],
            capture_output=True, text=True,
        )  # fmt: skip
        assert again.returncode != 0 and "already exists" in again.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')


def _query(conn, sql):
    cursor = conn.cursor()
    cursor.execute(sql)
    return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_an_sqlite_backup_is_a_consistent_copy_that_restores_into_a_new_file(
    one_of_everything, tmp_path
):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite backup path runs in the SQLite run of `make test`")
    _fill(one_of_everything)
    url = f"sqlite:///{connection.settings_dict['NAME']}"
    copy = tmp_path / "backup.sqlite3"
    _run("--database-url", url, "backup", "--out", str(copy))
    restored = tmp_path / "restored.sqlite3"
    out = _run("--database-url", url, "restore", str(copy), "--into", str(restored))
    assert str(restored) in out
    tables = connection.introspection.table_names(include_views=False)
    # A plain connection, as for the copies (Django's own converts dates on the way out).
    with sqlite3.connect(connection.settings_dict["NAME"]) as original:
        source = _fingerprint(original, tables)
    for path in (copy, restored):
        with sqlite3.connect(path) as other:
            assert _fingerprint(other, tables) == source
    assert source["students"][0] == 6
    refused = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", url, "restore", str(copy), "--into",
         str(restored)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert refused.returncode != 0 and "exists" in refused.stderr
