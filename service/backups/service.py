"""Whole-database backup and restore, with the database's own tools.

PostgreSQL: pg_dump's custom format (compressed, restorable table by table with pg_restore, independent of the
role that owns the tables). SQLite: the online backup API, a consistent copy taken while the app keeps writing.
A backup is written beside its target and renamed at the end, so a failed run never leaves a half file under
the name a person would later restore from.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from service.i18n import _, format_number
from service.settings import Settings

PG_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(Exception):
    """Why a backup or restore could not be made, written for the person running it."""


def backup(settings: Settings, target: Path) -> str:
    partial = target.with_name(target.name + ".partial")
    try:
        summary = _backup_sqlite(settings, partial) if settings.is_sqlite else _backup_postgres(settings, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return _("{summary} to {target} ({size} bytes).").format(
        summary=summary, target=target, size=format_number(target.stat().st_size)
    )


def restore(settings: Settings, source: Path, *, replace: bool) -> str:
    if not source.is_file():
        raise BackupError(_("{source} is not a file.").format(source=source))
    with source.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if settings.is_sqlite:
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(_("{source} is not a SQLite backup{hint}.").format(source=source, hint=_kind_hint(head)))
        return _restore_sqlite(settings, source, replace=replace)
    if not head.startswith(PG_MAGIC):
        raise BackupError(
            _("{source} is not a pg_dump custom-format backup{hint}.").format(source=source, hint=_kind_hint(head))
        )
    return _restore_postgres(settings, source, replace=replace)


def _kind_hint(head: bytes) -> str:
    if head.startswith(PG_MAGIC):
        return _(" (it is a PostgreSQL backup: restore it with a postgresql+asyncpg:// KRINGLOOP_DATABASE_URL)")
    if head.startswith(SQLITE_MAGIC):
        return _(" (it is a SQLite backup: restore it with a sqlite+aiosqlite:/// KRINGLOOP_DATABASE_URL)")
    return ""


def _refuse_unless_empty(tables: int, replace: bool) -> None:
    if tables and not replace:
        raise BackupError(
            _(
                "The database already holds {tables} tables. A restore replaces everything in it: stop the app, "
                "then run the restore again with --replace."
            ).format(tables=tables)
        )


# --- SQLite ----------------------------------------------------------------------------------------------------


def _sqlite_file(settings: Settings) -> Path:
    path = settings.sqlite_path()
    if path is None:
        raise BackupError(_("An in-memory SQLite database has nothing to back up or restore into."))
    return path


def _tables(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
               .fetchone()[0])  # fmt: skip


def _backup_sqlite(settings: Settings, partial: Path) -> str:
    path = _sqlite_file(settings)
    if not path.is_file():
        raise BackupError(_("There is no database at {path}.").format(path=path))
    with closing(sqlite3.connect(path)) as src, closing(sqlite3.connect(partial)) as dest:
        src.backup(dest)
    return _("Backed up the SQLite database")


def _restore_sqlite(settings: Settings, source: Path, *, replace: bool) -> str:
    path = _sqlite_file(settings)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src:
        check = src.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            damaged = _("{source} is damaged ({check}); nothing was restored.")
            raise BackupError(damaged.format(source=source, check=check))
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(path)) as dest:
            _refuse_unless_empty(_tables(dest), replace)
            src.backup(dest)
    return _("Restored {source} into the SQLite database {path}").format(source=source, path=path)


# --- PostgreSQL ------------------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            _(
                "{name} was not found on PATH. Install the PostgreSQL client tools of the server's major version "
                "(Debian and Ubuntu: apt-get install postgresql-client) and run this again."
            ).format(name=name)
        )
    return found


def _pg_env(settings: Settings) -> tuple[dict[str, str], str]:
    """libpq's environment for the configured database (the password never appears on a command line)."""
    url = make_url(settings.database_url)
    env = dict(os.environ)
    for variable, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                            ("PGPASSWORD", url.password)):  # fmt: skip
        if value is not None:
            env[variable] = str(value)
    if url.query.get("ssl") or url.query.get("sslmode"):
        env["PGSSLMODE"] = str(url.query.get("sslmode") or url.query.get("ssl"))
    return env, url.database or ""


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        output = done.stderr.strip() or done.stdout.strip()
        raise BackupError(
            _("{what} failed (exit {code}): {output}").format(what=what, code=done.returncode, output=output)
        )


def _backup_postgres(settings: Settings, partial: Path) -> str:
    pg_dump = _tool("pg_dump")
    env, database = _pg_env(settings)
    _run([pg_dump, "--format=custom", f"--file={partial}", f"--dbname={database}"], env, "pg_dump")
    return _("Backed up the PostgreSQL database {database}").format(database=database)


async def _pg_tables(settings: Settings) -> int:
    import asyncpg

    url = make_url(settings.database_url).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        return int(await conn.fetchval("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
    finally:
        await conn.close()


def _restore_postgres(settings: Settings, source: Path, *, replace: bool) -> str:
    pg_restore = _tool("pg_restore")
    env, database = _pg_env(settings)
    tables = asyncio.run(_pg_tables(settings))
    _refuse_unless_empty(tables, replace)
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if tables:
        command += ["--clean", "--if-exists"]
    _run([*command, f"--dbname={database}", str(source)], env, "pg_restore")
    return _("Restored {source} into the PostgreSQL database {database}").format(source=source, database=database)
