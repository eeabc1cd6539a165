"""``kill -9`` in the middle of a donation run and of an import chunk, then a restart: the killed transaction left
nothing, the job run the dead process left is reported abandoned, and running again completes with every cent and
every row counted once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from service.pausepoints import DONATION_DRAFTED, IMPORT_CHUNK_WRITTEN
from tests.conftest import Database
from tests.integration.conftest import Api
from tests.integration.donation_helpers import credit, set_shares
from tests.reliability.conftest import ROOT, app_env, cli, wait_for_file

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

CREDITS = ("120.00", "80.00", "33.33")  # 233.33 in all
ROWS, CHUNK = 2500, 1000  # the importer's chunk size: three chunks, the last one short
PRICE_CENTS = 1249_00


async def _one(api: Api, sql: str) -> object:
    async with api.app.state.engine.connect() as conn:
        return (await conn.execute(sa.text(sql))).scalar_one()


def _kill_at(point: str, tmp_path: Path, database: Database, *args: str) -> None:
    """Starts the command paused at ``point``, waits until it gets there, and kills it with SIGKILL."""
    signal_file = tmp_path / "arrived"
    env = app_env(database.url, test_pause_at=point, test_pause_signal_file=str(signal_file))
    process = cli(*args, env=env)
    try:
        pid = wait_for_file(signal_file, process)
        assert pid == process.pid
        os.kill(pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL


def _run_to_the_end(database: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args], capture_output=True, text=True, timeout=120,
        env=app_env(database.url), cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize("nth", [1, 2])  # killed after the first donation of the run, or after the second
async def test_a_killed_donation_run_leaves_nothing_and_the_next_run_completes(
    api: Api, database: Database, tmp_path: Path, nth: int
) -> None:
    for n, amount in enumerate(CREDITS, start=1):
        await credit(api, n, amount)
    await set_shares(api, "70", "30")

    _kill_at(f"{DONATION_DRAFTED}:{nth}", tmp_path, database, "jobs", "run", "donations")
    # No partial donation: the run's one transaction died with its process.
    for table in ("donations", "donation_allocations"):
        assert await _one(api, f"SELECT count(*) FROM {table}") == 0
    assert await _one(api, "SELECT count(*) FROM audit_records WHERE action = 'donation.draft'") == 0
    assert await _one(api, "SELECT outcome FROM job_runs WHERE job = 'donations'") == "running"

    done = _run_to_the_end(database, "jobs", "run", "donations")
    assert done.returncode == 0, done.stderr
    assert "donations: succeeded donations: 2," in done.stdout, done.stdout
    async with api.app.state.engine.connect() as conn:
        runs = (await conn.execute(sa.text("SELECT outcome, message FROM job_runs ORDER BY id"))).all()
        amounts = (await conn.execute(sa.text("SELECT amount_cents FROM donations ORDER BY charity_id"))).scalars()
        per_credit = (await conn.execute(sa.text(
            "SELECT e.amount_cents, sum(a.amount_cents) FROM pool_entries e "
            "JOIN donation_allocations a ON a.pool_entry_id = e.id GROUP BY e.id, e.amount_cents"
        ))).all()  # fmt: skip
        assert [r[0] for r in runs] == ["abandoned", "succeeded"]
        assert "stopped before it finished" in runs[0][1]
        assert list(amounts) == [163_33, 70_00]  # 70 % and 30 % of 233.33, to the cent
    assert sorted(tuple(r) for r in per_credit) == [(33_33, 33_33), (80_00, 80_00), (120_00, 120_00)]
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True


def _device_file(path: Path) -> Path:
    lines = ["asset_tag,serial_number,manufacturer,model,category,purchase_date,purchase_price"]
    lines += [f"KL-{i:05},SN-{i:05},Dell,Latitude 5440,laptop,2024-03-01,1249.00" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("nth", [1, 2])  # killed while the first chunk was written, or the second (one committed)
async def test_a_killed_import_keeps_whole_chunks_and_the_rerun_completes(
    api: Api, database: Database, tmp_path: Path, nth: int
) -> None:
    source = _device_file(tmp_path / "devices.csv")
    args = ("import", "devices", str(source), "--as", "reliability")
    _kill_at(f"{IMPORT_CHUNK_WRITTEN}:{nth}", tmp_path, database, *args)
    kept = (nth - 1) * CHUNK  # whole chunks only: the one being written when it died left nothing
    assert await _one(api, "SELECT count(*) FROM devices") == kept
    assert await _one(api, "SELECT count(*) FROM device_events") == kept
    assert await _one(api, "SELECT count(*) FROM compensation_obligations") == kept
    assert await _one(api, "SELECT count(*) FROM audit_records WHERE action = 'device.import'") == nth - 1

    done = _run_to_the_end(database, *args)
    assert done.returncode == 0, done.stderr
    assert f"{ROWS} rows: {ROWS - kept} created, 0 updated, {kept} unchanged, 0 refused" in done.stdout, done.stdout
    assert await _one(api, "SELECT count(*) FROM devices") == ROWS
    assert await _one(api, "SELECT count(DISTINCT serial_number) FROM devices") == ROWS
    assert await _one(api, "SELECT sum(purchase_price_cents) FROM devices") == ROWS * PRICE_CENTS
    assert await _one(api, "SELECT count(*) FROM device_events") == ROWS
    assert await _one(api, "SELECT count(DISTINCT device_id) FROM compensation_obligations") == ROWS
    assert await _one(api, "SELECT count(*) FROM compensation_obligations") == ROWS
    assert (await api.get("auditor", "/api/v1/audit/verify")).json()["ok"] is True
