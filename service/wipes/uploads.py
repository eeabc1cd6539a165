"""Uploads of wipe reports: a certificate with its report file on a device, and the bulk import (multipart).

These routes sit in a router of their own with the upload body limit (``api.wipe_routes``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import HTTPException, SerializationException
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.context import Actor
from service.errors import InvalidInput
from service.i18n import _
from service.pagination import DEFAULT_LIMIT
from service.settings import Settings
from service.web.deps import AppSettings, CurrentActor, DbSession, PageLimit, created
from service.wipes import certificates, imports, repository
from service.wipes.policy import DESTINATIONS
from service.wipes.reports import Upload
from service.wipes.responses import certificate_json, certificate_out, validation_problem
from service.wipes.schemas import CertificateCreate, CertificatePage, ImportFileResult, ImportResult

_CHANGE = [requires(Permission.change_registry)]


class UploadFingerprint(BaseModel):
    """What an Idempotency-Key is compared against for a multipart request: its fields and its files' digests."""

    fields: dict[str, str]
    files: list[str]


async def read_form(
    request: Request[Any, Any, Any], file_field: str, settings: Settings
) -> tuple[dict[str, str], list[Upload]]:
    """The text fields and the files of a multipart form, each file read whole (the body limit bounds it)."""
    form = await request.form()
    fields: dict[str, str] = {}
    uploads: list[Upload] = []
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key != file_field:
                raise InvalidInput.field(
                    key, _("unexpected file; send the report as {file_field}").format(file_field=repr(file_field))
                )
            if not value.filename and not value.content_type:
                continue
            data = await value.read(settings.wipe_report_max_bytes + 1)
            uploads.append(Upload(value.filename or "", value.content_type or "", data))
        elif key != "_csrf_token":
            fields[key] = str(value).strip()
    if len(uploads) > settings.wipe_upload_max_files:
        raise InvalidInput.field(
            file_field,
            _("send at most {wipe_upload_max_files} files at once").format(
                wipe_upload_max_files=settings.wipe_upload_max_files
            ),
        )
    return fields, uploads


async def import_uploaded_reports(
    session: AsyncSession,
    actor: Actor,
    settings: Settings,
    fields: dict[str, str],
    uploads: list[Upload],
    file_field: str,
    *,
    device_id: int | None = None,
) -> list[imports.FileOutcome]:
    """The one import of uploaded wipe-tool reports, for the device page, the import page and both API routes.

    The devices go to ``destination`` (external reuse unless the form says otherwise). For one device
    (``device_id``) a refused file refuses the upload; for many, each file has its outcome and the caller shows them.
    """
    if not uploads:
        raise InvalidInput.field(file_field, _("attach the wipe tool's report file"))
    destination = fields.get("destination") or "external_reuse"
    if destination not in DESTINATIONS:
        raise InvalidInput.field(
            "destination", _("use one of {DESTINATIONS}").format(DESTINATIONS=", ".join(DESTINATIONS))
        )
    outcomes = await imports.import_reports(
        session, actor, uploads, device_id=device_id, destination=destination,
        max_bytes=settings.wipe_report_max_bytes, tz=settings.tz,
    )  # fmt: skip
    refused = [o for o in outcomes if not o.recorded]
    if device_id is not None and refused:
        raise InvalidInput.field(file_field, "; ".join(f"{o.filename}: {o.reason}" for o in refused))
    return outcomes


def fingerprint(fields: dict[str, str], uploads: list[Upload]) -> UploadFingerprint:
    return UploadFingerprint(
        fields=fields, files=[f"{u.filename}:{hashlib.sha256(u.data).hexdigest()}" for u in uploads]
    )


def import_results(outcomes: list[imports.FileOutcome]) -> ImportResult:
    files = [
        ImportFileResult(
            filename=o.filename,
            sha256=o.sha256,
            outcome="recorded" if o.recorded else "refused",
            reason=o.reason,
            device_id=o.device_id,
            certificate_ids=o.certificate_ids,
            media_added=o.media_added,
        )
        for o in outcomes
    ]
    recorded = sum(1 for o in outcomes if o.recorded)
    return ImportResult(recorded=recorded, refused=len(outcomes) - recorded, files=files)


def refused_problem(result: ImportResult) -> InvalidInput:
    errors = [{"field": f.filename or "file", "message": f.reason or "refused"} for f in result.files]
    detail = _("Nothing was recorded: ") + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return InvalidInput(detail, errors=errors, files=[f.model_dump(mode="json") for f in result.files])


