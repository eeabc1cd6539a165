"""The daily ``import-files`` job: removes upload-page reports (and anything an interrupted import left) once
they are older than ``KRINGLOOP_IMPORT_REPORT_DAYS``, so the import directory does not grow for ever.

The run itself stays in ``import_runs`` with its counts; only its per-row report goes, and the run page says so.
Files are judged by their modification time: a report's is when its import finished, and no import runs for a
day (its heartbeat goes stale after minutes), so nothing an import is still using is ever that old.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession

from service.context import Actor
from service.jobs.registry import Job
from service.ports import Ports
from service.settings import Settings

log = structlog.get_logger("kringloop.imports")

# What runs.py writes there: the upload while it is imported, the report as it is written, the report.
IMPORT_FILE_PATTERNS = ("*.upload.csv", "*.report.partial", "*.report.csv")


def remove_old_files(directory: Path, older_than_seconds: float, now: float | None = None) -> dict[str, int]:
    """Removes the import files in ``directory`` last modified more than ``older_than_seconds`` ago."""
    cutoff = (time.time() if now is None else now) - older_than_seconds
    removed = freed = kept = 0
    if not directory.is_dir():
        return {"removed": 0, "bytes_freed": 0, "kept": 0}
    for pattern in IMPORT_FILE_PATTERNS:
        for path in directory.glob(pattern):
            try:
                status = path.stat()
                if status.st_mtime >= cutoff:
                    kept += 1
                    continue
                path.unlink()
            except FileNotFoundError:
                continue  # another instance's job removed it first
            removed += 1
            freed += status.st_size
    return {"removed": removed, "bytes_freed": freed, "kept": kept}


async def remove_old_import_files(
    session: AsyncSession, actor: Actor, ports: Ports, settings: Settings
) -> dict[str, Any]:
    counts = await asyncio.to_thread(
        remove_old_files, settings.imports_path, settings.import_report_days * 24 * 3600
    )
    if counts["removed"]:
        log.info("import_files_removed", directory=str(settings.imports_path), **counts)
    return counts


IMPORT_FILES = Job(
    name="import-files",
    description="Removes the per-row reports of upload-page imports older than KRINGLOOP_IMPORT_REPORT_DAYS "
    "(the runs and their counts stay), and files an interrupted import left behind.",
    work=remove_old_import_files,
    trigger=("cron", {"hour": 4, "minute": 30}),
)
