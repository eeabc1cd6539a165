"""``POST /api/v1/imports/devices``: a device file in, the summary and a per-row report out.

No Idempotency-Key is needed: an import is an upsert, so sending the same file again changes nothing and answers
"unchanged" for every row it took the first time.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator
from typing import IO, Any, Literal

from litestar import Request, Router, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions import HTTPException
from litestar.response import Stream

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import InvalidInput
from service.i18n import _
from service.imports.reader import UnusableFile
from service.imports.report import outcome_json, summary_json
from service.imports.service import ImportOptions, RowOutcome, run_import
from service.metrics.instruments import count_import
from service.settings import Settings
from service.web.deps import CurrentActor

CHANGE = [requires(Permission.change_registry)]
# Uploads and reports up to this size stay in memory; larger ones go to a temporary file.
SPOOL_BYTES = 4 * 1024 * 1024
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream", "application/vnd.ms-excel")


async def upload_stream(request: Request[Any, Any, Any]) -> tuple[IO[bytes], str, dict[str, str]]:
    """The uploaded file (multipart part ``file``, or the raw body), its name, and any other form fields."""
    content_type = request.content_type[0]
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidInput.field("file", _("attach the CSV file as the form part 'file'"))
        fields = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile) and k != "_csrf_token"}
        return upload.file, upload.filename or "", fields  # type: ignore[return-value]
    if content_type in CSV_TYPES:
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned to the caller)
        async for chunk in request.stream():
            body.write(chunk)
        body.seek(0)
        return body, "", {}  # type: ignore[return-value]
    raise HTTPException(status_code=415, detail=_("Send the CSV as text/csv, or as multipart/form-data part 'file'."))


def unusable_problem(exc: UnusableFile) -> InvalidInput:
    return InvalidInput(
        _("The file cannot be imported: {exc} Nothing was imported.").format(exc=exc),
        errors=[{"field": "file", "message": str(exc)}],
    )


@post(
    "/api/v1/imports/devices",
    guards=CHANGE,
    tags=["imports"],
    status_code=200,
    summary="Import devices from CSV (Kringloop's columns or Snipe-IT's asset export): a per-row report",
    description="The file as text/csv, or multipart/form-data part 'file'. Rows are upserted by manufacturer and "
    "serial number, or by asset tag where the serial is blank; a row that cannot be taken is reported with the "
    "field and the reason and the others are imported. Answers {summary, rows}; summary.exit_code is 0 when "
    "every row was taken and 1 when some were refused. An unusable file is a 422 and writes nothing.",
)
async def import_devices(
    request: Request[Any, Any, Any],
    state: State,
    actor: CurrentActor,
    format: Literal["kringloop", "snipeit"] = "kringloop",
    dry_run: bool = False,
    date_order: Literal["dmy", "mdy"] | None = None,
    decimal_mark: Literal["comma", "point"] | None = None,
) -> Stream:
    settings: Settings = state.settings
    stream, _name, _fields = await upload_stream(request)
    options = ImportOptions(format=format, dry_run=dry_run, date_order=date_order, decimal_mark=decimal_mark)
    # The per-row report goes to a spooled file and streams out after the summary: memory stays flat.
    report = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+", encoding="utf-8")  # noqa: SIM115
    first = True

    def on_row(outcome: RowOutcome) -> None:
        nonlocal first
        report.write(("" if first else ",") + json.dumps(outcome_json(outcome), ensure_ascii=False))
        first = False

    try:
        summary = await run_import(state.sessionmaker, settings, actor, stream, options, on_row=on_row)
    except UnusableFile as exc:
        report.close()
        raise unusable_problem(exc) from None
    except BaseException:
        report.close()  # the spooled report may sit on disk: never leave it to the garbage collector
        raise
    finally:
        stream.close()
    count_import(summary)
    report.seek(0)

    async def body() -> AsyncIterator[str]:
        try:
            yield '{"summary": ' + json.dumps(summary_json(summary), ensure_ascii=False) + ', "rows": ['
            while chunk := report.read(1 << 16):
                yield chunk
            yield "]}"
        finally:
            report.close()

    return Stream(body(), media_type="application/json")


def import_routes(settings: Settings, upload_views: list[Any]) -> list[Any]:
    """The imports feature's upload routes, with their own body limit (KRINGLOOP_IMPORT_MAX_BYTES)."""
    return [
        Router(
            path="/",
            route_handlers=[import_devices, *upload_views],
            request_max_body_size=settings.import_max_bytes,
        )
    ]
