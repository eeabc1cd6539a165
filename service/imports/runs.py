"""Imports started from the upload page: they run in the background while the page polls their progress.

The uploaded file is kept under ``KRINGLOOP_IMPORT_DIR`` until its import ends; the per-row report stays there
as CSV, and the page pages through its refused rows. The import itself runs in the instance that received the
file; its progress and outcome live in ``import_runs``, so any instance can show them.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import itertools
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.db import session_scope, utcnow
from service.imports.models import ImportRun
from service.imports.reader import UnusableFile
from service.imports.report import ReportWriter
from service.imports.service import ImportOptions, RowOutcome, refuse_company_scoped, run_import
from service.metrics.instruments import count_import
from service.settings import Settings
from service.spreadsheet import unguard_text

log = structlog.get_logger("kringloop.imports")

# asyncio keeps only weak references to tasks: these hold the running imports until they finish.
_RUNNING: set[asyncio.Task[None]] = set()
# A running import writes its heartbeat every second; one silent this long lost its process.
STALE_AFTER = timedelta(minutes=2)
HEARTBEAT_SECONDS = 1.0


def upload_path(settings: Settings, key: str) -> Path:
    return settings.imports_path / f"{key}.upload.csv"


def report_path(settings: Settings, key: str) -> Path:
    return settings.imports_path / f"{key}.report.csv"


def report_removed(run: ImportRun, settings: Settings) -> bool:
    """Whether the import-files job has removed this run's report by now (it finished long enough ago)."""
    finished = run.finished_at
    return finished is not None and utcnow() - finished > timedelta(days=settings.import_report_days)


def run_state(run: ImportRun) -> str:
    """running, finished, unusable, failed, or interrupted (its instance stopped while it ran)."""
    if run.status == "running" and utcnow() - run.heartbeat_at > STALE_AFTER:
        return "interrupted"
    return run.status


def _save(source: IO[bytes], target: Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
        return out.tell()


async def start_run(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    actor: Actor,
    source: IO[bytes],
    filename: str,
    options: ImportOptions,
) -> tuple[ImportRun, asyncio.Task[None]]:
    """Keeps the upload, records the run and starts it; returns at once (the task is for callers that wait)."""
    refuse_company_scoped()
    key = uuid.uuid4().hex
    size = await asyncio.to_thread(_save, source, upload_path(settings, key))
    run = ImportRun(
        key=key, format=options.format, dry_run=options.dry_run, date_order=options.date_order,
        decimal_mark=options.decimal_mark, filename=filename[:255], size_bytes=size, started_by=actor.name,
    )  # fmt: skip
    try:
        async with session_scope(sessionmaker) as session:
            session.add(run)
            await session.flush()
    except BaseException:
        upload_path(settings, key).unlink(missing_ok=True)  # no run record points at it: nothing would remove it
        raise
    task = asyncio.create_task(_run(sessionmaker, settings, actor, run, options))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return run, task


@dataclass
class _Progress:
    bytes_read: int = 0
    rows: int = 0
    errors: int = 0


async def _update(sessionmaker: async_sessionmaker[AsyncSession], run_id: int, **values: Any) -> None:
    async with session_scope(sessionmaker) as session:
        await session.execute(sa.update(ImportRun).where(ImportRun.id == run_id).values(**values))  # type: ignore[arg-type]


async def _heartbeat(sessionmaker: async_sessionmaker[AsyncSession], run_id: int, progress: _Progress) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        await _update(
            sessionmaker, run_id, bytes_read=progress.bytes_read, rows=progress.rows, errors=progress.errors,
            heartbeat_at=utcnow(),
        )  # fmt: skip


async def _run(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, actor: Actor, run: ImportRun,
    options: ImportOptions,
) -> None:  # fmt: skip
    assert run.id is not None
    progress = _Progress()
    partial = report_path(settings, run.key).with_suffix(".partial")

    def on_row(outcome: RowOutcome) -> None:
        writer.write(outcome)
        progress.rows += 1
        progress.errors += outcome.outcome == "error"

    def on_progress(done: int) -> None:
        progress.bytes_read = done

    ticker = asyncio.create_task(_heartbeat(sessionmaker, run.id, progress))
    final: dict[str, Any]
    try:
        with (
            upload_path(settings, run.key).open("rb") as stream,
            partial.open("w", encoding="utf-8", newline="") as out,
        ):
            writer = ReportWriter(out)
            summary = await run_import(sessionmaker, settings, actor, stream, options, on_row, on_progress)
        count_import(summary)
        partial.replace(report_path(settings, run.key))
        final = dict(
            status="finished", bytes_read=run.size_bytes, rows=summary.rows, created=summary.created,
            updated=summary.updated, unchanged=summary.unchanged, errors=summary.errors,
            unknown_categories=summary.unknown_categories, unknown_statuses=summary.unknown_statuses,
            ignored_columns=summary.ignored_columns, readings=summary.readings,
        )  # fmt: skip
    except UnusableFile as exc:
        final = dict(status="unusable", message=str(exc))
    except Exception as exc:
        log.error("import_failed", run_id=run.id, exc_info=exc)
        done = f"; the {progress.rows} rows before it were imported" if progress.rows else ""
        message = f"The import stopped on an unexpected error{done}. The server log has the details."
        final = dict(status="failed", rows=progress.rows, errors=progress.errors, message=message)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        upload_path(settings, run.key).unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    now = utcnow()
    await _update(sessionmaker, run.id, heartbeat_at=now, finished_at=now, **final)


async def get_run(session: AsyncSession, run_id: int) -> ImportRun | None:
    return await session.get(ImportRun, run_id)


async def recent_runs(session: AsyncSession, limit: int = 10) -> list[ImportRun]:
    rows = await session.execute(sa.select(ImportRun).order_by(ImportRun.id.desc()).limit(limit))  # type: ignore[union-attr]
    return list(rows.scalars().all())


def _report_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as report:
        for row in csv.DictReader(report):
            yield {k: unguard_text(v) for k, v in row.items()}


def refused_rows(settings: Settings, run: ImportRun, page: int, per_page: int) -> tuple[list[dict[str, str]], bool]:
    """One page of the run's refused rows from its report (read as a stream), and whether another page follows."""
    path = report_path(settings, run.key)
    if not path.exists():
        return [], False
    refused = (r for r in _report_rows(path) if r["outcome"] == "error")
    rows = list(itertools.islice(refused, (page - 1) * per_page, page * per_page + 1))
    return rows[:per_page], len(rows) > per_page
