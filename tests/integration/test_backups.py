"""`kringloop backup` and `kringloop restore` as real processes, on SQLite and PostgreSQL: the restored copy holds
the same data and its audit chain verifies."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET, Database, create_pg_database, drop_pg_database
from tests.integration.conftest import Api, count, seed_device, seed_model

ROOT = Path(__file__).resolve().parents[2]


def kringloop(url: str, *args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRINGLOOP_")}
    env.update(KRINGLOOP_DATABASE_URL=url, KRINGLOOP_SECRET_KEY=TEST_SECRET, KRINGLOOP_LOG_LEVEL="WARNING",
               KRINGLOOP_LANG="en")
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "service.cli", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)  # fmt: skip


@pytest.fixture
def empty_target(database: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind to restore into."""
    if database.kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"kringloop_restore_{uuid.uuid4().hex[:8]}"
    yield create_pg_database(name)
    drop_pg_database(name)


async def test_a_backup_restores_into_an_empty_database_whose_audit_chain_verifies(
    api: Api, database: Database, empty_target: str, tmp_path: Path
) -> None:
    model = await seed_model(api)
    device = await seed_device(api, model["id"])
    retired = await api.post("helpdesk", f"/api/v1/devices/{device['id']}/retire", {"reason": "Broken"})
    assert retired.status_code == 200
    records = await count(api.app, "audit_records")
    assert records >= 3

    file = tmp_path / "kringloop.backup"
    made = kringloop(database.url, "backup", str(file))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Backed up the ") and f"to {file} (" in made.stdout
    assert file.read_bytes()[:5] == (b"SQLit" if database.kind == "sqlite" else b"PGDMP")
    assert not file.with_name(file.name + ".partial").exists()

    restored = kringloop(empty_target, "restore", str(file))
    assert restored.returncode == 0, restored.stderr
    verified = kringloop(empty_target, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert f"Audit chain intact: {records} records" in verified.stdout

    # A second restore over the now full database needs --replace, and then replaces it.
    again = kringloop(empty_target, "restore", str(file))
    assert again.returncode == 1
    assert "The database already holds" in again.stderr and "--replace" in again.stderr
    replaced = kringloop(empty_target, "restore", "--replace", str(file))
    assert replaced.returncode == 0, replaced.stderr
    assert f"intact: {records} records" in kringloop(empty_target, "audit", "verify").stdout


async def test_a_backup_of_the_other_kind_or_no_file_is_refused_clearly(
    database: Database, empty_target: str, tmp_path: Path
) -> None:
    other = tmp_path / "other.backup"
    other.write_bytes(b"PGDMP\x01\x0f" if database.kind == "sqlite" else b"SQLite format 3\x00" + b"\x00" * 100)
    refused = kringloop(empty_target, "restore", str(other))
    assert refused.returncode == 1
    if database.kind == "sqlite":
        assert "is not a SQLite backup (it is a PostgreSQL backup" in refused.stderr
    else:
        assert "is not a pg_dump custom-format backup (it is a SQLite backup" in refused.stderr
    missing = kringloop(empty_target, "restore", str(tmp_path / "nope.backup"))
    assert missing.returncode == 1 and "nope.backup is not a file." in missing.stderr


def test_missing_postgresql_tools_are_named(database: Database, tmp_path: Path) -> None:
    if database.kind != "postgres":
        pytest.skip("pg_dump is only used on PostgreSQL")
    made = kringloop(database.url, "backup", str(tmp_path / "x.backup"), path=str(tmp_path))
    assert made.returncode == 1
    assert "pg_dump was not found on PATH" in made.stderr and "postgresql-client" in made.stderr
    assert not (tmp_path / "x.backup").exists()