@post(
    "/api/v1/devices/{device_id:int}/wipe-certificates",
    guards=_CHANGE,
    tags=["wipes"],
    summary="Record a certificate: JSON fields, or multipart with the tool's report file ('report')",
    description="Multipart with only a 'report' file (nwipe JSON or Blancco XML) imports it for this device; a "
    "report for a device without listed media adds the medium it describes. Multipart with the certificate's "
    "fields keeps the file (PDF, XML or JSON) as its evidence. Answers {certificates, media_added}.",
)
async def record_for_device(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, settings: AppSettings, device_id: int
) -> Response[Any]:
    content_type = request.content_type[0]
    if content_type == "application/json":
        if int(request.headers.get("content-length") or 0) > settings.max_body_bytes:
            raise HTTPException(
                status_code=413,
                detail=_("A JSON body may be at most {max_body_bytes} bytes.").format(
                    max_body_bytes=settings.max_body_bytes
                ),
            )
        try:
            data = CertificateCreate.model_validate(await request.json())
        except ValidationError as exc:
            raise validation_problem(exc) from None
        except SerializationException:
            raise InvalidInput(_("The body is not valid JSON.")) from None
        fields: dict[str, str] = {}
        uploads: list[Upload] = []
        body: BaseModel = data
    elif content_type == "multipart/form-data":
        fields, uploads = await read_form(request, "report", settings)
        body = fingerprint(fields, uploads)
    else:
        raise HTTPException(
            status_code=415, detail=_("Send JSON, or multipart/form-data with the report file as 'report'.")
        )
    await repository.ensure_device(session, device_id)

    async def create() -> tuple[int, Any]:
        if content_type == "application/json":
            cert = await certificates.record_certificate(
                session, actor, device_id, data, None, max_bytes=settings.wipe_report_max_bytes
            )
            return 201, {"certificates": [await certificate_json(session, cert.id)], "media_added": []}  # type: ignore[arg-type]
        if len(uploads) > 1:
            raise InvalidInput.field(
                "report", _("send one report here; several at once go to /api/v1/wipe-certificates/import")
            )
        if set(fields) <= {"destination"}:
            outcome = (
                await import_uploaded_reports(session, actor, settings, fields, uploads, "report", device_id=device_id)
            )[0]
            certs = [await certificate_json(session, i) for i in outcome.certificate_ids]
            return 201, {"certificates": certs, "media_added": outcome.media_added}
        try:
            manual = CertificateCreate.model_validate(fields)
        except ValidationError as exc:
            raise validation_problem(exc) from None
        cert = await certificates.record_certificate(
            session, actor, device_id, manual, uploads[0] if uploads else None, max_bytes=settings.wipe_report_max_bytes
        )
        return 201, {"certificates": [await certificate_json(session, cert.id)], "media_added": []}  # type: ignore[arg-type]

    return await created(request, session, body, create)


# Beside the POST of the same path in the upload router: one path's handlers must be registered together.
@get(
    "/api/v1/devices/{device_id:int}/wipe-certificates",
    guards=[requires(Permission.read_registry)],
    tags=["wipes"],
    summary="The device's wipe certificates",
)
async def list_device_certificates(
    session: DbSession,
    device_id: int,
    status: str | None = None,
    cursor: str | None = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> CertificatePage:
    await repository.ensure_device(session, device_id)
    page = await repository.list_certificates(session, device_id=device_id, status=status, cursor=cursor, limit=limit)
    return CertificatePage(items=[certificate_out(r) for r in page.items], next_cursor=page.next_cursor)


@post(
    "/api/v1/wipe-certificates/import",
    guards=_CHANGE,
    tags=["wipes"],
    status_code=200,
    summary="Import one or many wipe-tool reports (multipart 'files'): a result per file",
    description="Each nwipe JSON or Blancco XML report is matched by serial number and recorded whole, or refused "
    "whole with the reason. 200 when at least one file was recorded; 422 when none was.",
)
async def import_files(
    request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response[Any]:
    if request.content_type[0] != "multipart/form-data":
        raise HTTPException(
            status_code=415, detail=_("Send the reports as multipart/form-data, each as a 'files' part.")
        )
    fields, uploads = await read_form(request, "files", settings)
    unknown = set(fields) - {"destination"}
    if unknown:
        raise InvalidInput.field(sorted(unknown)[0], _("unknown field; send 'files' and optionally 'destination'"))

    async def create() -> tuple[int, Any]:
        result = import_results(await import_uploaded_reports(session, actor, settings, fields, uploads, "files"))
        if not result.recorded:
            raise refused_problem(result)
        return 200, result.model_dump(mode="json")

    return await created(request, session, fingerprint(fields, uploads), create)


UPLOAD_API_HANDLERS: list[Any] = [record_for_device, list_device_certificates, import_files]
