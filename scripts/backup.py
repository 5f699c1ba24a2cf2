#!/usr/bin/env python
"""Back up EduPulse's database, and restore a backup into a new database.

    backup.py backup [--out PATH]                  # make backup [OUT=PATH]
    backup.py restore FILE [--into NAME_OR_PATH]   # make restore FILE=... [INTO=...]

The database is DATABASE_URL's (the settings' default when unset: the trial's SQLite file).
- PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by table, consistent: one
  snapshot), checked with `pg_restore --list`; restored with `pg_restore` into a database this
  script creates (it refuses one that exists), as the connecting role (`--no-owner`).
- SQLite: SQLite's online backup API copies the file page by page under the database's own
  locking, so a running trial (WAL mode) is copied consistently; the copy passes
  `PRAGMA integrity_check`. Restoring copies a backup into a new file the same way.
A restore never touches the live database: point DATABASE_URL at the new one (printed) once
it is checked. Backups go to var/backups/ unless --out says otherwise.
"""

import argparse
import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUPS = ROOT / "var" / "backups"
PG_BINARIES = (
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)


def database(url: str | None) -> dict:
    """The settings of the database: DATABASE_URL's, parsed as the settings parse it."""
    sys.path.insert(0, str(ROOT))
    if url:
        os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edupulse.settings.local")
    from django.conf import settings

    return settings.DATABASES["default"]


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _tool(name: str) -> str:
    """pg_dump/pg_restore/psql: PG_BIN, then Debian's versioned folders, then PATH."""
    for folder in (os.environ.get("PG_BIN"), *PG_BINARIES):
        if folder and (Path(folder) / name).exists():
            return str(Path(folder) / name)
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} not found: install PostgreSQL's client (postgresql-client-15).")
    return found


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return args


def _is_postgres(db: dict) -> bool:
    return "postgresql" in db["ENGINE"]


def backup(db: dict, out: Path | None) -> Path:
    BACKUPS.mkdir(parents=True, exist_ok=True)
    if _is_postgres(db):
        out = out or BACKUPS / f"edupulse-{db['NAME']}-{_stamp()}.dump"
        subprocess.run(
            [_tool("pg_dump"), *_pg_args(db), "--format=custom", "--file", str(out), db["NAME"]],
            env=_pg_env(db),
            check=True,
        )
        # The archive's table of contents reads back: the file is a whole custom-format dump.
        subprocess.run(
            [_tool("pg_restore"), "--list", str(out)], stdout=subprocess.DEVNULL, check=True
        )
    else:
        out = out or BACKUPS / f"edupulse-{_stamp()}.sqlite3"
        if out.exists():
            sys.exit(f"{out} exists: give another --out.")
        _sqlite_copy(Path(db["NAME"]), out)
    return out


def _sqlite_copy(source: Path, target: Path) -> None:
    if not source.exists():
        sys.exit(f"There is no SQLite database at {source}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
        (result,) = dst.execute("PRAGMA integrity_check").fetchone()
    if result != "ok":
        target.unlink()
        sys.exit(f"The copy failed SQLite's integrity check: {result}")


def restore(db: dict, file: Path, into: str | None) -> str:
    """Restore `file` into a new database; returns its DATABASE_URL."""
    if not file.exists():
        sys.exit(f"There is no backup at {file}.")
    if _is_postgres(db):
        name = into or f"{db['NAME']}_restored_{_stamp().lower()}"
        # createdb refuses a database that exists: a restore never overwrites one.
        created = subprocess.run(
            [_tool("createdb"), *_pg_args(db), "--template", "template0", name],
            env=_pg_env(db),
            capture_output=True,
            text=True,
        )
        if created.returncode:
            sys.exit(f"Could not create database {name}: {created.stderr.strip()}")
        subprocess.run(
            [
                _tool("pg_restore"),
                *_pg_args(db),
                "--dbname",
                name,
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                str(file),
            ],
            env=_pg_env(db),
            check=True,
        )
        user = f"{db['USER']}@" if db.get("USER") else ""
        return f"postgres://{user}{db.get('HOST') or 'localhost'}:{db.get('PORT') or 5432}/{name}"
    target = Path(into) if into else BACKUPS.parent / f"edupulse-restored-{_stamp()}.sqlite3"
    if target.exists():
        sys.exit(f"{target} exists: restore into a new file (INTO=...).")
    _sqlite_copy(file, target)
    return f"sqlite:///{target.resolve()}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL, else the settings' default")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a backup")
    make.add_argument("--out", type=Path, help="default: var/backups/edupulse-...")
    back = commands.add_parser("restore", help="restore a backup into a new database")
    back.add_argument("file", type=Path)
    back.add_argument("--into", help="the new database's name (PostgreSQL) or file (SQLite)")
    args = parser.parse_args(argv)
    db = database(args.database_url)
    if args.command == "backup":
        print(f"Backup written: {backup(db, args.out)}")
    else:
        url = restore(db, args.file, args.into)
        print(f"Restored into a new database: DATABASE_URL={url}")
        print("Check it, then point DATABASE_URL at it (the live database was not touched).")


if __name__ == "__main__":
    main()
