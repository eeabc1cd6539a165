"""The device import pages: upload a file, watch its progress, read the report (refused rows page by page)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar import MediaType, Request, Response, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import File, Redirect, Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import Gone, InvalidInput, NotFound
from service.i18n import _
from service.imports import runs
from service.imports.models import ImportRun
from service.imports.service import ImportOptions
from service.web.deps import CurrentActor, DbSession

CHANGE = [requires(Permission.change_registry)]
ERRORS_PER_PAGE = 50
# A small file is done before the page would first poll: wait this long so it shows its report at once.
WAIT_FOR_SMALL_SECONDS = 2.0
FORMATS = {"kringloop": "Kringloop (this system's export)", "snipeit": "Snipe-IT asset export"}
DATE_ORDERS = {"": "Usual: Y-m-d; m/d/Y with slashes; d-m-Y with dashes or dots", "dmy": "Day first (31/12/2024)",
               "mdy": "Month first (12/31/2024)"}  # fmt: skip
DECIMAL_MARKS = {"": "Work it out; ask when a number reads two ways", "comma": 'Decimal comma ("1.234,56")',
                 "point": 'Decimal point ("1,234.56")'}  # fmt: skip


def _form_page(state: State, recent: list[ImportRun], form: dict[str, str], errors: dict[str, str], status: int
               ) -> Template:  # fmt: skip
    return Template(
        "imports/upload.html",
        status_code=status,
        media_type=MediaType.HTML,
        context={
            "form": form,
            "errors": errors,
            "recent": [(r, runs.run_state(r)) for r in recent],
            "formats": FORMATS,
            "date_orders": DATE_ORDERS,
            "decimal_marks": DECIMAL_MARKS,
            "max_mb": round(state.settings.import_max_bytes / 2**20),
        },
    )


@get("/imports/devices", guards=CHANGE, include_in_schema=False)
async def upload_page(state: State, session: DbSession) -> Template:
    return _form_page(state, await runs.recent_runs(session), {"format": "kringloop"}, {}, 200)


def _options(form: dict[str, str]) -> tuple[ImportOptions | None, dict[str, str]]:
    errors: dict[str, str] = {}
    file_format = form.get("format") or "kringloop"
    date_order = form.get("date_order") or None
    decimal_mark = form.get("decimal_mark") or None
    if file_format not in FORMATS:
        errors["format"] = _("Choose a format from the list.")
    if date_order not in (None, "dmy", "mdy"):
        errors["date_order"] = _("Choose a date order from the list.")
    if decimal_mark not in (None, "comma", "point"):
        errors["decimal_mark"] = _("Choose a decimal mark from the list.")
    if errors:
        return None, errors
    dry_run = form.get("dry_run") in ("1", "on", "true")
    options = ImportOptions(format=file_format, dry_run=dry_run, date_order=date_order, decimal_mark=decimal_mark)  # type: ignore[arg-type]
    return options, {}


@post("/imports/devices", guards=CHANGE, include_in_schema=False)
async def upload(request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor) -> Any:
    form_data = await request.form()
    form = {k: str(v) for k, v in form_data.items() if not isinstance(v, UploadFile) and k != "_csrf_token"}
    upload_file = form_data.get("file")
    options, errors = _options(form)
    if not isinstance(upload_file, UploadFile) or not upload_file.filename:
        errors["file"] = "Choose a CSV file to import."
    if errors or options is None or not isinstance(upload_file, UploadFile):
        return _form_page(state, await runs.recent_runs(session), form, errors, 422)
    run, task = await runs.start_run(
        state.sessionmaker,
        state.settings,
        actor,
        upload_file.file,
        upload_file.filename,
        options,  # type: ignore[arg-type]
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(task), WAIT_FOR_SMALL_SECONDS)
    return Redirect(f"/imports/{run.id}", status_code=303)


async def _run_or_404(session: Any, run_id: int) -> ImportRun:
    run = await runs.get_run(session, run_id)
    if run is None:
        raise NotFoundException(_("No import has id {run_id}.").format(run_id=run_id))
    return run


def _percent(run: ImportRun) -> int:
    return min(100, round(100 * run.bytes_read / run.size_bytes)) if run.size_bytes else 0


@get("/imports/{run_id:int}", guards=CHANGE, include_in_schema=False)
async def run_page(state: State, session: DbSession, run_id: int, page: int = 1) -> Template:
    run = await _run_or_404(session, run_id)
    page = max(1, page)
    state_name = runs.run_state(run)
    refused, more = ([], False)
    report_kept = await asyncio.to_thread(runs.report_path(state.settings, run.key).exists)
    if state_name == "finished" and run.errors and report_kept:
        refused, more = await asyncio.to_thread(runs.refused_rows, state.settings, run, page, ERRORS_PER_PAGE)
    return Template(
        "imports/run.html",
        media_type=MediaType.HTML,
        context={
            "run": run,
            "state": state_name,
            "percent": _percent(run),
            "refused": refused,
            "page": page,
            "next_url": f"/imports/{run.id}?page={page + 1}#refused" if more else None,
            "previous_url": f"/imports/{run.id}?page={page - 1}#refused" if page > 1 else None,
            "formats": FORMATS,
            "report_kept": report_kept,
            "report_removed": runs.report_removed(run, state.settings),
            "report_days": state.settings.import_report_days,
        },
    )


@get("/imports/{run_id:int}/progress", guards=CHANGE, include_in_schema=False)
async def progress_fragment(session: DbSession, run_id: int) -> Response[Any]:
    """Polled by the run page while the import runs; once it is done the page reloads to show the report."""
    run = await _run_or_404(session, run_id)
    state_name = runs.run_state(run)
    if state_name != "running":
        return Response("", status_code=200, headers={"HX-Refresh": "true"}, media_type=MediaType.HTML)
    return Template(
        "imports/_progress.html",
        media_type=MediaType.HTML,
        context={"run": run, "percent": _percent(run)},
    )


@get("/imports/{run_id:int}/report.csv", guards=CHANGE, include_in_schema=False)
async def report_download(state: State, session: DbSession, run_id: int) -> File:
    run = await _run_or_404(session, run_id)
    path = runs.report_path(state.settings, run.key)
    if not path.exists():
        state_name = runs.run_state(run)
        if state_name == "finished" and runs.report_removed(run, state.settings):
            raise Gone(
                _(
                    "The report of import {run_id} was removed {import_report_days} days after the "
                    "import (KRINGLOOP_IMPORT_REPORT_DAYS); the run's counts are on its page."
                ).format(run_id=run_id, import_report_days=state.settings.import_report_days)
            )
        if state_name == "finished":
            raise NotFound(
                _(
                    "The report of import {run_id} is not in this server's import directory (KRINGLOOP_IMPORT_DIR; "
                    "several instances need it on storage they share)."
                ).format(run_id=run_id)
            )
        raise InvalidInput(
            _("Import {run_id} has no report: it is {state_name}.").format(run_id=run_id, state_name=state_name)
        )
    stem = (run.filename.rsplit(".", 1)[0] or "devices")[:80]
    return File(path, filename=f"{stem}-import-{run.id}-report.csv", media_type="text/csv; charset=utf-8")


# The upload page and its POST share a path, so both go into the upload router (its body limit is
# KRINGLOOP_IMPORT_MAX_BYTES); one path's handlers must be registered together.
UPLOAD_VIEW_HANDLERS: list[Any] = [upload_page, upload]
IMPORT_VIEW_HANDLERS: list[Any] = [run_page, progress_fragment, report_download]
